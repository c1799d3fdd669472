// Syslog: the message, the sink and the forwarder's loop, over real
// loopback sockets (TCP, UDP, a local datagram socket). The loop runs in a
// thread here; dlpd runs it in a process of its own (tests/storage/
// syslog_test.sh covers that one, with a live dlpd).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "storage/syslog_sink.h"
#include "storage/syslog_transport.h"

namespace dlp {
namespace {

StoredIncident Stored(int64_t id, const std::string& rule = "pan") {
  Incident in;
  in.time_us = in.last_time_us = 1700000000123456LL;
  in.rule_id = rule;
  in.severity = rule == "pan" ? "critical" : "high";
  in.action = "mask";
  in.ip_version = 4;
  in.src_ip = "192.0.2.10";
  in.src_port = 40000;
  in.dst_ip = "198.51.100.20";
  in.dst_port = 80;
  in.flow_id = "f" + std::to_string(id);
  in.http_host = "shop.example";
  in.match_count = 3;
  in.in_clear = 1;
  in.masked_sample = "XXXX XXXX XXXX 1111";
  in.fingerprint = "00112233445566778899aabbccddeeff";
  return {id, in};
}

// Waits up to 5 s for `done`.
template <class F>
bool Eventually(F done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

// A listening TCP socket on loopback: port 0 for any, else that one again.
int Listen(uint16_t* port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(*port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(fd, 4) != 0) {
    close(fd);
    return -1;
  }
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  *port = ntohs(sa.sin_port);
  return fd;
}

int Accept(int listener) {
  pollfd p{listener, POLLIN, 0};
  if (poll(&p, 1, 5000) != 1) return -1;
  return accept(listener, nullptr, nullptr);
}

// Reads from a TCP connection until `n` octet-counted frames have come (or
// 5 s passed, or it closed); each frame's message.
std::vector<std::string> ReadFrames(int fd, size_t n, std::string* rest) {
  std::vector<std::string> out;
  std::string& buf = *rest;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (out.size() < n && std::chrono::steady_clock::now() < until) {
    const size_t sp = buf.find(' ');
    if (sp != std::string::npos) {
      const size_t len = std::strtoul(buf.substr(0, sp).c_str(), nullptr, 10);
      if (buf.size() >= sp + 1 + len) {
        out.push_back(buf.substr(sp + 1, len));
        buf.erase(0, sp + 1 + len);
        continue;
      }
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) != 1) continue;
    char tmp[4096];
    const ssize_t got = read(fd, tmp, sizeof tmp);
    if (got <= 0) break;
    buf.append(tmp, static_cast<size_t>(got));
  }
  return out;
}

// The forwarder's loop in a thread, fed by a SyslogSink over a socket pair.
struct Forwarding {
  Forwarding(const std::string& target, ForwarderOptions o) : options(o) {
    auto t = ParseSyslogTarget(target);
    EXPECT_TRUE(t.ok()) << t.error().message;
    parsed = t.value();
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    thread = std::thread([this, in = sv[1]] {
      RunSyslogForwarder(in, parsed, options, &stats);
      close(in);
    });
    SyslogFormat f;
    f.hostname = "sensor-1";
    sink = std::make_unique<SyslogSink>(sv[0], f, &stats, false);
  }
  // Closes the input: the loop sends what it holds (drain_ms) and ends.
  void End() {
    sink.reset();
    if (thread.joinable()) thread.join();
  }
  ~Forwarding() { End(); }
  ForwarderOptions options;
  SyslogTarget parsed;
  SyslogStats stats;
  std::thread thread;
  std::unique_ptr<SyslogSink> sink;
};

ForwarderOptions Quick() {
  ForwarderOptions o;
  o.backoff_min_ms = 50;
  o.backoff_max_ms = 200;
  o.drain_ms = 1000;
  o.settle_ms = 100;
  o.stable_ms = 300;
  return o;
}

TEST(SyslogTarget, ParsesEveryFormAndSaysWhatIsWrong) {
  auto tcp = ParseSyslogTarget("tcp://siem.example:6514");
  ASSERT_TRUE(tcp.ok());
  EXPECT_EQ(tcp.value().transport, SyslogTarget::Transport::kTcp);
  EXPECT_EQ(tcp.value().host, "siem.example");
  EXPECT_EQ(tcp.value().port, "6514");
  auto v6 = ParseSyslogTarget("udp://[2001:db8::1]:514");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6.value().transport, SyslogTarget::Transport::kUdp);
  EXPECT_EQ(v6.value().host, "2001:db8::1");
  auto plain = ParseSyslogTarget("127.0.0.1:514");  // the older form: UDP
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain.value().transport, SyslogTarget::Transport::kUdp);
  auto unix_target = ParseSyslogTarget("unix:/dev/log");
  ASSERT_TRUE(unix_target.ok());
  EXPECT_EQ(unix_target.value().path, "/dev/log");
  for (const char* bad :
       {"nohost", "tcp://host", "tcp://:514", "tcp://host:0", "tcp://host:65536", "tcp://host:http",
        "tls://host:6514", "2001:db8::1:514", "unix:", "unix:relative/path", "tcp://a b:514"}) {
    auto r = ParseSyslogTarget(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
    }
  }
  EXPECT_FALSE(ParseSyslogTarget("unix:/" + std::string(200, 'a')).ok());
}

TEST(SyslogMessage, FacilityEnterpriseAndEscapes) {
  StoredIncident r = Stored(7);
  r.incident.http_host = "evil\"]host";
  SyslogFormat f;
  f.hostname = "gw 1";  // no space in a header field
  const std::string m = SyslogMessage(r, f, 42);
  // <local0 * 8 + crit(2)>1 TIMESTAMP HOST dlpd PID incident [SD] MSG
  EXPECT_EQ(m.rfind("<130>1 2023-11-14T22:13:20.123456Z gw1 dlpd 42 incident [dlp@32473 id=\"7\" "
                    "rule=\"pan\"",
                    0),
            0u)
      << m;
  EXPECT_NE(m.find("count=\"3\" in_clear=\"1\""), std::string::npos) << m;
  EXPECT_NE(m.find("host=\"evil\\\"\\]host\"]"), std::string::npos) << m;  // escaped
  EXPECT_NE(m.find("] pan mask 192.0.2.10:40000 -> 198.51.100.20:80 count=3"), std::string::npos)
      << m;
  f.facility = 19;  // local3
  f.enterprise = 99999;
  const std::string high = SyslogMessage(Stored(8, "us-ssn"), f, 42);
  EXPECT_EQ(high.rfind("<155>1 ", 0), 0u) << high;  // 19 * 8 + high(3)
  EXPECT_NE(high.find("[dlp@99999 id=\"8\""), std::string::npos) << high;
}

TEST(SyslogForwarder, TcpOctetCountingAndReconnectAfterTheCollectorRestarts) {
  uint16_t port = 0;
  int listener = Listen(&port);
  ASSERT_GE(listener, 0);
  Forwarding fw("tcp://127.0.0.1:" + std::to_string(port), Quick());
  ASSERT_TRUE(fw.sink->Write({Stored(1), Stored(2)}).ok());
  int conn = Accept(listener);
  ASSERT_GE(conn, 0);
  std::string rest;
  auto got = ReadFrames(conn, 2, &rest);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_NE(got[0].find("id=\"1\""), std::string::npos) << got[0];
  EXPECT_NE(got[1].find("id=\"2\""), std::string::npos) << got[1];
  EXPECT_TRUE(Eventually([&] { return fw.stats.sent.load() == 2; }));
  EXPECT_EQ(fw.stats.connected.load(), 1u);

  // The collector goes away (its connection and its listener), messages
  // come meanwhile: they wait, none is lost.
  close(conn);
  close(listener);
  EXPECT_TRUE(Eventually([&] { return fw.stats.connected.load() == 0; }));
  ASSERT_TRUE(fw.sink->Write({Stored(3), Stored(4), Stored(5)}).ok());
  EXPECT_TRUE(Eventually([&] { return fw.stats.queued.load() == 3; }));
  EXPECT_TRUE(Eventually([&] { return fw.stats.connect_failures.load() >= 2; }));  // backoff
  // It comes back on the same port: the forwarder connects again by itself.
  listener = Listen(&port);
  ASSERT_GE(listener, 0);
  conn = Accept(listener);
  ASSERT_GE(conn, 0);
  rest.clear();
  got = ReadFrames(conn, 3, &rest);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_NE(got[0].find("id=\"3\""), std::string::npos) << got[0];
  EXPECT_NE(got[2].find("id=\"5\""), std::string::npos) << got[2];
  EXPECT_TRUE(Eventually([&] { return fw.stats.sent.load() == 5; }));
  EXPECT_EQ(fw.stats.connects.load(), 2u);
  EXPECT_EQ(fw.stats.dropped.load(), 0u);
  EXPECT_EQ(fw.sink->dropped(), 0u);
  // What dlpd hands over just before it stops is still sent.
  ASSERT_TRUE(fw.sink->Write({Stored(6)}).ok());
  fw.End();
  got = ReadFrames(conn, 1, &rest);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].find("id=\"6\""), std::string::npos) << got[0];
  close(conn);
  close(listener);
}

// A collector that closes with data unread resets the connection: what the
// kernel had taken was never read. Those messages go again on the next
// connection (resent), and a connection that ends at once counts as a
// failure to connect (the backoff grows), not as a working one.
TEST(SyslogForwarder, WhatAResetConnectionHadTakenGoesAgain) {
  uint16_t port = 0;
  const int listener = Listen(&port);
  ASSERT_GE(listener, 0);
  ForwarderOptions o = Quick();
  o.settle_ms = 3000;  // room for the test's own steps under a slow build
  o.stable_ms = 6000;
  Forwarding fw("tcp://127.0.0.1:" + std::to_string(port), o);
  ASSERT_TRUE(fw.sink->Write({Stored(1), Stored(2), Stored(3)}).ok());
  int conn = Accept(listener);
  ASSERT_GE(conn, 0);
  ASSERT_TRUE(Eventually([&] {
    int unread = 0;
    return ioctl(conn, FIONREAD, &unread) == 0 && unread > 0;
  }));
  const linger reset{1, 0};
  setsockopt(conn, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  close(conn);  // unread data: a reset
  EXPECT_TRUE(Eventually([&] { return fw.stats.resent.load() == 3; })) << fw.stats.resent.load();
  EXPECT_EQ(fw.stats.sent.load(), 0u);  // none counted as delivered
  conn = Accept(listener);
  ASSERT_GE(conn, 0);
  std::string rest;
  const auto got = ReadFrames(conn, 3, &rest);
  ASSERT_EQ(got.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NE(got[i].find("id=\"" + std::to_string(i + 1) + "\""), std::string::npos) << got[i];
  }
  EXPECT_TRUE(Eventually([&] { return fw.stats.sent.load() == 3; }));
  EXPECT_GE(fw.stats.connect_failures.load(), 1u);  // the connection that ended at once
  EXPECT_EQ(fw.stats.dropped.load(), 0u);
  fw.End();
  close(conn);
  close(listener);
}

TEST(SyslogForwarder, LineFramingForCollectorsThatSplitOnNewlines) {
  uint16_t port = 0;
  const int listener = Listen(&port);
  ASSERT_GE(listener, 0);
  ForwarderOptions o = Quick();
  o.lf_framing = true;
  Forwarding fw("tcp://localhost:" + std::to_string(port), o);  // a name, resolved
  StoredIncident r = Stored(1);
  r.incident.masked_sample = "XXX\nXXX";  // a line break would split the message
  ASSERT_TRUE(fw.sink->Write({r, Stored(2)}).ok());
  const int conn = Accept(listener);
  ASSERT_GE(conn, 0);
  std::string text;
  ASSERT_TRUE(Eventually([&] {
    char tmp[4096];
    pollfd p{conn, POLLIN, 0};
    if (poll(&p, 1, 0) == 1) {
      const ssize_t n = read(conn, tmp, sizeof tmp);
      if (n > 0) text.append(tmp, static_cast<size_t>(n));
    }
    return std::count(text.begin(), text.end(), '\n') == 2;
  }));
  EXPECT_EQ(text.rfind("<130>1 ", 0), 0u) << text;
  EXPECT_NE(text.find("sample=\"XXX XXX\""), std::string::npos) << text;
  EXPECT_NE(text.find("\n<130>1 "), std::string::npos) << text;
  close(conn);
  close(listener);
}

TEST(SyslogForwarder, AFullQueueDropsNewMessagesCounted) {
  uint16_t port = 0;
  const int listener = Listen(&port);  // bound, then closed: nobody listens there
  ASSERT_GE(listener, 0);
  close(listener);
  ForwarderOptions o = Quick();
  o.queue_bytes = 3 * SyslogMessage(Stored(100), SyslogFormat{"sensor-1"}, getpid()).size() + 10;
  o.drain_ms = 100;
  Forwarding fw("tcp://127.0.0.1:" + std::to_string(port), o);
  std::vector<StoredIncident> ten;
  for (int i = 100; i < 110; ++i) ten.push_back(Stored(i));
  ASSERT_TRUE(fw.sink->Write(ten).ok());  // the sink hands all over: the forwarder counts
  EXPECT_TRUE(Eventually([&] { return fw.stats.dropped.load() == 7; }));
  EXPECT_EQ(fw.stats.queued.load(), 3u);
  EXPECT_EQ(fw.sink->dropped(), 7u);
  fw.End();  // what still waits at the end is lost too, and counted
  EXPECT_EQ(fw.stats.dropped.load(), 10u);
  EXPECT_EQ(fw.stats.sent.load(), 0u);
}

TEST(SyslogForwarder, UdpDatagramsWithoutFraming) {
  const int rx = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(rx, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(rx, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  socklen_t len = sizeof sa;
  getsockname(rx, reinterpret_cast<sockaddr*>(&sa), &len);
  timeval tv{5, 0};
  setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ForwarderOptions o = Quick();
  o.datagram_refresh_ms = 0;  // resolved and connected again before every send
  Forwarding fw("udp://127.0.0.1:" + std::to_string(ntohs(sa.sin_port)), o);
  ASSERT_TRUE(fw.sink->Write({Stored(1)}).ok());
  ASSERT_TRUE(Eventually([&] { return fw.stats.sent.load() == 1; }));
  ASSERT_TRUE(fw.sink->Write({Stored(2)}).ok());
  for (const char* id : {"id=\"1\"", "id=\"2\""}) {
    char buf[9000];
    const ssize_t n = recv(rx, buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    const std::string m(buf, static_cast<size_t>(n));
    EXPECT_EQ(m.rfind("<130>1 ", 0), 0u) << m;  // the message alone, no length
    EXPECT_NE(m.find(id), std::string::npos) << m;
  }
  EXPECT_GE(fw.stats.connects.load(), 2u);  // the name resolved again
  EXPECT_EQ(fw.stats.dropped.load(), 0u);
  close(rx);
}

TEST(SyslogForwarder, LocalSocketOfASyslogDaemonThatRestarts) {
  char dir[] = "/tmp/dlp-syslog-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/log";
  auto bind_dgram = [&] {
    const int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    std::snprintf(un.sun_path, sizeof un.sun_path, "%s", path.c_str());
    unlink(path.c_str());
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&un), sizeof un), 0);
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
  };
  auto receive = [](int fd) {
    char buf[9000];
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  };
  int rx = bind_dgram();
  Forwarding fw("unix:" + path, Quick());
  ASSERT_TRUE(fw.sink->Write({Stored(1)}).ok());
  EXPECT_NE(receive(rx).find("id=\"1\""), std::string::npos);
  // The daemon restarts: a new socket at the same path. The old connection
  // is refused; the message waits and goes to the new one.
  close(rx);
  rx = bind_dgram();
  ASSERT_TRUE(fw.sink->Write({Stored(2)}).ok());
  EXPECT_NE(receive(rx).find("id=\"2\""), std::string::npos);
  EXPECT_EQ(fw.stats.connects.load(), 2u);
  EXPECT_EQ(fw.stats.dropped.load(), 0u);
  close(rx);
  unlink(path.c_str());
  rmdir(dir);
}

TEST(SyslogSink, NeverWaitsForAForwarderThatDoesNotRead) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  SyslogSink sink(sv[0], SyslogFormat{"sensor-1"}, nullptr, false);
  std::vector<StoredIncident> batch;
  for (int i = 0; i < 1000; ++i) batch.push_back(Stored(i));
  const auto began = std::chrono::steady_clock::now();
  bool failed = false;
  for (int round = 0; round < 20; ++round) failed = !sink.Write(batch).ok() || failed;
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(5));
  EXPECT_TRUE(failed);               // reported to the writer
  EXPECT_GT(sink.dropped(), 1000u);  // 20,000 messages of ~300 bytes: most do not fit
  // Whole frames only: what the reader gets parses frame by frame.
  uint32_t len = 0;
  ASSERT_EQ(read(sv[1], &len, 4), 4);
  std::string first(len, '\0');
  ASSERT_EQ(read(sv[1], first.data(), len), static_cast<ssize_t>(len));
  EXPECT_EQ(first.rfind("<130>1 ", 0), 0u);
  // The forwarder gone: each later message is lost, said and counted.
  close(sv[1]);
  const uint64_t before = sink.dropped();
  auto st = sink.Write({Stored(1)});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("ended"), std::string::npos) << st.error().message;
  EXPECT_GT(sink.dropped(), before);
}

TEST(SyslogProbe, ResolvesAndTriesTheConnection) {
  uint16_t port = 0;
  const int listener = Listen(&port);
  ASSERT_GE(listener, 0);
  auto up = ProbeSyslogTarget(ParseSyslogTarget("tcp://127.0.0.1:" + std::to_string(port)).value());
  EXPECT_TRUE(up.problem.empty() && up.warning.empty()) << up.problem << up.warning;
  close(listener);
  auto down =
      ProbeSyslogTarget(ParseSyslogTarget("tcp://127.0.0.1:" + std::to_string(port)).value());
  EXPECT_TRUE(down.problem.empty());
  EXPECT_NE(down.warning.find("refused"), std::string::npos) << down.warning;
  auto unknown = ProbeSyslogTarget(ParseSyslogTarget("tcp://no-such-host.invalid:514").value());
  EXPECT_NE(unknown.problem.find("no-such-host.invalid"), std::string::npos) << unknown.problem;
}

}  // namespace
}  // namespace dlp
