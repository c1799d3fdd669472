// Getting syslog messages to a collector that may be down, slow, moved or
// restarted: the forwarder's loop. dlpd's writer thread hands it messages
// over a local stream socket (SyslogSink, syslog_sink.h); the loop keeps a
// bounded queue, connects (and after a failure connects again, resolving the
// name again, with backoff from 0.5 s to 30 s; over UDP also every 5
// minutes, since a datagram to a moved collector fails unseen), frames each
// message for the transport and sends it. It runs in a process of its own
// (dlpd/daemon/syslog_forwarder.h): the packet path's sandbox refuses new
// sockets, and a reconnect needs one.
//
// Transports:
//   tcp://HOST:PORT  RFC 6587: octet counting ("LEN SP MSG"), or a line
//                    each (--syslog-framing lf) for collectors that only
//                    split on newlines;
//   udp://HOST:PORT  RFC 5426, a datagram each (also plain HOST:PORT);
//   unix:PATH        a local datagram socket (/dev/log, rsyslog imuxsock).
// [v6]:PORT for IPv6 literals. Hand-written: no Debian-packaged library
// sends RFC 5424 over TCP with reconnects (liblogging-stdlog is local only;
// rsyslog's omfwd is a plugin of rsyslog).
//
// Delivery. Over TCP a message counts as sent once written and not reset
// within 5 s; a reset in that time (a collector that closes with data
// unread, or dies) sends it again on the next connection, first (counted
// in `resent`: the collector may see it twice). A collector that closes
// its end in order has read what came, and is noticed before the next
// send, so an orderly restart costs nothing. TCP keepalive notices a host
// that vanished without a reset in about 90 s. What is lost, counted in
// `dropped`: messages that arrive while the queue (in-flight ones included)
// holds its limit in bytes, and what still waits when dlpd stops and the
// drain ends. What cannot be known: a message the collector read and then
// lost, or one reset more than 5 s after it went (RELP would say). Over
// UDP whatever the network drops is unseen. A connection that ends within
// 10 s counts as a failure to connect: the backoff grows.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "dlpd/common/result.h"

namespace dlp {

struct SyslogTarget {
  enum class Transport { kUdp, kTcp, kUnix };
  Transport transport = Transport::kUdp;
  std::string host, port;  // kUdp, kTcp
  std::string path;        // kUnix
  std::string text;        // as given, for messages
};

// Parses a --syslog value. Resolves nothing.
Result<SyslogTarget> ParseSyslogTarget(const std::string& text);

// For --check: resolves the name (a failure is a problem), and for TCP
// tries one connection (a refusal is only a warning: the forwarder waits
// for the collector). Sends nothing.
struct SyslogProbe {
  std::string problem, warning;  // empty: none
};
SyslogProbe ProbeSyslogTarget(const SyslogTarget& target);

// The forwarder's counters. Lives in memory both processes map (or in a
// test's own); the forwarder writes, dlpd reads. Lock-free atomics, so
// sharing them across processes is defined on every platform dlpd builds on.
struct SyslogStats {
  std::atomic<uint64_t> sent{0};              // messages delivered (see above)
  std::atomic<uint64_t> resent{0};            // sent again after a TCP reset
  std::atomic<uint64_t> dropped{0};           // lost in the forwarder (see above)
  std::atomic<uint64_t> queued{0};            // waiting now
  std::atomic<uint64_t> connects{0};          // connections made, the first included
  std::atomic<uint64_t> connect_failures{0};  // attempts that failed (each address)
  std::atomic<uint64_t> connected{0};         // 1 while connected
  // Messages dlpd wrote whole into the socket pair (its sink counts them)
  // and the forwarder read from it: should the forwarder die, the
  // difference died in the socket with it.
  std::atomic<uint64_t> handed{0};
  std::atomic<uint64_t> received{0};
};
static_assert(std::atomic<uint64_t>::is_always_lock_free);

struct ForwarderOptions {
  bool lf_framing = false;  // TCP: a line each instead of octet counting
  size_t queue_bytes = size_t{8} << 20;
  int64_t backoff_min_ms = 500;
  int64_t backoff_max_ms = 30000;
  int64_t connect_timeout_ms = 5000;
  // TCP: how long a written message may still be lost to a reset (and is
  // then sent again), and how long a connection must last before its loss
  // no longer counts as a failure to connect.
  int64_t settle_ms = 5000;
  int64_t stable_ms = 10000;
  // UDP and local datagrams report no failure when the name moves: the
  // name is resolved (and the socket connected) again this often.
  int64_t datagram_refresh_ms = 300000;
  // Once dlpd closes its end: how long what is queued may still take.
  int64_t drain_ms = 3000;
  // Called after every wake of the loop (a signal's included): the process
  // reopens its log file there after a rotation. May be empty.
  std::function<void()> on_wake;
};

// The input's framing: each message as a 4-byte length (host order: the
// same machine writes and reads) and its bytes.
constexpr size_t kMaxSyslogMessage = 8192;  // RFC 5425's receivers take 8 KiB
std::string SyslogInputFrame(const std::string& message);

// Reads messages from `input` (a stream socket) until dlpd closes it, then
// sends what is queued for up to drain_ms, and returns. `input` is made
// non-blocking. Logs state changes (connected, lost, failing) through
// spdlog. Not thread-safe: one loop per input.
void RunSyslogForwarder(int input, const SyslogTarget& target, const ForwarderOptions& options,
                        SyslogStats* stats);

}  // namespace dlp
