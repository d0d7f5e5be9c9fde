#include "rsockd/server/outcome.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/socket.h"
#include "testing/socket_io.h"
#include "testing/status_matchers.h"

namespace rsockd {
namespace {

absl::Status ConnectTo(const net::SocketAddress& to) {
  return net::Socket::Connect(to, std::nullopt,
                              net::Deadline::In(absl::Seconds(10)))
      .status();
}

TEST(OutcomeTest, RefusalsAreTheNosOfRulesIdentdAndUpstreams) {
  EXPECT_TRUE(IsRefusal(Failure::kDeniedByRules));
  EXPECT_TRUE(IsRefusal(Failure::kIdentUnavailable));
  EXPECT_TRUE(IsRefusal(Failure::kIdentMismatch));
  EXPECT_TRUE(IsRefusal(Failure::kUpstreamRefused));
  EXPECT_FALSE(IsRefusal(Failure::kNetworkUnreachable));
  EXPECT_FALSE(IsRefusal(Failure::kHostUnreachable));
  EXPECT_FALSE(IsRefusal(Failure::kConnectionRefused));
  EXPECT_FALSE(IsRefusal(Failure::kTimedOut));
  EXPECT_FALSE(IsRefusal(Failure::kCommandUnsupported));
  EXPECT_FALSE(IsRefusal(Failure::kAddressTypeUnsupported));
  EXPECT_FALSE(IsRefusal(Failure::kGeneralFailure));
}

TEST(OutcomeTest, GrantCarriesItsAddress) {
  const net::SocketAddress address(*net::IpAddress::Parse("127.0.0.5"), 20);
  const Outcome granted = Outcome::Granted(address);
  EXPECT_TRUE(granted.granted());
  EXPECT_EQ(granted.address(), address);
}

TEST(OutcomeTest, UpstreamRefusalKeepsTheUpstreamsCode) {
  const Outcome refused =
      Outcome::RefusedUpstream({.version = SocksVersion::kSocks4, .code = 93},
                               "upstream fw:1080 said no");
  EXPECT_FALSE(refused.granted());
  EXPECT_EQ(refused.failure(), Failure::kUpstreamRefused);
  EXPECT_EQ(refused.upstream().version, SocksVersion::kSocks4);
  EXPECT_EQ(refused.upstream().code, 93);
  EXPECT_EQ(refused.reason(), "upstream fw:1080 said no");
}

TEST(OutcomeTest, ConnectionRefusedIsTold) {
  ASSERT_OK_AND_ASSIGN(net::Socket closed, testing::ReserveClosedPort());
  ASSERT_OK_AND_ASSIGN(net::SocketAddress address, closed.LocalAddress());
  EXPECT_EQ(ConnectFailure(ConnectTo(address)), Failure::kConnectionRefused);
}

// The kernel refuses a TCP connect to a multicast address itself, with
// ENETUNREACH: nothing leaves the host.
TEST(OutcomeTest, UnreachableNetworkIsTold) {
  EXPECT_EQ(ConnectFailure(ConnectTo(
                net::SocketAddress(*net::IpAddress::Parse("224.0.0.1"), 80))),
            Failure::kNetworkUnreachable);
}

TEST(OutcomeTest, ConnectTimeoutAndStopAreTimedOutAndGeneral) {
  EXPECT_EQ(ConnectFailure(absl::DeadlineExceededError("connect() to x")),
            Failure::kTimedOut);
  EXPECT_EQ(ConnectFailure(absl::CancelledError("stopping")),
            Failure::kGeneralFailure);
  // An errno only in the text (not from Connect) tells nothing.
  EXPECT_EQ(ConnectFailure(absl::ErrnoToStatus(ECONNREFUSED, "elsewhere")),
            Failure::kGeneralFailure);
}

TEST(OutcomeTest, NameThatDoesNotResolveIsAnUnreachableHost) {
  EXPECT_EQ(ResolveFailure(absl::NotFoundError("no such name")),
            Failure::kHostUnreachable);
  EXPECT_EQ(ResolveFailure(absl::UnavailableError("SERVFAIL")),
            Failure::kHostUnreachable);
  EXPECT_EQ(ResolveFailure(absl::DeadlineExceededError("no answer")),
            Failure::kHostUnreachable);
  EXPECT_EQ(ResolveFailure(absl::CancelledError("stopping")),
            Failure::kGeneralFailure);
}

}  // namespace
}  // namespace rsockd
