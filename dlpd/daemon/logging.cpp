#include "dlpd/daemon/logging.h"

#include <spdlog/details/file_helper.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <mutex>
#include <utility>

namespace dlp {
namespace {

constexpr std::pair<const char*, int> kFacilities[] = {
    {"daemon", LOG_DAEMON}, {"user", LOG_USER},     {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},
    {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
    {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

// %* : the line's syslog priority as journald reads it from a stream
// (sd-daemon(3): "<3>" error ... "<7>" debug).
class PriorityPrefix : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static constexpr const char* kPrefix[] = {"<7>", "<7>", "<6>", "<4>", "<3>", "<2>", "<6>"};
    const auto level = static_cast<size_t>(msg.level);
    const char* p = kPrefix[level < std::size(kPrefix) ? level : 2];
    dest.append(p, p + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<PriorityPrefix>();
  }
};

// A file sink whose Reopen opens the path again: spdlog's basic file sink
// keeps writing to the file it first opened, wherever logrotate moved it.
class ReopenableFileSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit ReopenableFileSink(const std::string& path) { file_.open(path, false); }
  void Reopen() {
    std::lock_guard<std::mutex> lock(mutex_);
    file_.reopen(false);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    file_.write(line);
    // Each line at once, as on stderr: dlpd logs little (no line per
    // packet; repeated warnings are rate-limited), and a line still in a
    // buffer is lost to whoever reads the file now, or at a crash.
    file_.flush();
  }
  void flush_() override { file_.flush(); }

 private:
  spdlog::details::file_helper file_;
};

std::shared_ptr<ReopenableFileSink>& FileSink() {
  static std::shared_ptr<ReopenableFileSink> sink;
  return sink;
}

// journald's stream: $JOURNAL_STREAM is "DEVICE:INODE" of the stream it
// gave the service, and this process's stderr is still that stream (not
// redirected by whoever started it).
bool StderrIsJournal() {
  const char* env = std::getenv("JOURNAL_STREAM");
  if (env == nullptr) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(env, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat sb {};
  return ::fstat(STDERR_FILENO, &sb) == 0 && static_cast<unsigned long long>(sb.st_dev) == dev &&
         static_cast<unsigned long long>(sb.st_ino) == ino;
}

constexpr const char* kUtcPattern = "%Y-%m-%dT%H:%M:%S.%eZ [%l] %v";

}  // namespace

Status SetUpLogging(const LogSettings& s) {
  std::shared_ptr<spdlog::logger> logger;
  try {
    if (s.target == "stderr") {
      auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
      if (StderrIsJournal()) {
        auto f = std::make_unique<spdlog::pattern_formatter>();
        f->add_flag<PriorityPrefix>('*').set_pattern("%*%v");
        sink->set_formatter(std::move(f));
      } else {
        sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(
            kUtcPattern, spdlog::pattern_time_type::utc));
      }
      logger = std::make_shared<spdlog::logger>("dlpd", std::move(sink));
    } else if (s.target == "syslog") {
      int facility = -1;
      for (const auto& [n, f] : kFacilities) {
        if (s.facility == n) facility = f;
      }
      if (facility < 0) return Error{"log facility '" + s.facility + "': not a syslog facility"};
      // LOG_NDELAY: connected now, before the sandbox refuses new sockets.
      auto sink = std::make_shared<spdlog::sinks::syslog_sink_mt>("dlpd", LOG_PID | LOG_NDELAY,
                                                                  facility, false);
      sink->set_pattern("%v");
      logger = std::make_shared<spdlog::logger>("dlpd", std::move(sink));
    } else {
      auto sink = std::make_shared<ReopenableFileSink>(s.target);
      sink->set_formatter(
          std::make_unique<spdlog::pattern_formatter>(kUtcPattern, spdlog::pattern_time_type::utc));
      FileSink() = sink;
      logger = std::make_shared<spdlog::logger>("dlpd", std::move(sink));
    }
  } catch (const spdlog::spdlog_ex& e) {
    return Error{"log " + s.target + ": " + e.what()};
  }
  logger->set_level(spdlog::level::from_str(s.level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  return {};
}

Status ReopenLogFile() {
  const auto& sink = FileSink();
  if (sink == nullptr) return {};
  try {
    sink->Reopen();
  } catch (const spdlog::spdlog_ex& e) {
    return Error{std::string("log file: ") + e.what()};
  }
  return {};
}

}  // namespace dlp
