// dlpctl's side of the control socket: whatever answers on the socket path
// (a daemon of another version, or any process that took the path) is
// printed escaped or refused with a message; a field of an unexpected type
// is no crash (nlohmann's value() throws on one).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "dlpd/ctl/control_command.h"

namespace dlp {
namespace {

bool HasControlByte(const std::string& s) {
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\n') || c >= 0x7f) return true;
  }
  return false;
}

TEST(ControlAnswer, FieldsOfAnyTypePrintEscaped) {
  auto j = ParseControlAnswer(R"({"version":5,"engine":["x"],"pid":"1","uptime_s":-7,
      "workers":[{"name":"nfq\u001b]0;pwned\u0007"},3],"counters":{"packets":"many","x\u001b":2},
      "counter_help":{"packets":7},"incidents":[1],"findings_by_rule":{"pan":-1}})");
  ASSERT_TRUE(j.ok()) << j.error().message;
  std::ostringstream out, err;
  EXPECT_EQ(PrintStatus(j.value(), false, out, err), 0);
  EXPECT_FALSE(HasControlByte(out.str())) << out.str();
  EXPECT_NE(out.str().find("dlpd 5 ([\"x\"])"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("nfq\\x1b]0;pwned\\x07"), std::string::npos) << out.str();
  std::ostringstream json;
  EXPECT_EQ(PrintStatus(j.value(), true, json, err), 0);
  EXPECT_FALSE(HasControlByte(json.str())) << json.str();
}

TEST(ControlAnswer, ReloadAnswersOfAnyTypeAreARejection) {
  for (const char* a : {R"({"ok":"yes"})", R"({"ok":true,"message":7})", "[]", "3",
                        R"({"ok":false,"error":"line\u001b[2J"})"}) {
    auto j = ParseControlAnswer(a);
    ASSERT_TRUE(j.ok()) << a;
    std::ostringstream out, err;
    const int rc = PrintReload(j.value(), out, err);
    EXPECT_TRUE(rc == 0 || rc == 1) << a;
    EXPECT_FALSE(HasControlByte(out.str() + err.str())) << a;
  }
  std::ostringstream out, err;
  EXPECT_EQ(PrintStatus(nlohmann::json::array(), false, out, err), 2);
  EXPECT_NE(err.str().find("not a JSON object"), std::string::npos);
}

TEST(ControlAnswer, NotJsonOrNestedTooDeepIsRefused) {
  EXPECT_FALSE(ParseControlAnswer("status ok").ok());
  // Printing recurses once per level: a deep answer is refused first.
  EXPECT_FALSE(ParseControlAnswer(std::string(100000, '[') + std::string(100000, ']')).ok());
  EXPECT_TRUE(ParseControlAnswer(std::string(20, '[') + std::string(20, ']')).ok());
}

}  // namespace
}  // namespace dlp
