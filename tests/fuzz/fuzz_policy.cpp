// libFuzzer: a policy file as an author (or a corrupted disk) might write
// it, loaded against the shipped rules, then its examples run, its warnings
// collected and a few findings decided. Bad input must end in a PolicyError,
// never a crash.
#include <arpa/inet.h>

#include <cstdint>
#include <string>

#include "policy/policy_error.h"
#include "policy/policy_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 8192) return 0;
  try {
    const dlp::Policy p = dlp::ParsePolicy(
        {"fuzz.yaml", std::string(reinterpret_cast<const char*>(data), size)}, {"us-ssn", "pan"});
    dlp::RunPolicyExamples(p);
    dlp::PolicyWarnings(p);
    uint8_t v4[4] = {203, 0, 113, 9};
    for (const char* rule : {"pan", "us-ssn"}) {
      dlp::FindingScope s;
      s.rule_id = rule;
      s.family = AF_INET;
      s.dst = v4;
      s.dst_port = 80;
      s.host = "pay.example";
      const int st = p.Match(s);
      for (uint32_t n : {1u, 2u, 1000u}) p.Decide(st, n);
    }
  } catch (const dlp::PolicyError&) {
  }
  return 0;
}
