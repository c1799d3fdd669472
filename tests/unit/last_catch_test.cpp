// Every thread's last catch: an exception nothing below expected is logged,
// counted and survived, by the helper and by the threads that use it (the
// control socket, the incident writer).
#include "dlpd/common/last_catch.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "dlpd/common/clock.h"
#include "dlpd/common/log_every.h"
#include "dlpd/control/control_server.h"
#include "storage/incident_store.h"
#include "storage/incident_writer.h"
#include "tests/unit/test_support.h"

namespace dlp {
namespace {

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          (name + "-" + std::to_string(getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name()))
      .string();
}

TEST(LastCatch, AnEscapingExceptionIsCountedAndReported) {
  const uint64_t before = UnexpectedErrors().load();
  EXPECT_TRUE(RunGuarded("test", [] {}));
  EXPECT_EQ(UnexpectedErrors().load(), before);
  EXPECT_FALSE(RunGuarded("test", [] { throw std::runtime_error("boom"); }));
  EXPECT_FALSE(RunGuarded("test", [] { throw 42; }));
  EXPECT_EQ(UnexpectedErrors().load(), before + 2);
}

TEST(LogEvery, OneLineAPeriodCountingTheRest) {
  ManualClock clock(1'000'000);
  LogEvery every(10'000'000);
  uint64_t skipped = 99;
  EXPECT_TRUE(every.Due(&skipped, clock));  // the first at once
  EXPECT_EQ(skipped, 0u);
  for (int i = 0; i < 5; ++i) {
    clock.Advance(1'000'000);
    EXPECT_FALSE(every.Due(&skipped, clock));
  }
  clock.Advance(4'999'999);  // 9.999999 s after the first
  EXPECT_FALSE(every.Due(&skipped, clock));
  clock.Advance(1);
  EXPECT_TRUE(every.Due(&skipped, clock));
  EXPECT_EQ(skipped, 6u);  // the ones not logged, said in this line
  clock.Advance(10'000'000);
  EXPECT_TRUE(every.Due(&skipped, clock));
  EXPECT_EQ(skipped, 0u);
}

TEST(LastCatch, ARepeatedFailureIsCountedEveryTimeAndLoggedOnce) {
  // Each is counted; the log takes one line for a burst (a thread whose
  // loop restarts every 100 ms would otherwise fill it).
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  auto logger = std::make_shared<spdlog::logger>("capture", sink);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);
  const uint64_t before = UnexpectedErrors().load();
  for (int i = 0; i < 50; ++i) RunGuarded("burst", [] { throw std::runtime_error("again"); });
  spdlog::set_default_logger(previous);
  EXPECT_EQ(UnexpectedErrors().load(), before + 50);
  const std::string log = captured.str();
  size_t lines = 0;
  for (size_t at = log.find("unexpected error"); at != std::string::npos;
       at = log.find("unexpected error", at + 1)) {
    ++lines;
  }
  EXPECT_LE(lines, 1u) << log;
}

TEST(LastCatch, TheControlSocketAnswersAfterAHandlerThrew) {
  const std::string path = TempPath("dlpd-ctl") + ".sock";
  auto server = ControlServer::Start(
      path, [](const std::string& command, const ControlServer::ClientGone&) -> std::string {
        if (command == "boom") throw std::runtime_error("handler failed");
        return "{\"ok\":true}";
      });
  ASSERT_TRUE(server) << server.error().message;
  const uint64_t before = UnexpectedErrors().load();
  auto lost = ControlRequest(path, "boom", 5000);
  EXPECT_TRUE(!lost || lost.value().empty());  // that client gets no answer
  auto next = ControlRequest(path, "status", 5000);
  ASSERT_TRUE(next) << next.error().message;
  EXPECT_EQ(next.value(), "{\"ok\":true}\n");
  EXPECT_EQ(UnexpectedErrors().load(), before + 1);
}

// A sink that throws on its first write.
class ThrowingSink : public IncidentSink {
 public:
  explicit ThrowingSink(int* writes) : writes_(writes) {}
  Status Write(const std::vector<StoredIncident>&) override {
    if ((*writes_)++ == 0) throw std::runtime_error("sink failed");
    return {};
  }

 private:
  int* writes_;
};

Incident Sample(const std::string& flow) {
  Incident in;
  in.time_us = in.last_time_us = 1700000000000000LL;
  in.rule_id = "us-ssn";
  in.severity = "high";
  in.action = "mask";
  in.ip_version = 4;
  in.src_ip = "192.0.2.10";
  in.dst_ip = "198.51.100.20";
  in.src_port = 40000;
  in.dst_port = 80;
  in.flow_id = flow;
  in.match_count = 1;
  in.masked_sample = "XXX-XX-1457";
  in.ruleset_version = "test";
  return in;
}

TEST(LastCatch, TheIncidentWriterKeepsWritingAfterASinkThrew) {
  test::TempDb db;
  int writes = 0;
  const uint64_t before = UnexpectedErrors().load();
  {
    std::vector<std::unique_ptr<IncidentSink>> sinks;
    sinks.push_back(std::make_unique<ThrowingSink>(&writes));
    IncidentWriter w(std::make_unique<IncidentStore>(db.path), WriterOptions{}, std::move(sinks));
    ASSERT_TRUE(w.Submit(Sample("f1")));
    for (int i = 0; i < 500 && w.written() < 1; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(w.Submit(Sample("f2")));
    w.Stop();
    EXPECT_EQ(w.written(), 2u);  // the batch the sink threw on is in the store all the same
    EXPECT_EQ(w.dropped(), 0u);
  }
  EXPECT_EQ(writes, 2);
  EXPECT_EQ(UnexpectedErrors().load(), before + 1);
}

}  // namespace
}  // namespace dlp
