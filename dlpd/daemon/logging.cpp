#include "dlpd/daemon/logging.h"

#include <fcntl.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <memory>
#include <mutex>
#include <string_view>
#include <utility>

#include "dlpd/common/regular_file.h"
#include "dlpd/common/syslog_facility.h"

namespace dlp {
namespace {

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

// %~ : the message, with control characters escaped (newline as \n, the
// rest as \xNN): one event is one line in every log. Messages carry names
// from files (a policy statement's, a path) that must not start a line of
// their own, such as a forged "<2>" journald priority.
class EscapedMessage : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static constexpr char kHex[] = "0123456789abcdef";
    for (const char ch : msg.payload) {
      const auto c = static_cast<unsigned char>(ch);
      if (c >= 0x20 && c != 0x7f) {
        dest.push_back(ch);
      } else if (c == '\n') {
        dest.append(std::string_view("\\n"));
      } else {
        const char esc[4] = {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
        dest.append(esc, esc + 4);
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<EscapedMessage>();
  }
};

// A formatter for `pattern`, which may use %* and %~.
std::unique_ptr<spdlog::formatter> Formatter(const std::string& pattern,
                                             spdlog::pattern_time_type time) {
  auto f = std::make_unique<spdlog::pattern_formatter>(time);
  f->add_flag<PriorityPrefix>('*').add_flag<EscapedMessage>('~').set_pattern(pattern);
  return f;
}

// A file sink whose Reopen opens the path again (spdlog's basic file sink
// keeps writing to the file it first opened, wherever logrotate moved it),
// and opens it as dlpd opens its other files: never through a symbolic
// link, only a regular file with no other hard link
// (dlpd/common/regular_file.h). Started as root, dlpd opens its log before
// the drop, in a directory its user may write: a link planted there must
// not get root's appends.
class ReopenableFileSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  static Result<std::shared_ptr<ReopenableFileSink>> Open(const std::string& path) {
    auto fd = OpenLog(path);
    if (!fd) return fd.error();
    return std::shared_ptr<ReopenableFileSink>(new ReopenableFileSink(path, fd.value()));
  }
  ~ReopenableFileSink() override { ::close(fd_); }
  // The open file, not its path: the path may be another file by now.
  Status HandTo(unsigned uid, unsigned gid) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (::fchown(fd_, uid, gid) != 0)
      return Error{"log file " + path_ + ": " + std::strerror(errno)};
    return {};
  }
  Status Reopen() {
    auto fd = OpenLog(path_);
    if (!fd) return fd.error();
    std::lock_guard<std::mutex> lock(mutex_);
    ::close(fd_);
    fd_ = fd.value();
    return {};
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    // Each line at once (O_APPEND: whole lines, wherever others write), as
    // on stderr: dlpd logs little (no line per packet; repeated warnings
    // are rate-limited), and a buffered line is lost at a crash.
    for (size_t done = 0; done < line.size();) {
      const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // a full disk: the line is lost, nothing else is
      done += static_cast<size_t>(n);
    }
  }
  void flush_() override {}

 private:
  ReopenableFileSink(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  static Result<int> OpenLog(const std::string& path) {
    return OpenRegularFile("log file", path, O_WRONLY | O_APPEND | O_CREAT, 0640);
  }
  const std::string path_;
  int fd_;
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

constexpr const char* kUtcPattern = "%Y-%m-%dT%H:%M:%S.%eZ [%l] %~";

}  // namespace

Status SetUpLogging(const LogSettings& s) {
  std::shared_ptr<spdlog::logger> logger;
  try {
    if (s.target == "stderr") {
      auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
      sink->set_formatter(StderrIsJournal()
                              ? Formatter("%*%~", spdlog::pattern_time_type::local)
                              : Formatter(kUtcPattern, spdlog::pattern_time_type::utc));
      logger = std::make_shared<spdlog::logger>("dlpd", std::move(sink));
    } else if (s.target == "syslog") {
      const int code = SyslogFacilityCode(s.facility);
      if (code < 0) {
        return Error{"log facility '" + s.facility + "': not one of " + SyslogFacilityNames()};
      }
      const int facility = code << 3;  // syslog(3)'s LOG_DAEMON is 3 << 3
      // LOG_NDELAY: connected now, before the sandbox refuses new sockets.
      // (Formatting on: off, the sink sends the raw message, not %~'s.)
      auto sink = std::make_shared<spdlog::sinks::syslog_sink_mt>("dlpd", LOG_PID | LOG_NDELAY,
                                                                  facility, true);
      sink->set_formatter(Formatter("%~", spdlog::pattern_time_type::utc));
      logger = std::make_shared<spdlog::logger>("dlpd", std::move(sink));
    } else {
      auto opened = ReopenableFileSink::Open(s.target);
      if (!opened) return opened.error();
      auto sink = std::move(opened).value();
      sink->set_formatter(Formatter(kUtcPattern, spdlog::pattern_time_type::utc));
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

Status HandLogFileTo(unsigned uid, unsigned gid) {
  const auto& sink = FileSink();
  return sink == nullptr ? Status{} : sink->HandTo(uid, gid);
}

Status ReopenLogFile() {
  const auto& sink = FileSink();
  return sink == nullptr ? Status{} : sink->Reopen();
}

}  // namespace dlp
