// HTTP/1.1 load for the inline benchmark (bench/nfqueue_bench.sh --http):
// real requests through the gateway, as web-API clients send them, instead
// of iperf3's random bytes.
//   http_load serve ADDR PORT OUT     an HTTP/1.1 server: parses every request
//                                     (http_parser, the library dlpd reads
//                                     HTTP with), answers each 200 once its
//                                     body is in, and on SIGTERM writes to OUT
//                                     "<requests> <bytes>": the requests that
//                                     arrived whole and their bytes on the wire
//   http_load post ADDR PORT FILE SECONDS CONNECTIONS [SOURCE_ADDR]
//                                     sends FILE (a stream of complete requests,
//                                     bench/api_corpus.py) over and over on each
//                                     connection, pipelined, for SECONDS, reading
//                                     the answers as they come
// A thread per connection: a few connections, each as fast as it can go.
#include <arpa/inet.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace {

std::atomic<uint64_t> g_requests{0};
std::atomic<uint64_t> g_bytes{0};
volatile std::sig_atomic_t g_stop = 0;

sockaddr_in Address(const char* addr, const char* port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(std::atoi(port)));
  if (inet_pton(AF_INET, addr, &a.sin_addr) != 1) {
    std::fprintf(stderr, "http_load: bad address %s\n", addr);
    std::exit(2);
  }
  return a;
}

// One connection of the server: requests parsed as they come, a 200 for
// each complete one.
void Serve(int fd) {
  static const char kReply[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  struct State {
    int fd;
    uint64_t replies = 0;
  } state{fd};
  http_parser parser;
  http_parser_init(&parser, HTTP_REQUEST);
  parser.data = &state;
  http_parser_settings settings;
  http_parser_settings_init(&settings);
  settings.on_message_complete = [](http_parser* p) {
    ++static_cast<State*>(p->data)->replies;
    return 0;
  };
  std::vector<char> buf(1 << 16);
  std::string out;
  for (;;) {
    const ssize_t n = read(fd, buf.data(), buf.size());
    if (n <= 0) break;
    state.replies = 0;
    const size_t used = http_parser_execute(&parser, &settings, buf.data(), static_cast<size_t>(n));
    g_bytes += used;
    if (used != static_cast<size_t>(n) || HTTP_PARSER_ERRNO(&parser) != HPE_OK) {
      std::fprintf(stderr, "http_load: bad request: %s\n",
                   http_errno_description(HTTP_PARSER_ERRNO(&parser)));
      break;
    }
    g_requests += state.replies;
    out.clear();
    for (uint64_t i = 0; i < state.replies; ++i) out.append(kReply, sizeof kReply - 1);
    for (size_t done = 0; done < out.size();) {
      const ssize_t w = write(fd, out.data() + done, out.size() - done);
      if (w <= 0) break;
      done += static_cast<size_t>(w);
    }
  }
  close(fd);
}

int ServeMain(const char* addr, const char* port, const char* out) {
  std::signal(SIGTERM, [](int) { g_stop = 1; });
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a = Address(addr, port);
  if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(s, 64) != 0) {
    std::perror("http_load: listen");
    return 1;
  }
  // glibc's signal() restarts accept: a timeout lets the loop see the flag.
  timeval tv{0, 200000};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  while (g_stop == 0) {
    const int fd = accept(s, nullptr, nullptr);
    if (fd < 0) continue;
    std::thread(Serve, fd).detach();
  }
  std::FILE* f = std::fopen(out, "w");
  if (f == nullptr) return 1;
  std::fprintf(f, "%llu %llu\n", static_cast<unsigned long long>(g_requests.load()),
               static_cast<unsigned long long>(g_bytes.load()));
  std::fclose(f);
  return 0;
}

int PostMain(const char* addr, const char* port, const char* file, double seconds, int conns,
             const char* source) {
  std::ifstream in(file, std::ios::binary);
  const std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (body.empty()) {
    std::fprintf(stderr, "http_load: %s is empty\n", file);
    return 2;
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int c = 0; c < conns; ++c) {
    threads.emplace_back([&] {
      const int fd = socket(AF_INET, SOCK_STREAM, 0);
      if (source != nullptr) {
        sockaddr_in from = Address(source, "0");
        if (bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
          ++failed;
          return;
        }
      }
      sockaddr_in a = Address(addr, port);
      if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ++failed;
        return;
      }
      std::thread reader([fd] {
        std::vector<char> buf(1 << 16);
        while (read(fd, buf.data(), buf.size()) > 0) {
        }
      });
      while (std::chrono::steady_clock::now() < until) {
        for (size_t done = 0; done < body.size();) {
          const ssize_t w = write(fd, body.data() + done, body.size() - done);
          if (w <= 0) {
            ++failed;
            break;
          }
          done += static_cast<size_t>(w);
        }
      }
      shutdown(fd, SHUT_WR);
      reader.join();
      close(fd);
    });
  }
  for (auto& t : threads) t.join();
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::strcmp(argv[1], "serve") == 0) return ServeMain(argv[2], argv[3], argv[4]);
  if ((argc == 7 || argc == 8) && std::strcmp(argv[1], "post") == 0) {
    return PostMain(argv[2], argv[3], argv[4], std::atof(argv[5]), std::atoi(argv[6]),
                    argc == 8 ? argv[7] : nullptr);
  }
  std::fprintf(stderr,
               "usage: http_load serve ADDR PORT OUT | post ADDR PORT FILE SECONDS CONNECTIONS "
               "[SOURCE_ADDR]\n");
  return 2;
}
