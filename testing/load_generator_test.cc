#include "testing/load_generator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/socket.h"
#include "testing/socket_io.h"
#include "testing/socks4_client.h"
#include "testing/socks5_client.h"
#include "testing/status_matchers.h"
#include "testing/tcp_servers.h"

namespace rsockd::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

constexpr absl::Duration kTimeout = absl::Seconds(60);

// The lines a run printed, in order.
class Lines {
 public:
  LineWriter writer() {
    return [this](const std::string& line) {
      absl::MutexLock lock(&mu_);
      lines_.push_back(line);
    };
  }
  std::vector<std::string> lines() const {
    absl::MutexLock lock(&mu_);
    return lines_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
};

// The key=value pairs of a RESULT line, as bench.sh reads them.
std::map<std::string, std::string> Fields(const std::string& line) {
  std::map<std::string, std::string> fields;
  for (absl::string_view token : absl::StrSplit(line, ' ')) {
    const std::vector<std::string> kv = absl::StrSplit(token, '=');
    if (kv.size() == 2) fields[kv[0]] = kv[1];
  }
  return fields;
}

int64_t Number(const std::map<std::string, std::string>& fields,
               const std::string& key) {
  int64_t value = -1;
  const auto it = fields.find(key);
  if (it == fields.end() || !absl::SimpleAtoi(it->second, &value)) return -1;
  return value;
}

LoadOptions Options(LoadMode mode, LoadProtocol protocol) {
  LoadOptions options;
  options.mode = mode;
  options.label = "test";
  options.protocol = protocol;
  // A few source addresses, as socks_load uses 127.1.x.y.
  for (uint32_t k = 0; k < 4; ++k) {
    options.sources.push_back(net::IpAddress::FromIPv4(0x7f010001 + k));
  }
  options.connrate.duration = absl::Milliseconds(300);
  options.connrate.threads = 2;
  options.throughput.streams = 2;
  options.throughput.bytes = 3 << 20;
  options.throughput.chunk_bytes = 64 << 10;
  options.throughput.max_time = kTimeout;
  options.hold.sessions = 20;
  options.hold.connect_concurrency = 4;
  options.hold.hold_for = kTimeout;
  options.hold.max_time = kTimeout;
  return options;
}

// A minimal CONNECT-only SOCKS4 or SOCKS5 proxy for the load generator's
// exact requests (SOCKS4 USERID "bench"; SOCKS5 IPv4, with no authentication
// or, given `credentials`, RFC 1929 and nothing else): it connects to the
// destination and relays both ways until both end.
class RelayProxy {
 public:
  explicit RelayProxy(LoadProtocol protocol,
                      std::optional<Socks5Credentials> credentials = {})
      : protocol_(protocol), credentials_(std::move(credentials)) {
    server_ = *TcpServer::Start(
        [this](net::Socket client, const net::StopSignal& stop) {
          Serve(std::move(client), stop);
        });
  }
  const net::SocketAddress& address() const { return server_->address(); }
  int accepted() const { return server_->accepted(); }
  // RFC 1929 exchanges that matched `credentials`, and those that did not.
  int authenticated() const { return authenticated_.load(); }
  int refused() const { return refused_.load(); }

 private:
  void Serve(net::Socket client, const net::StopSignal& stop) {
    const net::Deadline deadline = net::Deadline::In(kTimeout, &stop);
    net::SocketAddress destination;
    std::string reply;
    if (protocol_ == LoadProtocol::kSocks4) {
      absl::StatusOr<std::string> request = ReadExactly(client, 14, deadline);
      if (!request.ok() || request->substr(8) != std::string("bench\0", 6)) {
        return;
      }
      const auto* bytes = reinterpret_cast<const uint8_t*>(request->data());
      destination = net::SocketAddress(net::IpAddress::FromIPv4Bytes(bytes + 4),
                                       bytes[2] << 8 | bytes[3]);
      reply = std::string("\0\x5a\0\0\0\0\0\0", 8);
    } else {
      // With credentials the client offers both methods; this proxy picks
      // username/password.
      const std::string offer = credentials_.has_value()
                                    ? std::string("\x05\x02\x00\x02", 4)
                                    : std::string("\x05\x01\x00", 3);
      const std::string choice(
          credentials_.has_value() ? "\x05\x02" : "\x05\x00", 2);
      absl::StatusOr<std::string> greeting =
          ReadExactly(client, offer.size(), deadline);
      if (!greeting.ok() || *greeting != offer ||
          !client.WriteAll(choice, deadline).ok()) {
        return;
      }
      if (credentials_.has_value() && !Authenticate(client, deadline)) return;
      absl::StatusOr<std::string> request = ReadExactly(client, 10, deadline);
      if (!request.ok() ||
          request->substr(0, 4) != std::string("\5\1\0\1", 4)) {
        return;
      }
      const auto* bytes = reinterpret_cast<const uint8_t*>(request->data());
      destination = net::SocketAddress(net::IpAddress::FromIPv4Bytes(bytes + 4),
                                       bytes[8] << 8 | bytes[9]);
      reply = std::string("\5\0\0\1\0\0\0\0\0\0", 10);
    }
    absl::StatusOr<net::Socket> target =
        net::Socket::Connect(destination, std::nullopt, deadline);
    if (!target.ok() || !client.WriteAll(reply, deadline).ok()) return;
    std::thread up([&] {
      Copy(client, *target, stop);
      target->ShutdownWrite();
    });
    Copy(*target, client, stop);
    client.ShutdownWrite();
    up.join();
  }

  // Reads VER=1 | ULEN | UNAME | PLEN | PASSWD and answers VER=1 with
  // STATUS 0 when they are `credentials_`, 1 otherwise. True on success.
  bool Authenticate(net::Socket& client, const net::Deadline& deadline) {
    absl::StatusOr<std::string> head = ReadExactly(client, 2, deadline);
    if (!head.ok() || (*head)[0] != 1) return false;
    absl::StatusOr<std::string> user =
        ReadExactly(client, static_cast<uint8_t>((*head)[1]), deadline);
    if (!user.ok()) return false;
    absl::StatusOr<std::string> length = ReadExactly(client, 1, deadline);
    if (!length.ok()) return false;
    absl::StatusOr<std::string> password =
        ReadExactly(client, static_cast<uint8_t>((*length)[0]), deadline);
    if (!password.ok()) return false;
    const bool match =
        *user == credentials_->user && *password == credentials_->password;
    // Counted before the reply, which the client waits for.
    (match ? authenticated_ : refused_).fetch_add(1);
    return client.WriteAll(std::string(match ? "\1\0" : "\1\1", 2), deadline)
               .ok() &&
           match;
  }

  static void Copy(net::Socket& from, net::Socket& to,
                   const net::StopSignal& stop) {
    uint8_t buffer[64 << 10];
    for (;;) {
      absl::StatusOr<size_t> n = from.ReadSome(
          absl::MakeSpan(buffer), net::Deadline::In(kTimeout, &stop));
      if (!n.ok() || *n == 0) return;
      if (!to.WriteAll(absl::MakeConstSpan(buffer, *n),
                       net::Deadline::In(kTimeout, &stop))
               .ok()) {
        return;
      }
    }
  }

  const LoadProtocol protocol_;
  const std::optional<Socks5Credentials> credentials_;
  std::atomic<int> authenticated_{0};
  std::atomic<int> refused_{0};
  std::unique_ptr<TcpServer> server_;
};

// What a clean run through a RelayProxy printed, and how many connections
// the proxy saw.
struct ProxiedRun {
  std::vector<std::string> lines;
  int proxy_accepted = 0;
};

ProxiedRun RunThroughProxy(LoadMode mode, LoadProtocol protocol) {
  RelayProxy proxy(protocol);
  LoadOptions options = Options(mode, protocol);
  options.proxy = proxy.address();
  Lines lines;
  EXPECT_THAT(RunLoad(options, lines.writer()),
              IsOkAndHolds(LoadVerdict::kClean));
  return {lines.lines(), proxy.accepted()};
}

TEST(LoadGeneratorTest, NamesAreThoseOfTheFlagsAndResultLines) {
  EXPECT_EQ(LoadModeName(LoadMode::kConnRate), "connrate");
  EXPECT_EQ(LoadModeName(LoadMode::kThroughput), "throughput");
  EXPECT_EQ(LoadModeName(LoadMode::kHold), "hold");
  EXPECT_EQ(LoadProtocolName(LoadProtocol::kNone), "none");
  EXPECT_EQ(LoadProtocolName(LoadProtocol::kSocks4), "socks4");
  EXPECT_EQ(LoadProtocolName(LoadProtocol::kSocks5), "socks5");
}

// The exact shape of the line bench.sh parses.
constexpr char kConnRateLine[] =
    "RESULT mode=connrate label=test protocol=%s threads=2 "
    "seconds=[0-9]+\\.[0-9]{2} connections=[0-9]+ conn_per_s=[0-9]+ "
    "p50_us=[0-9]+ p99_us=[0-9]+ max_us=[0-9]+ errors=0";

TEST(LoadGeneratorTest, ConnRateDirect) {
  Lines lines;
  ASSERT_THAT(RunLoad(Options(LoadMode::kConnRate, LoadProtocol::kNone),
                      lines.writer()),
              IsOkAndHolds(LoadVerdict::kClean));
  ASSERT_THAT(
      lines.lines(),
      ElementsAre(MatchesRegex(absl::StrFormat(kConnRateLine, "none"))));
  const auto fields = Fields(lines.lines()[0]);
  EXPECT_GT(Number(fields, "connections"), 0);
  EXPECT_LE(Number(fields, "p50_us"), Number(fields, "p99_us"));
  EXPECT_LE(Number(fields, "p99_us"), Number(fields, "max_us"));
}

TEST(LoadGeneratorTest, ConnRateThroughSocks4AndSocks5) {
  for (LoadProtocol protocol : {LoadProtocol::kSocks4, LoadProtocol::kSocks5}) {
    SCOPED_TRACE(std::string(LoadProtocolName(protocol)));
    const ProxiedRun run = RunThroughProxy(LoadMode::kConnRate, protocol);
    ASSERT_THAT(run.lines,
                ElementsAre(MatchesRegex(absl::StrFormat(
                    kConnRateLine, std::string(LoadProtocolName(protocol))))));
    const int64_t connections = Number(Fields(run.lines[0]), "connections");
    EXPECT_GT(connections, 0);
    EXPECT_GE(run.proxy_accepted, connections);
  }
}

TEST(LoadGeneratorTest, ConnRateCountsFailuresAndStopsAtMaxErrors) {
  ASSERT_OK_AND_ASSIGN(net::Socket closed, ReserveClosedPort());
  ASSERT_OK_AND_ASSIGN(const net::SocketAddress refusing,
                       closed.LocalAddress());
  LoadOptions options = Options(LoadMode::kConnRate, LoadProtocol::kSocks4);
  options.proxy = refusing;
  options.connrate.duration = kTimeout;  // ends at max_errors, long before
  options.connrate.max_errors = 5;
  Lines lines;
  const absl::Time start = absl::Now();
  ASSERT_THAT(RunLoad(options, lines.writer()),
              IsOkAndHolds(LoadVerdict::kErrors));
  EXPECT_LT(absl::Now() - start, kTimeout);
  ASSERT_EQ(lines.lines().size(), 1);
  const auto fields = Fields(lines.lines()[0]);
  EXPECT_EQ(Number(fields, "connections"), 0);
  // Each thread stops once the count reaches the limit; both may be in a
  // session when it does.
  EXPECT_GE(Number(fields, "errors"), 5);
  EXPECT_LE(Number(fields, "errors"), 5 + options.connrate.threads);
}

TEST(LoadGeneratorTest, ConnRateThroughSocks5WithCredentials) {
  const Socks5Credentials credentials{"bench-user", "bench-password"};
  RelayProxy proxy(LoadProtocol::kSocks5, credentials);
  LoadOptions options = Options(LoadMode::kConnRate, LoadProtocol::kSocks5);
  options.proxy = proxy.address();
  options.socks5_credentials = credentials;
  Lines lines;
  ASSERT_THAT(RunLoad(options, lines.writer()),
              IsOkAndHolds(LoadVerdict::kClean));
  ASSERT_THAT(
      lines.lines(),
      ElementsAre(MatchesRegex(absl::StrFormat(kConnRateLine, "socks5"))));
  // Every session counted went through the RFC 1929 exchange.
  const int64_t connections = Number(Fields(lines.lines()[0]), "connections");
  EXPECT_GT(connections, 0);
  EXPECT_GE(proxy.authenticated(), connections);
  EXPECT_EQ(proxy.refused(), 0);
}

TEST(LoadGeneratorTest, ConnRateCountsRefusedCredentialsAsErrors) {
  RelayProxy proxy(LoadProtocol::kSocks5,
                   Socks5Credentials{"bench-user", "bench-password"});
  LoadOptions options = Options(LoadMode::kConnRate, LoadProtocol::kSocks5);
  options.proxy = proxy.address();
  options.socks5_credentials = Socks5Credentials{"bench-user", "wrong"};
  options.connrate.duration = kTimeout;  // ends at max_errors, long before
  options.connrate.max_errors = 5;
  Lines lines;
  ASSERT_THAT(RunLoad(options, lines.writer()),
              IsOkAndHolds(LoadVerdict::kErrors));
  ASSERT_EQ(lines.lines().size(), 1);
  const auto fields = Fields(lines.lines()[0]);
  EXPECT_EQ(Number(fields, "connections"), 0);
  EXPECT_GE(Number(fields, "errors"), 5);
  // Each failure was the proxy's refusal, not a stalled handshake.
  EXPECT_GE(proxy.refused(), Number(fields, "errors"));
  EXPECT_EQ(proxy.authenticated(), 0);
}

TEST(LoadGeneratorTest, ThroughputDeliversEveryByte) {
  for (LoadProtocol protocol : {LoadProtocol::kNone, LoadProtocol::kSocks5}) {
    SCOPED_TRACE(std::string(LoadProtocolName(protocol)));
    EXPECT_THAT(RunThroughProxy(LoadMode::kThroughput, protocol).lines,
                ElementsAre(MatchesRegex(absl::StrFormat(
                    "RESULT mode=throughput label=test protocol=%s streams=2 "
                    "bytes_per_stream=3145728 seconds=[0-9]+\\.[0-9]{3} "
                    "mib_per_s=[0-9]+\\.[0-9] short_bytes=0 errors=0",
                    std::string(LoadProtocolName(protocol))))));
  }
}

TEST(LoadGeneratorTest, HoldKeepsEverySessionUntilTheGoAhead) {
  for (LoadProtocol protocol : {LoadProtocol::kNone, LoadProtocol::kSocks4}) {
    SCOPED_TRACE(std::string(LoadProtocolName(protocol)));
    RelayProxy proxy(protocol);
    int go_ahead[2];
    ASSERT_EQ(pipe(go_ahead), 0);
    LoadOptions options = Options(LoadMode::kHold, protocol);
    options.proxy = proxy.address();
    options.hold.go_ahead_fd = go_ahead[0];
    std::vector<std::string> lines;
    const absl::StatusOr<LoadVerdict> verdict =
        RunLoad(options, [&](const std::string& line) {
          lines.push_back(line);
          // What bench.sh does once it has measured: send a line.
          if (line.rfind("READY", 0) == 0) {
            ASSERT_EQ(write(go_ahead[1], "\n", 1), 1);
          }
        });
    close(go_ahead[0]);
    close(go_ahead[1]);
    EXPECT_THAT(verdict, IsOkAndHolds(LoadVerdict::kClean));
    EXPECT_THAT(lines,
                ElementsAre("READY 20",
                            MatchesRegex(absl::StrFormat(
                                "RESULT mode=hold label=test protocol=%s "
                                "sessions=20 opened=20 open_errors=0 "
                                "open_seconds=[0-9]+\\.[0-9]{2} holder_open=20 "
                                "lost=0",
                                std::string(LoadProtocolName(protocol))))));
  }
}

TEST(LoadGeneratorTest, HoldWithNobodyToSendTheGoAheadHoldsForHoldFor) {
  int go_ahead[2];
  ASSERT_EQ(pipe(go_ahead), 0);
  close(go_ahead[1]);  // EOF: as bench.sh's </dev/null would be
  LoadOptions options = Options(LoadMode::kHold, LoadProtocol::kNone);
  options.hold.go_ahead_fd = go_ahead[0];
  options.hold.hold_for = absl::Milliseconds(500);
  Lines lines;
  absl::Time ready;
  const absl::StatusOr<LoadVerdict> verdict =
      RunLoad(options, [&](const std::string& line) {
        if (line.rfind("READY", 0) == 0) ready = absl::Now();
        lines.writer()(line);
      });
  const absl::Duration held = absl::Now() - ready;
  close(go_ahead[0]);
  EXPECT_THAT(verdict, IsOkAndHolds(LoadVerdict::kClean));
  EXPECT_GE(held, absl::Milliseconds(500));
  EXPECT_EQ(lines.lines().size(), 2);
}

TEST(LoadGeneratorTest, HoldRefusesMoreSessionsThanDescriptorsAllow) {
  LoadOptions options = Options(LoadMode::kHold, LoadProtocol::kNone);
  options.hold.sessions = 1 << 30;
  Lines lines;
  EXPECT_THAT(RunLoad(options, lines.writer()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("descriptors; the limit is")));
  EXPECT_THAT(lines.lines(), ElementsAre());
}

}  // namespace
}  // namespace rsockd::testing
