// End-to-end: hostile and broken clients never leak a descriptor in the
// server (README.md#security-notes). After 1,000 bad requests the server's
// open-descriptor count returns to its baseline and it still serves.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "net/deadline.h"
#include "rsockd/e2e/rsockd_test_base.h"
#include "testing/sha256.h"
#include "testing/socket_io.h"
#include "testing/socks4_client.h"
#include "testing/status_matchers.h"
#include "testing/tcp_servers.h"

namespace rsockd::e2e {
namespace {

using ::rsockd::testing::ConnectTcp;
using ::rsockd::testing::EchoServer;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::kSocks4CommandConnect;
using ::rsockd::testing::kSocks4Rejected;
using ::rsockd::testing::kSocks4Version;
using ::rsockd::testing::PseudoRandomBytes;
using ::rsockd::testing::ReadUntilClosed;
using ::rsockd::testing::ReserveClosedPort;
using ::rsockd::testing::Socks4Connect;
using ::rsockd::testing::Socks4ConnectRequest;
using ::rsockd::testing::Socks4Handshake;
using ::rsockd::testing::Socks4Request;
using ::rsockd::testing::Socks4Session;

constexpr int kBadRequests = 1000;
constexpr int kClientThreads = 4;

// The kinds of bad request, used in rotation.
enum class Bad {
  kGarbage,             // 16 random bytes that are not SOCKS4, then close
  kTruncatedHeader,     // 3 bytes of a header, then close
  kImmediateClose,      // connect, close
  kResetMidRequest,     // half a request, then close with RST
  kDeniedClient,        // a valid request from a denied source: 91
  kRefusedDestination,  // a permitted request to a closed port: 91
  kLongUserId,          // 300-byte USERID: 91
  kUnknownCommand,      // CD=9: 91
  kCount,
};

class DescriptorLeakTest : public RsockdTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartRsockd(
        {.sockd_conf = "deny 127.0.0.2 255.255.255.255\n"
                       "permit 127.0.0.0 255.0.0.0\n",
         .extra_flags = {"--workers=8", "--handshake_timeout=10s"}}));
    ASSERT_OK_AND_ASSIGN(echo_, EchoServer::Start());
    ASSERT_OK_AND_ASSIGN(closed_port_, ReserveClosedPort());
    ASSERT_OK_AND_ASSIGN(closed_address_, closed_port_.LocalAddress());
  }

  // Sends one bad request of `kind`; returns an error description when the
  // server's answer was not the expected one, else "".
  std::string SendBad(Bad kind, int i) {
    const net::Deadline deadline = net::Deadline::In(kStepTimeout);
    const std::string user = absl::StrCat("bad", i);
    switch (kind) {
      case Bad::kGarbage:
      case Bad::kTruncatedHeader:
      case Bad::kImmediateClose:
      case Bad::kResetMidRequest: {
        absl::StatusOr<net::Socket> client = ConnectTcp(proxy(), kStepTimeout);
        if (!client.ok()) return client.status().ToString();
        std::string bytes;
        if (kind == Bad::kGarbage) {
          bytes = PseudoRandomBytes(16, i);
          bytes[0] = 'G';  // Never VN 4 (or 5).
        } else if (kind == Bad::kTruncatedHeader) {
          bytes = std::string("\x04\x01\x00", 3);
        } else if (kind == Bad::kResetMidRequest) {
          bytes = Socks4ConnectRequest(echo_->address(), user).substr(0, 10);
          client->SetAbortiveClose();
        }
        if (!bytes.empty()) {
          if (absl::Status sent = client->WriteAll(bytes, deadline);
              !sent.ok()) {
            return sent.ToString();
          }
        }
        return "";  // The destructor closes.
      }
      case Bad::kDeniedClient:
        return ExpectRejected(Socks4Handshake(
            proxy(), Socks4ConnectRequest(echo_->address(), user), kStepTimeout,
            *net::IpAddress::Parse("127.0.0.2")));
      case Bad::kRefusedDestination:
        return ExpectRejected(Socks4Handshake(
            proxy(), Socks4ConnectRequest(closed_address_, user),
            kStepTimeout));
      case Bad::kLongUserId:
        return ExpectRejected(Socks4Handshake(
            proxy(),
            Socks4ConnectRequest(echo_->address(), std::string(300, 'x')),
            kStepTimeout));
      case Bad::kUnknownCommand:
        return ExpectRejected(
            Socks4Handshake(proxy(),
                            Socks4Request(kSocks4Version, 9, echo_->port(),
                                          {127, 0, 0, 1}, user),
                            kStepTimeout));
      case Bad::kCount:
        break;
    }
    return "bad kind";
  }

  static std::string ExpectRejected(absl::StatusOr<Socks4Session> session) {
    if (!session.ok()) return session.status().ToString();
    if (session->reply.code != kSocks4Rejected) {
      return absl::StrCat("reply ", session->reply.code, ", want 91");
    }
    return "";
  }

  std::unique_ptr<EchoServer> echo_;
  net::Socket closed_port_;
  net::SocketAddress closed_address_;
};

TEST_F(DescriptorLeakTest, ThousandBadRequestsLeaveNoDescriptorBehind) {
  // Warm up: one good session and one bad request of each kind, so that
  // anything the server opens once and keeps (a resolver socket, pooled
  // pipes) is already in the baseline.
  {
    ASSERT_OK_AND_ASSIGN(
        net::Socket tunnel,
        Socks4Connect(proxy(), Socks4ConnectRequest(echo_->address(), "warm"),
                      kStepTimeout));
    ASSERT_TRUE(EchoRoundTrip(tunnel, "warm up"));
  }
  for (int kind = 0; kind < static_cast<int>(Bad::kCount); ++kind) {
    ASSERT_EQ(SendBad(static_cast<Bad>(kind), kind), "") << "kind " << kind;
  }
  ASSERT_OK_AND_ASSIGN(const int baseline, SettledFdCount(absl::Seconds(60)));

  absl::Mutex mu;
  int failures = 0;
  std::string first_failure;
  std::vector<std::thread> clients;
  for (int t = 0; t < kClientThreads; ++t) {
    clients.emplace_back([&, t] {
      for (int i = t; i < kBadRequests; i += kClientThreads) {
        const Bad kind = static_cast<Bad>(i % static_cast<int>(Bad::kCount));
        const std::string error = SendBad(kind, i);
        if (!error.empty()) {
          absl::MutexLock lock(&mu);
          if (failures++ == 0) {
            first_failure = absl::StrCat("request ", i, ": ", error);
          }
        }
      }
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(failures, 0) << "first: " << first_failure;

  EXPECT_TRUE(WaitForFdCountAtMost(baseline, absl::Seconds(60)));

  // And it still works.
  ASSERT_OK_AND_ASSIGN(
      net::Socket tunnel,
      Socks4Connect(proxy(), Socks4ConnectRequest(echo_->address(), "after"),
                    kStepTimeout));
  EXPECT_TRUE(EchoRoundTrip(tunnel, PseudoRandomBytes(64 * 1024, 41)));
}

}  // namespace
}  // namespace rsockd::e2e
