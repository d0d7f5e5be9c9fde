// socks_load drives a SOCKS4 or SOCKS5 proxy (or, with --protocol=none, its
// own target servers directly, as a baseline) and prints one machine-readable
// `RESULT key=value ...` line per measurement; testing/load_generator.h
// describes the modes (connrate, throughput, hold) and what they report. This
// file only turns the flags into LoadOptions and runs the mode. Only
// 127.0.0.0/8 (and ::1 for the proxy) is ever contacted.
//
// Example:
//   socks_load --proxy=127.0.0.1:1080 --protocol=socks4 --mode=connrate
//       --threads=8 --duration=5s --label=rsockd
//   socks_load --proxy=127.0.0.1:1080 --protocol=socks5 --socks5_user=alice
//       --socks5_password=secret --mode=connrate --threads=8

#include <sys/resource.h>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gflags/gflags.h"
#include "glog/logging.h"
#include "net/address.h"
#include "testing/load_generator.h"
#include "testing/socks5_client.h"

DEFINE_string(mode, "connrate", "connrate | throughput | hold");
DEFINE_string(proxy, "",
              "ip:port of the SOCKS proxy (127.0.0.0/8 only); unused with "
              "--protocol=none");
DEFINE_string(protocol, "socks4",
              "socks4 | socks5 | none (straight to the embedded servers: the "
              "baseline)");
DEFINE_string(socks5_user, "",
              "socks5: RFC 1929 user name (1 to 255 bytes); with "
              "--socks5_password, offered besides no authentication");
DEFINE_string(socks5_password, "",
              "socks5: RFC 1929 password (1 to 255 bytes), for --socks5_user");
DEFINE_string(label, "", "name printed in RESULT lines, e.g. rsockd");
DEFINE_string(timeout, "10s",
              "bound on each blocking step: connect, handshake, read, write");
DEFINE_int32(source_addresses, 256,
             "spread client connections over this many source addresses "
             "127.1.x.y (0: let the kernel pick, i.e. 127.0.0.1)");
DEFINE_int32(server_threads, 1, "event-loop threads of each embedded server");
DEFINE_string(target_ip, "127.0.0.1",
              "loopback address the embedded servers listen on (127.0.0.1 is "
              "always direct for rsockd's routing: chains need another)");

DEFINE_string(duration, "5s", "connrate: how long to run");
DEFINE_int32(threads, 8, "connrate: client threads");
DEFINE_int64(max_connections, 5000000,
             "connrate: stop after this many connections in all");
DEFINE_int64(max_errors, 1000, "connrate: stop after this many failures");
DEFINE_int32(payload_bytes, 64, "connrate: bytes sent and echoed");

DEFINE_int32(streams, 1, "throughput: parallel streams");
DEFINE_int64(bytes, int64_t{1} << 30, "throughput: bytes written per stream");
DEFINE_int32(chunk_bytes, 256 << 10, "throughput: bytes per write(2)");
DEFINE_string(max_time, "300s",
              "throughput: bound on the whole run; hold: bound on opening the "
              "sessions, and again on the final check");

DEFINE_int32(sessions, 1000, "hold: sessions to open and hold");
DEFINE_int32(connect_concurrency, 32,
             "hold: sessions being opened at once (keeps the proxy's listen "
             "backlog from overflowing)");
DEFINE_string(hold_for, "120s",
              "hold: longest wait for a line on stdin before the final check "
              "(if stdin is at EOF, hold exactly this long)");

namespace {

bool ValidateDuration(const char* flag, const std::string& value) {
  absl::Duration d;
  if (absl::ParseDuration(value, &d) && d > absl::ZeroDuration()) return true;
  std::fprintf(stderr, "--%s: want a positive duration like 5s, got '%s'\n",
               flag, value.c_str());
  return false;
}
bool ValidatePositive32(const char* flag, int32_t value) {
  if (value > 0) return true;
  std::fprintf(stderr, "--%s must be positive\n", flag);
  return false;
}
bool ValidatePositive64(const char* flag, int64_t value) {
  if (value > 0) return true;
  std::fprintf(stderr, "--%s must be positive\n", flag);
  return false;
}
bool ValidateSourceAddresses(const char* flag, int32_t value) {
  if (value >= 0 && value <= 65000) return true;
  std::fprintf(stderr, "--%s must be in 0..65000\n", flag);
  return false;
}

bool ValidateTargetIp(const char* flag, const std::string& value) {
  const std::optional<rsockd::net::IpAddress> ip =
      rsockd::net::IpAddress::Parse(value);
  if (ip.has_value() && ip->is_ipv4() && ip->ipv4_host_order() >> 24 == 127) {
    return true;
  }
  std::fprintf(stderr, "--%s: want an address in 127.0.0.0/8, got '%s'\n", flag,
               value.c_str());
  return false;
}

}  // namespace

DEFINE_validator(target_ip, &ValidateTargetIp);
DEFINE_validator(timeout, &ValidateDuration);
DEFINE_validator(duration, &ValidateDuration);
DEFINE_validator(max_time, &ValidateDuration);
DEFINE_validator(hold_for, &ValidateDuration);
DEFINE_validator(threads, &ValidatePositive32);
DEFINE_validator(server_threads, &ValidatePositive32);
DEFINE_validator(payload_bytes, &ValidatePositive32);
DEFINE_validator(streams, &ValidatePositive32);
DEFINE_validator(chunk_bytes, &ValidatePositive32);
DEFINE_validator(sessions, &ValidatePositive32);
DEFINE_validator(connect_concurrency, &ValidatePositive32);
DEFINE_validator(max_connections, &ValidatePositive64);
DEFINE_validator(max_errors, &ValidatePositive64);
DEFINE_validator(bytes, &ValidatePositive64);
DEFINE_validator(source_addresses, &ValidateSourceAddresses);

namespace rsockd::testing {
namespace {

using net::IpAddress;
using net::SocketAddress;

absl::StatusOr<SocketAddress> ParseLoopbackAddress(absl::string_view text) {
  const size_t colon = text.rfind(':');
  uint32_t port = 0;
  if (colon == absl::string_view::npos ||
      !absl::SimpleAtoi(text.substr(colon + 1), &port) || port == 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "': want ip:port, e.g. 127.0.0.1:1080"));
  }
  absl::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::optional<IpAddress> ip = IpAddress::Parse(host);
  const IpAddress v6_loopback = *IpAddress::Parse("::1");
  if (!ip.has_value() ||
      !(ip->MatchesPrefix(IpAddress::FromIPv4(0x7f000000), 8) ||
        *ip == v6_loopback)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", text, "': only loopback proxies (127.0.0.0/8, ::1) are allowed"));
  }
  return SocketAddress(*ip, static_cast<uint16_t>(port));
}

// Raises the soft descriptor limit to the hard one (hold needs two per
// session).
void RaiseFileLimit() {
  rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 &&
      files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &files) != 0) {
      PLOG(WARNING) << "setrlimit(RLIMIT_NOFILE)";
    }
  }
}

// A flag's duration; the validators have already checked it.
absl::Duration DurationFlag(const std::string& value) {
  absl::Duration duration;
  CHECK(absl::ParseDuration(value, &duration)) << value;
  return duration;
}

// LoadOptions from the flags; every read of a flag is here.
absl::StatusOr<LoadOptions> OptionsFromFlags() {
  LoadOptions options;
  if (FLAGS_protocol == "socks4") {
    options.protocol = LoadProtocol::kSocks4;
  } else if (FLAGS_protocol == "socks5") {
    options.protocol = LoadProtocol::kSocks5;
  } else if (FLAGS_protocol == "none") {
    options.protocol = LoadProtocol::kNone;
  } else {
    return absl::InvalidArgumentError(
        "--protocol: want socks4, socks5 or none");
  }
  if (options.protocol != LoadProtocol::kNone) {
    absl::StatusOr<SocketAddress> proxy = ParseLoopbackAddress(FLAGS_proxy);
    if (!proxy.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--proxy: ", proxy.status().message()));
    }
    options.proxy = *proxy;
  }
  if (!FLAGS_socks5_user.empty() || !FLAGS_socks5_password.empty()) {
    if (options.protocol != LoadProtocol::kSocks5) {
      return absl::InvalidArgumentError(
          "--socks5_user and --socks5_password need --protocol=socks5");
    }
    // RFC 1929: ULEN and PLEN are 1 to 255.
    for (const std::string* field :
         {&FLAGS_socks5_user, &FLAGS_socks5_password}) {
      if (field->empty() || field->size() > 255) {
        return absl::InvalidArgumentError(
            "--socks5_user and --socks5_password: give both, each 1 to 255 "
            "bytes");
      }
    }
    options.socks5_credentials =
        Socks5Credentials{FLAGS_socks5_user, FLAGS_socks5_password};
  }
  if (FLAGS_mode == "connrate") {
    options.mode = LoadMode::kConnRate;
  } else if (FLAGS_mode == "throughput") {
    options.mode = LoadMode::kThroughput;
  } else if (FLAGS_mode == "hold") {
    options.mode = LoadMode::kHold;
  } else {
    return absl::InvalidArgumentError(
        "--mode: want connrate, throughput or hold");
  }
  options.label = FLAGS_label;
  options.timeout = DurationFlag(FLAGS_timeout);
  for (int k = 0; k < FLAGS_source_addresses; ++k) {
    options.sources.push_back(IpAddress::FromIPv4(0x7f010001 + k));  // 127.1.*
  }
  options.target_ip = *IpAddress::Parse(FLAGS_target_ip);
  options.server_threads = FLAGS_server_threads;

  options.connrate.duration = DurationFlag(FLAGS_duration);
  options.connrate.threads = FLAGS_threads;
  options.connrate.max_connections = FLAGS_max_connections;
  options.connrate.max_errors = FLAGS_max_errors;
  options.connrate.payload_bytes = FLAGS_payload_bytes;

  options.throughput.streams = FLAGS_streams;
  options.throughput.bytes = FLAGS_bytes;
  options.throughput.chunk_bytes = FLAGS_chunk_bytes;
  options.throughput.max_time = DurationFlag(FLAGS_max_time);

  options.hold.sessions = FLAGS_sessions;
  options.hold.connect_concurrency = FLAGS_connect_concurrency;
  options.hold.hold_for = DurationFlag(FLAGS_hold_for);
  options.hold.max_time = DurationFlag(FLAGS_max_time);
  return options;
}

int Main() {
  RaiseFileLimit();
  absl::StatusOr<LoadOptions> options = OptionsFromFlags();
  if (!options.ok()) {
    LOG(ERROR) << options.status().message();
    return 1;
  }
  const absl::StatusOr<LoadVerdict> verdict =
      RunLoad(*options, [](const std::string& line) {
        std::printf("%s\n", line.c_str());
        std::fflush(stdout);
      });
  if (!verdict.ok()) {
    LOG(ERROR) << verdict.status();
    return 1;
  }
  return *verdict == LoadVerdict::kClean ? 0 : 2;
}

}  // namespace
}  // namespace rsockd::testing

int main(int argc, char** argv) {
  FLAGS_logtostderr = true;
  gflags::SetUsageMessage(
      "socks_load --proxy=127.0.0.1:PORT --protocol=socks4|socks5|none "
      "[--socks5_user=U --socks5_password=P] "
      "--mode=connrate|throughput|hold [...]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  google::InitGoogleLogging(argv[0]);
  return rsockd::testing::Main();
}
