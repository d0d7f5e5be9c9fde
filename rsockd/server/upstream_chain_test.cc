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
#include "net/socks4.h"
#include "net/socks5.h"
#include "testing/scripted_socks4_server.h"
#include "testing/scripted_socks5_server.h"
#include "testing/socket_io.h"
#include "testing/status_matchers.h"

namespace rsockd {
namespace {

using ::rsockd::testing::IsOk;
using ::rsockd::testing::ScriptedSocks4Server;
using ::rsockd::testing::ScriptedSocks5Server;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
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

net::IpAddress Ip(absl::string_view text) {
  return *net::IpAddress::Parse(text);
}

UpstreamRequest NameRequest() {
  UpstreamRequest request;
  request.destination.name = "far.example";
  request.destination.address = net::SocketAddress(Ip("0.0.0.1"), 443);
  request.user_id = "ylee";
  // Only socks4:// servers resolve; none of these tests' servers is one.
  request.resolve = [] {
    ADD_FAILURE() << "resolved";
    return absl::StatusOr<std::vector<net::IpAddress>>(
        absl::InternalError("resolved"));
  };
  return request;
}

UpstreamRequest AddressRequest(const net::SocketAddress& destination) {
  UpstreamRequest request = NameRequest();
  request.destination.name.clear();
  request.destination.address = destination;
  return request;
}

// SOCKS4A as the classic upstream gets NameRequest().
std::string Socks4aNameRequest() {
  net::Socks4Request request;
  request.port = 443;
  request.host_name = "far.example";
  request.user_id = "ylee";
  return net::EncodeSocks4Request(request);
}

rules::UpstreamServer Socks5ServerAt(const net::SocketAddress& address) {
  rules::UpstreamServer server = ServerAt(address);
  server.scheme = rules::UpstreamScheme::kSocks5;
  return server;
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
  EXPECT_EQ(request, Socks4aNameRequest());
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
  EXPECT_FALSE(result.reply.granted);
  EXPECT_EQ(result.reply.refusal.version, SocksVersion::kSocks4);
  EXPECT_EQ(result.reply.refusal.code, 93);
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
  EXPECT_EQ(result.reply.refusal.code, 91);
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
  EXPECT_EQ(result.failure, Failure::kGeneralFailure);
  EXPECT_EQ(result.reason, "no upstream server answered (2 tried)");
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
  UpstreamRequest bind = NameRequest();
  bind.command = Command::kBind;
  UpstreamResult result = RequestThroughUpstreams(servers, bind, context);
  EXPECT_EQ(result.outcome, UpstreamResult::Outcome::kGranted);
  EXPECT_THAT(result.faults, IsEmpty());
  EXPECT_EQ(granting->accepted(), 1);
}

// --- socks5:// ---------------------------------------------------------------

TEST_F(UpstreamChainTest, Socks5SendsANameAsAtyp3WithoutAuthentication) {
  net::Socks5Address bound;
  bound.ip = Ip("10.1.2.3");
  bound.port = 5555;
  ASSERT_OK_AND_ASSIGN(auto upstream,
                       ScriptedSocks5Server::Start(
                           {.reply = ScriptedSocks5Server::Reply(0, bound)}));
  const std::vector<rules::UpstreamServer> servers = {
      Socks5ServerAt(upstream->address())};
  UpstreamResult result =
      RequestThroughUpstreams(servers, NameRequest(), Context());
  ASSERT_EQ(result.outcome, UpstreamResult::Outcome::kGranted);
  EXPECT_TRUE(result.socket.valid());
  EXPECT_EQ(result.reply.address, net::SocketAddress(Ip("10.1.2.3"), 5555));
  ASSERT_OK_AND_ASSIGN(ScriptedSocks5Server::Exchange seen,
                       upstream->WaitForExchange(absl::Seconds(10)));
  EXPECT_THAT(seen.greeting.methods, ElementsAre(net::Socks5Method::kNoAuth));
  EXPECT_EQ(seen.credentials, std::nullopt);
  ASSERT_TRUE(seen.request.has_value());
  EXPECT_EQ(seen.request->command, net::Socks5Command::kConnect);
  EXPECT_EQ(seen.request->destination.host_name, "far.example");
  EXPECT_EQ(seen.request->destination.port, 443);
}

TEST_F(UpstreamChainTest, Socks5SendsAnAddressAsIsAndABindAsBind) {
  ASSERT_OK_AND_ASSIGN(
      auto upstream,
      ScriptedSocks5Server::Start({.reply = ScriptedSocks5Server::Reply(0)}));
  const std::vector<rules::UpstreamServer> servers = {
      Socks5ServerAt(upstream->address())};
  UpstreamRequest request =
      AddressRequest(net::SocketAddress(Ip("2001:db8::7"), 21));
  request.command = Command::kBind;
  UpstreamResult result = RequestThroughUpstreams(servers, request, Context());
  ASSERT_EQ(result.outcome, UpstreamResult::Outcome::kGranted);
  ASSERT_OK_AND_ASSIGN(ScriptedSocks5Server::Exchange seen,
                       upstream->WaitForExchange(absl::Seconds(10)));
  ASSERT_TRUE(seen.request.has_value());
  EXPECT_EQ(seen.request->command, net::Socks5Command::kBind);
  EXPECT_EQ(seen.request->destination.type(), net::Socks5AddressType::kIPv6);
  EXPECT_EQ(seen.request->destination.ip, Ip("2001:db8::7"));
  EXPECT_EQ(seen.request->destination.port, 21);
}

TEST_F(UpstreamChainTest, Socks5OffersOnlyUserPassWithCredentials) {
  ASSERT_OK_AND_ASSIGN(
      auto upstream,
      ScriptedSocks5Server::Start({.method = net::Socks5Method::kUserPass,
                                   .reply = ScriptedSocks5Server::Reply(0)}));
  std::vector<rules::UpstreamServer> servers = {
      Socks5ServerAt(upstream->address())};
  servers[0].credentials =
      rules::UpstreamCredentials{.user = "alice", .password = "s3cret"};
  UpstreamResult result =
      RequestThroughUpstreams(servers, NameRequest(), Context());
  EXPECT_EQ(result.outcome, UpstreamResult::Outcome::kGranted);
  ASSERT_OK_AND_ASSIGN(ScriptedSocks5Server::Exchange seen,
                       upstream->WaitForExchange(absl::Seconds(10)));
  EXPECT_THAT(seen.greeting.methods, ElementsAre(net::Socks5Method::kUserPass));
  EXPECT_EQ(seen.credentials,
            (net::Socks5Credentials{.user = "alice", .password = "s3cret"}));
}

// A BND.ADDR that is a name gives 0.0.0.0 (upstream_chain.h).
TEST_F(UpstreamChainTest, Socks5BoundNameBecomesUnspecified) {
  net::Socks5Address bound;
  bound.host_name = "proxy.far.example";
  bound.port = 7;
  ASSERT_OK_AND_ASSIGN(auto upstream,
                       ScriptedSocks5Server::Start(
                           {.reply = ScriptedSocks5Server::Reply(0, bound)}));
  const std::vector<rules::UpstreamServer> servers = {
      Socks5ServerAt(upstream->address())};
  UpstreamResult result =
      RequestThroughUpstreams(servers, NameRequest(), Context());
  ASSERT_EQ(result.outcome, UpstreamResult::Outcome::kGranted);
  EXPECT_EQ(result.reply.address, net::SocketAddress(Ip("0.0.0.0"), 7));
}

TEST_F(UpstreamChainTest, Socks5RefusalIsFinalAndKeepsItsRep) {
  ASSERT_OK_AND_ASSIGN(
      auto refusing,
      ScriptedSocks5Server::Start({.reply = ScriptedSocks5Server::Reply(5)}));
  ASSERT_OK_AND_ASSIGN(auto granting, ScriptedSocks4Server::Start(
                                          ScriptedSocks4Server::Reply(90)));
  const std::vector<rules::UpstreamServer> servers = {
      Socks5ServerAt(refusing->address()), ServerAt(granting->address())};
  UpstreamResult result =
      RequestThroughUpstreams(servers, NameRequest(), Context());
  EXPECT_EQ(result.outcome, UpstreamResult::Outcome::kRefused);
  EXPECT_EQ(result.server, &servers[0]);
  EXPECT_EQ(result.reply.refusal.version, SocksVersion::kSocks5);
  EXPECT_EQ(result.reply.refusal.code, 5);
  EXPECT_EQ(UpstreamRefusalText(result.reply.refusal),
            "5 (connection refused)");
  EXPECT_THAT(result.faults, IsEmpty());
  EXPECT_EQ(granting->accepted(), 0);
  EXPECT_THAT(health_.DownServers(absl::Minutes(1), absl::Now()), IsEmpty());
}

// No acceptable method, refused credentials, a garbled reply: faults of
// the server, marked down, and the next server is tried. No fault names
// the credentials.
TEST_F(UpstreamChainTest, Socks5FaultsFailOver) {
  ASSERT_OK_AND_ASSIGN(
      auto no_method,
      ScriptedSocks5Server::Start(
          {.method = net::Socks5Method::kNoneAcceptable, .reply = ""}));
  ASSERT_OK_AND_ASSIGN(auto wrong_password,
                       ScriptedSocks5Server::Start(
                           {.method = net::Socks5Method::kUserPass,
                            .user_pass_status = net::kSocks5UserPassFailure,
                            .reply = ""}));
  ASSERT_OK_AND_ASSIGN(auto garbled, ScriptedSocks5Server::Start(
                                         {.reply = "HTTP/1.0 400 Bad\r\n"}));
  ASSERT_OK_AND_ASSIGN(auto granting, ScriptedSocks4Server::Start(
                                          ScriptedSocks4Server::Reply(90)));
  std::vector<rules::UpstreamServer> servers = {
      Socks5ServerAt(no_method->address()),
      Socks5ServerAt(wrong_password->address()),
      Socks5ServerAt(garbled->address()), ServerAt(granting->address())};
  servers[1].credentials =
      rules::UpstreamCredentials{.user = "upuser", .password = "s3cret"};
  UpstreamResult result =
      RequestThroughUpstreams(servers, NameRequest(), Context());
  ASSERT_EQ(result.outcome, UpstreamResult::Outcome::kGranted);
  EXPECT_EQ(result.server, &servers[3]);
  ASSERT_THAT(result.faults, SizeIs(3));
  EXPECT_THAT(result.faults[0], HasSubstr("accepts no method offered"));
  EXPECT_THAT(result.faults[1], HasSubstr("socks5://***@127.0.0.1:"));
  EXPECT_THAT(result.faults[1],
              HasSubstr("refused the user name and password"));
  EXPECT_THAT(result.faults[2], HasSubstr("no valid reply"));
  for (const std::string& fault : result.faults) {
    EXPECT_THAT(fault, Not(HasSubstr("s3cret")));
    EXPECT_THAT(fault, Not(HasSubstr("upuser")));
  }
  EXPECT_THAT(health_.DownServers(absl::Minutes(1), absl::Now()), SizeIs(3));
}

// --- What SOCKS4 cannot carry ------------------------------------------------

// An IPv6 destination passes over SOCKS4 servers without marking them down.
TEST_F(UpstreamChainTest, Ipv6DestinationPassesOverSocks4Servers) {
  ASSERT_OK_AND_ASSIGN(auto socks4, ScriptedSocks4Server::Start(
                                        ScriptedSocks4Server::Reply(90)));
  ASSERT_OK_AND_ASSIGN(
      auto socks5,
      ScriptedSocks5Server::Start({.reply = ScriptedSocks5Server::Reply(0)}));
  const std::vector<rules::UpstreamServer> servers = {
      ServerAt(socks4->address()), Socks5ServerAt(socks5->address())};
  const UpstreamRequest request =
      AddressRequest(net::SocketAddress(Ip("2001:db8::7"), 80));
  UpstreamResult result = RequestThroughUpstreams(servers, request, Context());
  ASSERT_EQ(result.outcome, UpstreamResult::Outcome::kGranted);
  EXPECT_EQ(result.server, &servers[1]);
  EXPECT_THAT(result.faults, IsEmpty());
  ASSERT_THAT(result.passed_over, SizeIs(1));
  EXPECT_THAT(result.passed_over[0],
              HasSubstr("SOCKS4 cannot carry the IPv6 address 2001:db8::7"));
  EXPECT_EQ(socks4->accepted(), 0);
  EXPECT_THAT(health_.DownServers(absl::Minutes(1), absl::Now()), IsEmpty());
}

TEST_F(UpstreamChainTest, Ipv6DestinationWithOnlySocks4Servers) {
  ASSERT_OK_AND_ASSIGN(auto socks4, ScriptedSocks4Server::Start(
                                        ScriptedSocks4Server::Reply(90)));
  std::vector<rules::UpstreamServer> servers = {ServerAt(socks4->address()),
                                                ServerAt(socks4->address())};
  servers[1].scheme = rules::UpstreamScheme::kSocks4;
  UpstreamResult result = RequestThroughUpstreams(
      servers, AddressRequest(net::SocketAddress(Ip("::1"), 80)), Context());
  EXPECT_EQ(result.outcome, UpstreamResult::Outcome::kUnreachable);
  EXPECT_EQ(result.failure, Failure::kAddressTypeUnsupported);
  EXPECT_THAT(result.reason, HasSubstr("IPv6 address ::1"));
  EXPECT_THAT(result.passed_over, SizeIs(2));
  EXPECT_EQ(socks4->accepted(), 0);
}

// --- socks4://
// -----------------------------------------------------------------

class Socks4SchemeTest : public UpstreamChainTest {
 protected:
  // A request by name whose resolution here gives `addresses`.
  UpstreamRequest ResolvingTo(std::vector<net::IpAddress> addresses) {
    UpstreamRequest request = NameRequest();
    request.resolve = [this, addresses] {
      ++resolved_;
      return absl::StatusOr<std::vector<net::IpAddress>>(addresses);
    };
    return request;
  }

  rules::UpstreamServer Socks4ServerAt(const net::SocketAddress& address) {
    rules::UpstreamServer server = ServerAt(address);
    server.scheme = rules::UpstreamScheme::kSocks4;
    return server;
  }

  int resolved_ = 0;
};

// The name is resolved here; the first IPv4 address that sockd.conf
// permits goes upstream as DSTIP, with the user id and no name.
TEST_F(Socks4SchemeTest, SendsTheFirstPermittedIpv4Address) {
  ASSERT_OK_AND_ASSIGN(auto upstream, ScriptedSocks4Server::Start(
                                          ScriptedSocks4Server::Reply(90)));
  const std::vector<rules::UpstreamServer> servers = {
      Socks4ServerAt(upstream->address())};
  UpstreamRequest request =
      ResolvingTo({Ip("::1"), Ip("10.0.0.9"), Ip("10.0.0.8"), Ip("10.0.0.7")});
  request.permitted = {{Ip("::1"), Ip("10.0.0.8"), Ip("10.0.0.7")}};
  UpstreamResult result = RequestThroughUpstreams(servers, request, Context());
  EXPECT_EQ(result.outcome, UpstreamResult::Outcome::kGranted);
  EXPECT_EQ(resolved_, 1);
  net::Socks4Request expected;
  expected.port = 443;
  expected.ip = Ip("10.0.0.8");
  expected.user_id = "ylee";
  ASSERT_OK_AND_ASSIGN(std::string sent,
                       upstream->WaitForRequest(absl::Seconds(10)));
  EXPECT_EQ(sent, net::EncodeSocks4Request(expected));
}

// Not the server's fault: passed over, not marked down, and the next
// server gets the name.
TEST_F(Socks4SchemeTest, NoPermittedIpv4AddressPassesOver) {
  ASSERT_OK_AND_ASSIGN(auto socks4, ScriptedSocks4Server::Start(
                                        ScriptedSocks4Server::Reply(90)));
  ASSERT_OK_AND_ASSIGN(auto socks4a, ScriptedSocks4Server::Start(
                                         ScriptedSocks4Server::Reply(90)));
  const std::vector<rules::UpstreamServer> servers = {
      Socks4ServerAt(socks4->address()), ServerAt(socks4a->address())};
  UpstreamRequest request = ResolvingTo({Ip("::1"), Ip("10.0.0.9")});
  request.permitted = {{Ip("::1")}};
  UpstreamResult result = RequestThroughUpstreams(servers, request, Context());
  ASSERT_EQ(result.outcome, UpstreamResult::Outcome::kGranted);
  EXPECT_EQ(result.server, &servers[1]);
  EXPECT_EQ(socks4->accepted(), 0);
  ASSERT_THAT(result.passed_over, SizeIs(1));
  EXPECT_THAT(result.passed_over[0], HasSubstr("no IPv4 address"));
  EXPECT_THAT(health_.DownServers(absl::Minutes(1), absl::Now()), IsEmpty());
  ASSERT_OK_AND_ASSIGN(std::string sent,
                       socks4a->WaitForRequest(absl::Seconds(10)));
  EXPECT_EQ(sent, Socks4aNameRequest());
}

TEST_F(Socks4SchemeTest, WhyNoSocks4ServerCouldCarryIt) {
  ASSERT_OK_AND_ASSIGN(auto socks4, ScriptedSocks4Server::Start(
                                        ScriptedSocks4Server::Reply(90)));
  const std::vector<rules::UpstreamServer> servers = {
      Socks4ServerAt(socks4->address())};
  struct Case {
    UpstreamRequest request;
    Failure failure;
  };
  UpstreamRequest only_ipv6 = ResolvingTo({Ip("::1")});
  UpstreamRequest none_permitted = ResolvingTo({Ip("10.0.0.9")});
  none_permitted.permitted = {{Ip("10.0.0.8")}};
  UpstreamRequest unresolved = NameRequest();
  unresolved.resolve = [] {
    return absl::StatusOr<std::vector<net::IpAddress>>(
        absl::NotFoundError("no such name"));
  };
  for (const Case& c : {Case{only_ipv6, Failure::kAddressTypeUnsupported},
                        Case{none_permitted, Failure::kDeniedByRules},
                        Case{unresolved, Failure::kHostUnreachable}}) {
    UpstreamResult result =
        RequestThroughUpstreams(servers, c.request, Context());
    EXPECT_EQ(result.outcome, UpstreamResult::Outcome::kUnreachable);
    EXPECT_EQ(result.failure, c.failure) << result.reason;
    EXPECT_THAT(result.faults, IsEmpty());
  }
  EXPECT_EQ(socks4->accepted(), 0);
}

}  // namespace
}  // namespace rsockd
