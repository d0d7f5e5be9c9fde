// End-to-end: name resolution with a private resolver configuration
// (--resolv_conf, --dns_servers) pointing at a scripted DNS server.
//
// The regression this file guards: a burst of SOCKS4A requests for names
// whose DNS server never answers used to fill the resolver's few threads and
// its queue, so that every other lookup, /etc/hosts names included, failed
// for every client until long after the burst. Now each session resolves on
// its own thread within --resolve_timeout, so the burst costs only its own
// requests.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/socket.h"
#include "rsockd/base/status_macros.h"
#include "rsockd/e2e/rsockd_test_base.h"
#include "testing/fake_dns_server.h"
#include "testing/files.h"
#include "testing/rsockd_process.h"
#include "testing/socket_io.h"
#include "testing/socks4_client.h"
#include "testing/status_matchers.h"
#include "testing/tcp_servers.h"

namespace rsockd::e2e {
namespace {

using Behaviour = ::rsockd::testing::FakeDnsServer::Behaviour;
using ::rsockd::testing::ConnectTcp;
using ::rsockd::testing::EchoServer;
using ::rsockd::testing::FakeDnsServer;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::kSocks4Granted;
using ::rsockd::testing::kSocks4Rejected;
using ::rsockd::testing::ReadSocks4Reply;
using ::rsockd::testing::RsockdOptions;
using ::rsockd::testing::RsockdProcess;
using ::rsockd::testing::Socks4aConnectRequest;
using ::rsockd::testing::Socks4Connect;
using ::rsockd::testing::Socks4Reply;
using ::rsockd::testing::StatusIs;
using ::testing::HasSubstr;

// SOCKS4A requests for names nobody answers, sent at once.
constexpr int kBurst = 300;
// How long a localhost request may take while the burst waits for the DNS:
// far below --resolve_timeout, which is what each burst request waits.
constexpr absl::Duration kPrompt = absl::Seconds(1);

class DnsTest : public RsockdTest {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(dns_, FakeDnsServer::Start());
    ASSERT_OK_AND_ASSIGN(echo_, EchoServer::Start());
    ASSERT_OK_AND_ASSIGN(dir_, ::rsockd::testing::MakeTempDir("dns"));
    resolv_conf_ = absl::StrCat(dir_, "/resolv.conf");
    // The fake server is named by --dns_servers, since a resolv.conf
    // nameserver line cannot carry its port; what is left of this file
    // still reaches c-ares.
    ASSERT_THAT(
        ::rsockd::testing::WriteStringToFile(
            resolv_conf_, "search private.test\nnameserver 127.0.0.1\n"),
        IsOk());
  }

  // rsockd asking only the fake DNS server, with `flags` added.
  RsockdOptions Options(std::vector<std::string> flags = {}) {
    flags.push_back(absl::StrCat("--resolv_conf=", resolv_conf_));
    flags.push_back(absl::StrCat("--dns_servers=", dns_->address().ToString()));
    return {.extra_flags = std::move(flags)};
  }

  // A SOCKS4A CONNECT to `host` at the echo server's port, and its reply.
  absl::StatusOr<Socks4Reply> Request(absl::string_view host) {
    absl::StatusOr<net::Socket> socket = ConnectTcp(proxy(), kStepTimeout);
    if (!socket.ok()) return socket.status();
    RSOCKD_RETURN_IF_ERROR(socket->WriteAll(
        Socks4aConnectRequest(host, echo_->address().port(), "dns"),
        net::Deadline::In(kStepTimeout)));
    return ReadSocks4Reply(*socket, net::Deadline::In(kStepTimeout));
  }

  // A SOCKS4A CONNECT to localhost, from /etc/hosts: granted within
  // kPrompt.
  ::testing::AssertionResult LocalhostIsPrompt(absl::string_view when) {
    const absl::Time start = absl::Now();
    absl::StatusOr<Socks4Reply> reply = Request("localhost");
    const absl::Duration took = absl::Now() - start;
    if (!reply.ok()) {
      return ::testing::AssertionFailure() << when << ": " << reply.status();
    }
    if (reply->code != kSocks4Granted) {
      return ::testing::AssertionFailure()
             << when << ": reply " << int{reply->code} << " after " << took
             << "\n"
             << LogTail();
    }
    if (took >= kPrompt) {
      return ::testing::AssertionFailure() << when << ": took " << took;
    }
    return ::testing::AssertionSuccess();
  }

  std::unique_ptr<FakeDnsServer> dns_;
  std::unique_ptr<EchoServer> echo_;
  std::string dir_;
  std::string resolv_conf_;
};

TEST_F(DnsTest, BurstForADeadServerDoesNotDelayOtherClients) {
  dns_->SetDefaultBehaviour(Behaviour::kSilent);
  // The resolve timeout outlasts sending the burst on a loaded machine: a
  // session whose deadline passed before its worker ran would send no query,
  // and the wait for every query below would miss it.
  ASSERT_NO_FATAL_FAILURE(StartRsockd(
      Options({"--resolve_timeout=10s", "--workers=512", "--queue=512"})));

  // The burst: every request sent, none answered yet.
  std::vector<net::Socket> burst;
  for (int i = 0; i < kBurst; ++i) {
    ASSERT_OK_AND_ASSIGN(net::Socket socket, ConnectTcp(proxy(), kStepTimeout));
    ASSERT_THAT(
        socket.WriteAll(Socks4aConnectRequest(absl::StrCat("dead-", i, ".test"),
                                              echo_->address().port(), "burst"),
                        net::Deadline::In(kStepTimeout)),
        IsOk());
    burst.push_back(std::move(socket));
  }
  // Every burst session is waiting for the DNS (an A and an AAAA query
  // each; "dead-N.test" has a dot, so it is asked as is first).
  ASSERT_THAT(dns_->WaitForQueries(2 * kBurst, kStepTimeout), IsOk());

  // During the burst: another client's localhost requests.
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(LocalhostIsPrompt(absl::StrCat("during the burst, #", i)));
  }

  // Each burst request fails on its own, by its own resolve timeout.
  for (net::Socket& socket : burst) {
    ASSERT_OK_AND_ASSIGN(
        Socks4Reply reply,
        ReadSocks4Reply(socket, net::Deadline::In(kStepTimeout)));
    EXPECT_EQ(reply.code, kSocks4Rejected);
  }
  EXPECT_THAT(
      rsockd().WaitForLogLine(
          "Error code: cannot resolve dead-0.test: timed out", kLogTimeout),
      IsOk());

  // Right after it.
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(LocalhostIsPrompt(absl::StrCat("after the burst, #", i)));
  }
}

TEST_F(DnsTest, NamesResolveThroughTheConfiguredServerAndAreCached) {
  dns_->AddAddress("echo.test", *net::IpAddress::Parse("127.0.0.1"), 300);
  ASSERT_NO_FATAL_FAILURE(StartRsockd(Options()));
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(
        net::Socket tunnel,
        Socks4Connect(
            proxy(),
            Socks4aConnectRequest("echo.test", echo_->address().port(), "dns"),
            kStepTimeout));
    EXPECT_TRUE(EchoRoundTrip(tunnel, "through a name"));
  }
  EXPECT_EQ(dns_->queries("echo.test"), 2)
      << "one A and one AAAA query; then the cache (TTL 300 s)";
  const size_t mark = rsockd().StderrSize();
  ASSERT_EQ(kill(rsockd().pid(), SIGUSR1), 0);
  EXPECT_THAT(rsockd().WaitForLogLine(
                  "stats: resolver forward lookups=1 joined=0 handoffs=0 "
                  "abandoned=0 cached=1 hits=2 misses=1 evictions=0",
                  kLogTimeout, mark),
              IsOk());
}

// A name whose addresses the rules judge differently reaches only the ones
// its deciding line matched (README "Security notes"): with only 127.0.0.3
// permitted, a name for 127.0.0.3 and 127.0.0.1 must not reach a service
// that listens on 127.0.0.1 only.
TEST_F(DnsTest, NameReachesOnlyTheAddressesItsRuleMatched) {
  dns_->AddAddress("two.test", *net::IpAddress::Parse("127.0.0.3"), 300);
  dns_->AddAddress("two.test", *net::IpAddress::Parse("127.0.0.1"), 300);
  RsockdOptions options = Options();
  options.sockd_conf = "permit 127.0.0.0/8 127.0.0.3/32\n";
  ASSERT_NO_FATAL_FAILURE(StartRsockd(options));
  ASSERT_OK_AND_ASSIGN(Socks4Reply reply, Request("two.test"));
  EXPECT_EQ(reply.code, kSocks4Rejected);
  EXPECT_EQ(echo_->accepted(), 0) << "an address no rule permitted was reached";
  EXPECT_THAT(rsockd().WaitForLogLineWithAll(
                  {"failed -- Connect from dns(unknown)@127.0.0.1 to two.test",
                   "127.0.0.3:"},
                  kLogTimeout),
              IsOk());

  // The permitted address is reached, and the log says which it was.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> permitted,
                       EchoServer::Start(*net::IpAddress::Parse("127.0.0.3")));
  ASSERT_OK_AND_ASSIGN(
      net::Socket tunnel,
      Socks4Connect(proxy(),
                    Socks4aConnectRequest("two.test", permitted->port(), "dns"),
                    kStepTimeout));
  EXPECT_TRUE(EchoRoundTrip(tunnel, "the permitted address"));
  EXPECT_THAT(
      rsockd().WaitForLogLine(
          absl::StrCat("connected -- Connect from dns(unknown)@"
                       "127.0.0.1 to two.test (",
                       permitted->port(), ") at 127.0.0.3:", permitted->port()),
          kLogTimeout),
      IsOk());
}

TEST_F(DnsTest, SearchDomainOfThePrivateResolvConfApplies) {
  dns_->AddAddress("echo.private.test", *net::IpAddress::Parse("127.0.0.1"),
                   300);
  ASSERT_NO_FATAL_FAILURE(StartRsockd(Options()));
  ASSERT_OK_AND_ASSIGN(Socks4Reply reply, Request("echo"));
  EXPECT_EQ(reply.code, kSocks4Granted) << LogTail();
  EXPECT_EQ(dns_->queries("echo.private.test"), 2);
}

TEST_F(DnsTest, UnknownNameIsRefusedWithTheResolversWord) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd(Options()));
  ASSERT_OK_AND_ASSIGN(Socks4Reply reply, Request("no-such.test"));
  EXPECT_EQ(reply.code, kSocks4Rejected);
  EXPECT_THAT(
      rsockd().WaitForLogLine(
          "Error code: cannot resolve no-such.test: Domain name not found",
          kLogTimeout),
      IsOk());
}

TEST_F(DnsTest, BadResolverFlagsStopTheStart) {
  const std::string missing = absl::StrCat(dir_, "/no-such-resolv.conf");
  EXPECT_THAT(RsockdProcess::Start(
                  {.extra_flags = {absl::StrCat("--resolv_conf=", missing)}}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr(absl::StrCat("cannot read ", missing))));
  EXPECT_THAT(
      RsockdProcess::Start({.extra_flags = {"--dns_servers=dns.example"}}),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("--dns_servers: DNS server "
                         "\"dns.example\": not an IP address")));
}

}  // namespace
}  // namespace rsockd::e2e
