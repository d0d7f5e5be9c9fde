#include "rsockd/server/upstream_chain.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "glog/logging.h"
#include "net/resolver.h"
#include "net/socket.h"
#include "testing/scripted_socks4_server.h"
#include "testing/socket_io.h"
#include "testing/status_matchers.h"

namespace rsockd {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::ScriptedSocks4Server;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

rules::UpstreamServer ServerAt(const net::SocketAddress& address) {
  return rules::UpstreamServer{address.ip().ToString(), address.port()};
}

// A loopback port nothing listens on.
net::SocketAddress ClosedPort() {
  absl::StatusOr<net::Socket> probe =
      net::Socket::Listen(testing::LoopbackAddress(0), 1);
  EXPECT_THAT(probe.status(), IsOk());
  return *probe->LocalAddress();
}

net::Socks4Request NameRequest() {
  net::Socks4Request request;
  request.port = 443;
  request.host_name = "far.example";
  request.user_id = "ylee";
  return request;
}

// Servers are IP literals here: nothing is looked up, and the resolver's
// configuration is empty.
std::unique_ptr<net::Resolver> MakeResolver() {
  net::Resolver::Options options;
  options.resolv_conf = "/dev/null";
  absl::StatusOr<std::unique_ptr<net::Resolver>> resolver =
      net::Resolver::Create(options);
  CHECK(resolver.ok()) << resolver.status();
  return *std::move(resolver);
}

class UpstreamChainTest : public ::testing::Test {
 protected:
  UpstreamContext Context() {
    return UpstreamContext{.rules = &rules_,
                           .resolver = resolver_.get(),
                           .health = &health_,
                           .resolve_timeout = absl::Seconds(5),
                           .connect_timeout = absl::Seconds(5),
                           .retry_after = absl::Minutes(1)};
  }

  const rules::RuleSet rules_{rules::SockdConf{}};
  const std::unique_ptr<net::Resolver> resolver_ = MakeResolver();
  UpstreamHealth health_;
};

TEST_F(UpstreamChainTest, FaultsAreSkippedAndTheFirstAnswerWins) {
  ASSERT_OK_AND_ASSIGN(auto garbled, ScriptedSocks4Server::Start("nonsense"));
  ASSERT_OK_AND_ASSIGN(auto granting, ScriptedSocks4Server::Start(
                                          ScriptedSocks4Server::Reply(90)));
  const std::vector<rules::UpstreamServer> servers = {
      ServerAt(ClosedPort()), ServerAt(garbled->address()),
      ServerAt(granting->address())};
  UpstreamResult result =
      RequestThroughUpstreams(servers, NameRequest(), Context());
  ASSERT_EQ(result.outcome, UpstreamResult::Outcome::kGranted);
  EXPECT_EQ(result.server, &servers[2]);
  EXPECT_EQ(result.server_address, granting->address());
  EXPECT_TRUE(result.socket.valid());
  ASSERT_THAT(result.faults, SizeIs(2));
  EXPECT_THAT(result.faults[0], HasSubstr("cannot connect"));
  EXPECT_THAT(result.faults[1], HasSubstr("no valid reply: garbled reply"));
  // The request went upstream as SOCKS4A, with the name and the user id.
  ASSERT_OK_AND_ASSIGN(std::string request,
                       granting->WaitForRequest(absl::Seconds(10)));
  EXPECT_EQ(request, net::EncodeSocks4Request(NameRequest()));
  // Both faulty servers are now tried last.
  std::vector<std::string> order;
  for (const rules::UpstreamServer* server :
       health_.Order(servers, absl::Minutes(1), absl::Now())) {
    order.push_back(server->ToString());
  }
  EXPECT_THAT(order, ElementsAre(servers[2].ToString(), servers[0].ToString(),
                                 servers[1].ToString()));
}

TEST_F(UpstreamChainTest, RefusalIsFinal) {
  ASSERT_OK_AND_ASSIGN(auto refusing, ScriptedSocks4Server::Start(
                                          ScriptedSocks4Server::Reply(93)));
  ASSERT_OK_AND_ASSIGN(auto granting, ScriptedSocks4Server::Start(
                                          ScriptedSocks4Server::Reply(90)));
  const std::vector<rules::UpstreamServer> servers = {
      ServerAt(refusing->address()), ServerAt(granting->address())};
  UpstreamResult result =
      RequestThroughUpstreams(servers, NameRequest(), Context());
  EXPECT_EQ(result.outcome, UpstreamResult::Outcome::kRefused);
  EXPECT_EQ(result.reply.code, net::Socks4ReplyCode::kIdentMismatch);
  EXPECT_EQ(result.server, &servers[0]);
  EXPECT_FALSE(result.socket.valid());
  EXPECT_THAT(result.faults, IsEmpty());
  EXPECT_EQ(granting->accepted(), 0);
  EXPECT_THAT(health_.DownServers(absl::Minutes(1), absl::Now()), IsEmpty());
}

// Classic 4.2 sockd refuses with version byte 4: still a refusal, final,
// and the next server (which might grant) is never asked.
TEST_F(UpstreamChainTest, ClassicVersionFourRefusalIsFinal) {
  ASSERT_OK_AND_ASSIGN(auto classic, ScriptedSocks4Server::Start(std::string(
                                         "\x04\x5b\0\0\0\0\0\0", 8)));
  ASSERT_OK_AND_ASSIGN(auto granting, ScriptedSocks4Server::Start(
                                          ScriptedSocks4Server::Reply(90)));
  const std::vector<rules::UpstreamServer> servers = {
      ServerAt(classic->address()), ServerAt(granting->address())};
  UpstreamResult result =
      RequestThroughUpstreams(servers, NameRequest(), Context());
  EXPECT_EQ(result.outcome, UpstreamResult::Outcome::kRefused);
  EXPECT_EQ(result.reply.code, net::Socks4ReplyCode::kRejected);
  EXPECT_EQ(result.server, &servers[0]);
  EXPECT_THAT(result.faults, IsEmpty());
  EXPECT_EQ(granting->accepted(), 0);
  EXPECT_THAT(health_.DownServers(absl::Minutes(1), absl::Now()), IsEmpty());
}

TEST_F(UpstreamChainTest, NoServerAnswers) {
  const std::vector<rules::UpstreamServer> servers = {ServerAt(ClosedPort()),
                                                      ServerAt(ClosedPort())};
  UpstreamResult result =
      RequestThroughUpstreams(servers, NameRequest(), Context());
  EXPECT_EQ(result.outcome, UpstreamResult::Outcome::kUnreachable);
  EXPECT_EQ(result.server, nullptr);
  EXPECT_THAT(result.faults, SizeIs(2));
}

// A connection to an upstream server is a CONNECT, also for a client's
// BIND: when no sockd.route line matches the server, the kernel chooses the
// source address (sockd.route(5)).
TEST_F(UpstreamChainTest, NoMatchingInterfaceRouteLetsTheKernelChoose) {
  ASSERT_OK_AND_ASSIGN(rules::SockdRoute route,
                       rules::ParseSockdRoute("10.0.0.1 10.0.0.0/8\n", "r"));
  const rules::RuleSet routed(rules::SockdConf{}, std::nullopt, route);
  ASSERT_OK_AND_ASSIGN(auto granting, ScriptedSocks4Server::Start(
                                          ScriptedSocks4Server::Reply(90)));
  UpstreamContext context = Context();
  context.rules = &routed;
  const std::vector<rules::UpstreamServer> servers = {
      ServerAt(granting->address())};
  net::Socks4Request bind = NameRequest();
  bind.command = net::Socks4Command::kBind;
  UpstreamResult result = RequestThroughUpstreams(servers, bind, context);
  EXPECT_EQ(result.outcome, UpstreamResult::Outcome::kGranted);
  EXPECT_THAT(result.faults, IsEmpty());
  EXPECT_EQ(granting->accepted(), 1);
}

}  // namespace
}  // namespace rsockd
