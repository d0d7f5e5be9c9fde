// This file defines the measurements of socks_load, the load generator of
// docs/benchmark.md: each drives a SOCKS4 or SOCKS5 proxy (or, with
// LoadProtocol::kNone, its own target servers directly, as a baseline)
// against EpollServer targets on a loopback address, and prints one
// machine-readable line that testing/bench.sh parses:
//
//   RESULT mode=<mode> label=<label> protocol=<protocol> key=value ...
//
// Modes:
//
//   connrate    `threads` clients, each in a loop: connect to the proxy,
//               authenticate (SOCKS5 with `socks5_credentials`), CONNECT to
//               the echo server, send `payload_bytes`, read them back and
//               verify, wait for the server's close, close.
//               Reports connections/s, p50/p99 latency and errors.
//   throughput  `streams` parallel sessions to the discard sink, each
//               writing `bytes` as fast as it can, then half-closing and
//               waiting for the close. Reports aggregate MiB/s.
//   hold        `sessions` sessions to the echo holder, each checked with a
//               ping, held open ("READY <n>" is printed) until a line arrives
//               on `go_ahead_fd` or `hold_for` passes (the caller measures
//               the proxy's memory meanwhile), then pinged again. Reports how
//               many sessions were lost.
//
// TIME_WAIT: a benchmark making tens of thousands of connections per second
// must not leave TIME_WAIT sockets on the sides that pick ephemeral ports (the
// client, and the proxy towards the target), or connect() starts failing with
// EADDRNOTAVAIL after ~28k connections. So the echo server closes first
// (EpollServer::Mode::kEchoThenClose), and the clients spread their source
// addresses over `sources` (socks_load: 127.1.x.y) with
// IP_BIND_ADDRESS_NO_PORT, which multiplies the 4-tuples available.

#ifndef RSOCKD_TESTING_LOAD_GENERATOR_H_
#define RSOCKD_TESTING_LOAD_GENERATOR_H_

#include <unistd.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/address.h"
#include "testing/socks5_client.h"

namespace rsockd::testing {

enum class LoadMode { kConnRate, kThroughput, kHold };
enum class LoadProtocol { kNone, kSocks4, kSocks5 };

// The names used in RESULT lines and socks_load's flags: "connrate",
// "throughput", "hold"; "none", "socks4", "socks5".
absl::string_view LoadModeName(LoadMode mode);
absl::string_view LoadProtocolName(LoadProtocol protocol);

// Everything one run needs; socks_load builds it from its flags.
struct LoadOptions {
  LoadMode mode = LoadMode::kConnRate;
  // Printed in RESULT lines; "-" when empty.
  std::string label;

  // How clients reach the targets.
  LoadProtocol protocol = LoadProtocol::kSocks4;
  net::SocketAddress proxy;  // unused for kNone
  // kSocks5 only: RFC 1929 username/password, offered besides "no
  // authentication" and sent when the proxy picks it. Without them only "no
  // authentication" is offered.
  std::optional<Socks5Credentials> socks5_credentials;
  // Bound on each blocking step: connect, handshake, read, write.
  absl::Duration timeout = absl::Seconds(10);
  // Source addresses to bind, round-robin; empty means the kernel's choice.
  std::vector<net::IpAddress> sources;

  // The target servers: where they listen and their event-loop threads.
  net::IpAddress target_ip = net::IpAddress::FromIPv4(0x7f000001);
  int server_threads = 1;

  struct ConnRate {
    absl::Duration duration = absl::Seconds(5);
    int threads = 8;
    // The run stops early after this many connections, or failures.
    int64_t max_connections = 5000000;
    int64_t max_errors = 1000;
    int payload_bytes = 64;
  } connrate;

  struct Throughput {
    int streams = 1;
    int64_t bytes = int64_t{1} << 30;  // per stream
    int chunk_bytes = 256 << 10;       // per write(2)
    absl::Duration max_time = absl::Seconds(300);
  } throughput;

  struct Hold {
    int sessions = 1000;
    // Sessions being opened at once (keeps the proxy's listen backlog from
    // overflowing).
    int connect_concurrency = 32;
    // Longest wait for a line on `go_ahead_fd`; at EOF on it, exactly this.
    absl::Duration hold_for = absl::Seconds(120);
    // Bound on opening the sessions, and again on the final check.
    absl::Duration max_time = absl::Seconds(300);
    int go_ahead_fd = STDIN_FILENO;
  } hold;
};

// Receives each line of output (RESULT, READY), without its newline.
using LineWriter = std::function<void(const std::string& line)>;

enum class LoadVerdict {
  kClean,   // every session went right
  kErrors,  // some failed; the RESULT line counts them
};

// Runs `options.mode` and writes its lines to `print`. Errors are setup
// failures: a target server that cannot start, or, for hold, a descriptor
// limit too low for the sessions asked for.
absl::StatusOr<LoadVerdict> RunLoad(const LoadOptions& options,
                                    const LineWriter& print);

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_LOAD_GENERATOR_H_
