// RunSession in process: each test hands one end of a loopback pair to a
// session on its own thread and plays the client on the other end, with
// rules parsed from text, a resolver that asks a FakeDnsServer, and
// servers on 127.0.0.1:0. The front end is the real one, wrapped to record
// the Outcome of every reply, so a test sees both the typed outcome (which
// tells causes apart that SOCKS4's 91 does not) and the wire bytes.

#include "rsockd/server/session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/pipe_pool.h"
#include "net/resolver.h"
#include "net/service_names.h"
#include "net/socket.h"
#include "net/socks4.h"
#include "net/thread_pool.h"
#include "rsockd/hooks/hook_runner.h"
#include "rsockd/server/front_end.h"
#include "rsockd/server/outcome.h"
#include "rsockd/server/own_listeners.h"
#include "rsockd/server/request.h"
#include "rsockd/server/stats.h"
#include "rsockd/server/upstream_health.h"
#include "rules/rule_set.h"
#include "rules/sockd_conf.h"
#include "rules/socks_conf.h"
#include "testing/fake_dns_server.h"
#include "testing/fake_identd.h"
#include "testing/log_lines.h"
#include "testing/loopback.h"
#include "testing/scripted_socks4_server.h"
#include "testing/socket_io.h"
#include "testing/status_matchers.h"
#include "testing/tcp_servers.h"

namespace rsockd {
namespace {

using ::rsockd::testing::IsOk;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr absl::Duration kTimeout = absl::Seconds(10);

net::Deadline Soon() { return net::Deadline::In(kTimeout); }

const net::IpAddress kLoopback = *net::IpAddress::Parse("127.0.0.1");

// What the recording front end saw; read it once the session ended.
struct Recording {
  // Applied to the request the real front end read, before the session
  // sees it: a request no SOCKS4 client can make.
  std::function<void(Request&)> edit;
  std::optional<Request> request;
  std::vector<Outcome> replies;
};

// The real front end, recording the request and every outcome it answers.
class RecordingFrontEnd : public FrontEnd {
 public:
  RecordingFrontEnd(std::unique_ptr<FrontEnd> front_end, Recording* recording)
      : front_end_(std::move(front_end)), recording_(recording) {}

  absl::StatusOr<Request> ReadRequest(absl::Span<const uint8_t> received,
                                      const net::Deadline& deadline) override {
    absl::StatusOr<Request> request =
        front_end_->ReadRequest(received, deadline);
    if (request.ok()) {
      if (recording_->edit) recording_->edit(*request);
      recording_->request = *request;
    }
    return request;
  }
  absl::Span<const uint8_t> early_data() const override {
    return front_end_->early_data();
  }
  absl::Status SendReply(const Outcome& outcome) override {
    recording_->replies.push_back(outcome);
    return front_end_->SendReply(outcome);
  }

 private:
  const std::unique_ptr<FrontEnd> front_end_;
  Recording* const recording_;
};

std::string Socks4Request(net::Socks4Command command,
                          const net::SocketAddress& destination,
                          absl::string_view user_id = "ylee") {
  net::Socks4Request request;
  request.command = command;
  request.ip = destination.ip();
  request.port = destination.port();
  request.user_id = std::string(user_id);
  return net::EncodeSocks4Request(request);
}

std::string Socks4aRequest(absl::string_view name, uint16_t port) {
  net::Socks4Request request;
  request.port = port;
  request.host_name = std::string(name);
  request.user_id = "ylee";
  return net::EncodeSocks4Request(request);
}

absl::StatusOr<net::Socks4Reply> ReadReply(net::Socket& client) {
  absl::StatusOr<std::string> bytes =
      testing::ReadExactly(client, net::kSocks4ReplySize, Soon());
  if (!bytes.ok()) return bytes.status();
  std::array<uint8_t, net::kSocks4ReplySize> reply;
  std::copy(bytes->begin(), bytes->end(), reply.begin());
  return net::ParseSocks4Reply(reply);
}

// Sends a request and reads the (first) reply.
absl::StatusOr<net::Socks4Reply> Ask(net::Socket& client,
                                     absl::string_view request) {
  if (absl::Status sent = client.WriteAll(request, Soon()); !sent.ok()) {
    return sent;
  }
  return ReadReply(client);
}

// The request log's description of a request from the test's client.
std::string Description(absl::string_view what, absl::string_view destination,
                        uint16_t port, absl::string_view ident = "unknown") {
  return absl::StrCat(what, " from ylee(", ident, ")@127.0.0.1 ",
                      what == "Bind" ? "for " : "to ", destination, " (",
                      net::ServiceName(port), ")");
}

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(dns_, testing::FakeDnsServer::Start());
    net::Resolver::Options resolver_options;
    resolver_options.resolv_conf = "/dev/null";
    resolver_options.servers = {dns_->address()};
    ASSERT_OK_AND_ASSIGN(resolver_, net::Resolver::Create(resolver_options));
    services_ = SessionServices{.resolver = resolver_.get(),
                                .pipes = &pipes_,
                                .relay_threads = &relay_threads_,
                                .hooks = &hooks_,
                                .upstreams = &upstreams_,
                                .own_listeners = &own_listeners_,
                                .stats = &stats_,
                                .request_log = &log_,
                                .stop = &stop_};
    options_.handshake_timeout = kTimeout;
    options_.resolve_timeout = kTimeout;
    options_.connect_timeout = kTimeout;
    options_.bind_timeout = kTimeout;
    options_.ident_timeout = kTimeout;
    options_.idle_timeout = absl::Minutes(1);
  }

  // Every wait of a session still running ends.
  void TearDown() override {
    stop_.Notify();
    if (session_.joinable()) session_.join();
  }

  // Starts a session with these rules and returns the client's end of its
  // connection.
  absl::StatusOr<net::Socket> StartSession(
      absl::string_view sockd_conf,
      std::optional<absl::string_view> socks_conf = std::nullopt) {
    absl::StatusOr<rules::SockdConf> access =
        rules::ParseSockdConf(sockd_conf, "sockd.conf");
    if (!access.ok()) return access.status();
    std::optional<rules::SocksConf> routing;
    if (socks_conf.has_value()) {
      absl::StatusOr<rules::SocksConf> parsed =
          rules::ParseSocksConf(*socks_conf, "socks.conf");
      if (!parsed.ok()) return parsed.status();
      routing = *std::move(parsed);
    }
    auto rules = std::make_shared<const rules::RuleSet>(*std::move(access),
                                                        std::move(routing));
    absl::StatusOr<testing::LoopbackPair> pair = testing::MakeLoopbackPair();
    if (!pair.ok()) return pair.status();
    absl::StatusOr<net::SocketAddress> peer = pair->accepted.PeerAddress();
    if (!peer.ok()) return peer.status();
    session_ = std::thread([this, client = std::move(pair->accepted),
                            peer = *peer, rules = std::move(rules)]() mutable {
      RunSession(7, std::move(client), peer, std::move(rules), options_,
                 services_,
                 [this](uint8_t version, const FrontEndContext& context) {
                   return std::make_unique<RecordingFrontEnd>(
                       FrontEndFor(version, context), &recording_);
                 });
    });
    return std::move(pair->connected);
  }

  // Waits for the session to end on its own.
  void JoinSession() { session_.join(); }

  std::vector<std::string> Log() const { return log_.lines(); }

  std::unique_ptr<testing::FakeDnsServer> dns_;
  std::unique_ptr<net::Resolver> resolver_;
  net::PipePool pipes_{1 << 20};
  net::ThreadPool relay_threads_{{.max_workers = 2, .max_queue = 2}, 256 << 10};
  HookRunner hooks_{HookRunner::Options{}};
  UpstreamHealth upstreams_;
  OwnListeners own_listeners_;
  Stats stats_;
  testing::LogLines log_{testing::LogLines::Scope::kOwn};
  net::StopSignal stop_;
  SessionOptions options_;
  SessionServices services_;
  Recording recording_;
  std::thread session_;
};

TEST_F(SessionTest, GrantedConnectRelaysEarlyAndLaterBytes) {
  ASSERT_OK_AND_ASSIGN(auto echo, testing::EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(net::Socket client, StartSession("permit ALL\n"));
  ASSERT_OK_AND_ASSIGN(
      net::Socks4Reply reply,
      Ask(client, absl::StrCat(Socks4Request(net::Socks4Command::kConnect,
                                             echo->address()),
                               "early")));
  EXPECT_EQ(reply.code, net::Socks4ReplyCode::kGranted);
  EXPECT_EQ(reply.port, 0);
  EXPECT_EQ(reply.ip, net::IpAddress());
  ASSERT_THAT(client.WriteAll(" late", Soon()), IsOk());
  client.ShutdownWrite();
  ASSERT_OK_AND_ASSIGN(testing::ReadToCloseResult echoed,
                       testing::ReadUntilClosed(client, Soon()));
  EXPECT_EQ(echoed.data, "early late");
  JoinSession();

  ASSERT_THAT(recording_.replies, SizeIs(1));
  ASSERT_TRUE(recording_.replies[0].granted());
  // The connection's own source address, which SOCKS4 does not carry.
  EXPECT_EQ(recording_.replies[0].address().ip(), kLoopback);
  EXPECT_NE(recording_.replies[0].address().port(), 0);
  const std::string description =
      Description("Connect", "127.0.0.1", echo->port());
  EXPECT_THAT(Log(),
              ElementsAre(absl::StrCat("[7] connected -- ", description),
                          absl::StrCat("[7] terminated -- ", description,
                                       ". 10 bytes from ylee@127.0.0.1, 10 "
                                       "bytes from 127.0.0.1")));
}

TEST_F(SessionTest, DeniedByRulesGets91AndItsLine) {
  ASSERT_OK_AND_ASSIGN(net::Socket client,
                       StartSession("permit ALL 10.0.0.0/8\n"
                                    "deny ALL\n"));
  const net::SocketAddress destination(kLoopback, 9);
  ASSERT_OK_AND_ASSIGN(
      net::Socks4Reply reply,
      Ask(client, Socks4Request(net::Socks4Command::kConnect, destination)));
  EXPECT_EQ(reply.code, net::Socks4ReplyCode::kRejected);
  JoinSession();

  ASSERT_THAT(recording_.replies, SizeIs(1));
  EXPECT_EQ(recording_.replies[0].failure(), Failure::kDeniedByRules);
  EXPECT_THAT(Log(),
              ElementsAre(absl::StrCat("[7] refused -- ",
                                       Description("Connect", "127.0.0.1", 9),
                                       " [sockd.conf:2]")));
}

TEST_F(SessionTest, RefusedConnectionGets91ButIsToldApart) {
  ASSERT_OK_AND_ASSIGN(net::Socket closed, testing::ReserveClosedPort());
  ASSERT_OK_AND_ASSIGN(net::SocketAddress destination, closed.LocalAddress());
  ASSERT_OK_AND_ASSIGN(net::Socket client, StartSession("permit ALL\n"));
  ASSERT_OK_AND_ASSIGN(
      net::Socks4Reply reply,
      Ask(client, Socks4Request(net::Socks4Command::kConnect, destination)));
  EXPECT_EQ(reply.code, net::Socks4ReplyCode::kRejected);
  JoinSession();

  ASSERT_THAT(recording_.replies, SizeIs(1));
  EXPECT_EQ(recording_.replies[0].failure(), Failure::kConnectionRefused);
  EXPECT_THAT(Log(),
              ElementsAre(absl::StrCat(
                  "[7] failed -- ",
                  Description("Connect", "127.0.0.1", destination.port()),
                  ". Error code: connect() to ", destination.ToString(),
                  ": Connection refused")));
}

// The kernel refuses a TCP connect to a multicast address itself
// (ENETUNREACH): nothing leaves the host.
TEST_F(SessionTest, UnreachableNetworkGets91ButIsToldApart) {
  ASSERT_OK_AND_ASSIGN(net::Socket client, StartSession("permit ALL\n"));
  const net::SocketAddress destination(*net::IpAddress::Parse("224.0.0.1"), 80);
  ASSERT_OK_AND_ASSIGN(
      net::Socks4Reply reply,
      Ask(client, Socks4Request(net::Socks4Command::kConnect, destination)));
  EXPECT_EQ(reply.code, net::Socks4ReplyCode::kRejected);
  JoinSession();

  ASSERT_THAT(recording_.replies, SizeIs(1));
  EXPECT_EQ(recording_.replies[0].failure(), Failure::kNetworkUnreachable);
}

TEST_F(SessionTest, Socks4aNameIsResolvedHereAndConnected) {
  ASSERT_OK_AND_ASSIGN(auto echo, testing::EchoServer::Start());
  dns_->AddAddress("echo.test", kLoopback, 300);
  ASSERT_OK_AND_ASSIGN(net::Socket client, StartSession("permit ALL\n"));
  ASSERT_OK_AND_ASSIGN(net::Socks4Reply reply,
                       Ask(client, Socks4aRequest("echo.test", echo->port())));
  EXPECT_EQ(reply.code, net::Socks4ReplyCode::kGranted);
  ASSERT_THAT(client.WriteAll("named", Soon()), IsOk());
  client.ShutdownWrite();
  ASSERT_OK_AND_ASSIGN(testing::ReadToCloseResult echoed,
                       testing::ReadUntilClosed(client, Soon()));
  EXPECT_EQ(echoed.data, "named");
  JoinSession();

  ASSERT_TRUE(recording_.request.has_value());
  EXPECT_EQ(recording_.request->destination.name, "echo.test");
  ASSERT_THAT(recording_.replies, SizeIs(1));
  EXPECT_TRUE(recording_.replies[0].granted());
  EXPECT_THAT(Log(), Contains(absl::StrCat(
                         "[7] connected -- ",
                         Description("Connect", "echo.test", echo->port()),
                         " at ", echo->address().ToString())));
}

TEST_F(SessionTest, NameThatDoesNotResolveIsAnUnreachableHost) {
  dns_->SetBehaviour("nowhere.test",
                     testing::FakeDnsServer::Behaviour::kNxDomain);
  ASSERT_OK_AND_ASSIGN(net::Socket client, StartSession("permit ALL\n"));
  ASSERT_OK_AND_ASSIGN(net::Socks4Reply reply,
                       Ask(client, Socks4aRequest("nowhere.test", 80)));
  EXPECT_EQ(reply.code, net::Socks4ReplyCode::kRejected);
  JoinSession();

  ASSERT_THAT(recording_.replies, SizeIs(1));
  EXPECT_EQ(recording_.replies[0].failure(), Failure::kHostUnreachable);
  const std::vector<std::string> log = Log();
  ASSERT_THAT(log, SizeIs(1));
  EXPECT_THAT(log[0],
              ::testing::StartsWith(absl::StrCat(
                  "[7] failed -- ", Description("Connect", "nowhere.test", 80),
                  ". Error code: ")));
}

TEST_F(SessionTest, BindRepliesTwiceThenRelaysThePeer) {
  ASSERT_OK_AND_ASSIGN(net::Socket client, StartSession("permit ALL\n"));
  ASSERT_OK_AND_ASSIGN(
      net::Socks4Reply first,
      Ask(client, Socks4Request(net::Socks4Command::kBind,
                                net::SocketAddress(kLoopback, 21))));
  ASSERT_EQ(first.code, net::Socks4ReplyCode::kGranted);
  EXPECT_EQ(first.ip, kLoopback);
  const net::SocketAddress listening(first.ip, first.port);
  ASSERT_OK_AND_ASSIGN(net::Socket peer,
                       testing::ConnectTcp(listening, kTimeout));
  ASSERT_OK_AND_ASSIGN(net::SocketAddress peer_address, peer.LocalAddress());
  ASSERT_OK_AND_ASSIGN(net::Socks4Reply second, ReadReply(client));
  EXPECT_EQ(second.code, net::Socks4ReplyCode::kGranted);
  EXPECT_EQ(net::SocketAddress(second.ip, second.port), peer_address);
  ASSERT_THAT(peer.WriteAll("from peer", Soon()), IsOk());
  peer.ShutdownWrite();
  ASSERT_OK_AND_ASSIGN(testing::ReadToCloseResult received,
                       testing::ReadUntilClosed(client, Soon()));
  EXPECT_EQ(received.data, "from peer");
  client.Close();
  JoinSession();

  ASSERT_THAT(recording_.replies, SizeIs(2));
  EXPECT_TRUE(recording_.replies[0].granted());
  EXPECT_EQ(recording_.replies[0].address(), listening);
  EXPECT_TRUE(recording_.replies[1].granted());
  EXPECT_EQ(recording_.replies[1].address(), peer_address);
  const std::string description = Description("Bind", "127.0.0.1", 21);
  EXPECT_THAT(Log(), Contains(absl::StrCat("[7] bound -- ", description, " at ",
                                           listening.ToString())));
  EXPECT_THAT(Log(), Contains(absl::StrCat("[7] connected -- ", description,
                                           " peer ", peer_address.ToString())));
}

TEST_F(SessionTest, BindPeerThatIsNotTheExpectedOneIsRefused) {
  ASSERT_OK_AND_ASSIGN(net::Socket client, StartSession("permit ALL\n"));
  const net::IpAddress expected = *net::IpAddress::Parse("127.0.0.5");
  ASSERT_OK_AND_ASSIGN(
      net::Socks4Reply first,
      Ask(client, Socks4Request(net::Socks4Command::kBind,
                                net::SocketAddress(expected, 21))));
  ASSERT_EQ(first.code, net::Socks4ReplyCode::kGranted);
  ASSERT_OK_AND_ASSIGN(
      net::Socket peer,
      testing::ConnectTcp(net::SocketAddress(first.ip, first.port), kTimeout,
                          *net::IpAddress::Parse("127.0.0.6")));
  ASSERT_OK_AND_ASSIGN(net::SocketAddress peer_address, peer.LocalAddress());
  ASSERT_OK_AND_ASSIGN(net::Socks4Reply second, ReadReply(client));
  EXPECT_EQ(second.code, net::Socks4ReplyCode::kRejected);
  JoinSession();

  ASSERT_THAT(recording_.replies, SizeIs(2));
  EXPECT_EQ(recording_.replies[1].failure(), Failure::kDeniedByRules);
  EXPECT_THAT(Log(),
              Contains(absl::StrCat(
                  "[7] refused -- ", Description("Bind", "127.0.0.5", 21),
                  " [peer ", peer_address.ToString(), " is not 127.0.0.5]")));
}

TEST_F(SessionTest, StrictIdentWithoutIdentdGets92) {
  ASSERT_OK_AND_ASSIGN(net::Socket closed, testing::ReserveClosedPort());
  ASSERT_OK_AND_ASSIGN(net::SocketAddress no_identd, closed.LocalAddress());
  options_.ident_port = no_identd.port();
  ASSERT_OK_AND_ASSIGN(net::Socket client, StartSession("permit ?=I ALL\n"));
  ASSERT_OK_AND_ASSIGN(
      net::Socks4Reply reply,
      Ask(client, Socks4Request(net::Socks4Command::kConnect,
                                net::SocketAddress(kLoopback, 9))));
  EXPECT_EQ(reply.code, net::Socks4ReplyCode::kIdentUnreachable);
  JoinSession();

  ASSERT_THAT(recording_.replies, SizeIs(1));
  EXPECT_EQ(recording_.replies[0].failure(), Failure::kIdentUnavailable);
  EXPECT_THAT(Log(),
              Contains(absl::StrCat("[7] refused -- ",
                                    Description("Connect", "127.0.0.1", 9),
                                    " [identd required]")));
}

TEST_F(SessionTest, IdentdNamingAnotherUserGets93) {
  ASSERT_OK_AND_ASSIGN(auto identd, testing::FakeIdentd::Start());
  identd->Answer([](uint16_t client_port, uint16_t server_port) {
    return absl::StrCat(client_port, " , ", server_port,
                        " : USERID : UNIX : mallory\r\n");
  });
  options_.ident_port = identd->port();
  ASSERT_OK_AND_ASSIGN(net::Socket client, StartSession("permit ?=I ALL\n"));
  ASSERT_OK_AND_ASSIGN(
      net::Socks4Reply reply,
      Ask(client, Socks4Request(net::Socks4Command::kConnect,
                                net::SocketAddress(kLoopback, 9))));
  EXPECT_EQ(reply.code, net::Socks4ReplyCode::kIdentMismatch);
  JoinSession();

  ASSERT_THAT(recording_.replies, SizeIs(1));
  EXPECT_EQ(recording_.replies[0].failure(), Failure::kIdentMismatch);
  EXPECT_THAT(
      Log(), ElementsAre(
                 "[7] *Alert*: real user is mallory, not ylee",
                 absl::StrCat("[7] refused -- ",
                              Description("Connect", "127.0.0.1", 9, "mallory"),
                              " [ident mismatch]")));
}

// A request without a user id (SOCKS5 without a password, which no SOCKS4
// client can send: the recording front end edits the request) has nothing
// for identd's answer to contradict; the answer is recorded.
TEST_F(SessionTest, IdentAnswerToARequestWithoutUserIdIsOnlyRecorded) {
  ASSERT_OK_AND_ASSIGN(auto echo, testing::EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(auto identd, testing::FakeIdentd::Start());
  options_.ident_port = identd->port();
  recording_.edit = [](Request& request) {
    request.user_id.clear();
    request.user_id_origin = UserIdOrigin::kNone;
  };
  ASSERT_OK_AND_ASSIGN(net::Socket client, StartSession("permit ?=I ALL\n"));
  ASSERT_OK_AND_ASSIGN(net::Socks4Reply reply,
                       Ask(client, Socks4Request(net::Socks4Command::kConnect,
                                                 echo->address())));
  EXPECT_EQ(reply.code, net::Socks4ReplyCode::kGranted);
  client.Close();
  JoinSession();

  ASSERT_THAT(recording_.replies, SizeIs(1));
  EXPECT_TRUE(recording_.replies[0].granted());
  EXPECT_THAT(Log(), Contains(absl::StrCat(
                         "[7] connected -- Connect from (ylee)@127.0.0.1 to "
                         "127.0.0.1 (",
                         net::ServiceName(echo->port()), ")")));
}

TEST_F(SessionTest, UpstreamRefusalGets91AndKeepsTheUpstreamsCode) {
  ASSERT_OK_AND_ASSIGN(auto upstream,
                       testing::ScriptedSocks4Server::Start(
                           testing::ScriptedSocks4Server::Reply(92)));
  ASSERT_OK_AND_ASSIGN(
      net::Socket client,
      StartSession(
          "permit ALL\n",
          absl::StrCat("sockd @=", upstream->address().ToString(), " ALL\n")));
  const net::SocketAddress destination(*net::IpAddress::Parse("10.1.2.3"), 80);
  ASSERT_OK_AND_ASSIGN(
      net::Socks4Reply reply,
      Ask(client, Socks4Request(net::Socks4Command::kConnect, destination)));
  EXPECT_EQ(reply.code, net::Socks4ReplyCode::kRejected);
  JoinSession();

  ASSERT_THAT(recording_.replies, SizeIs(1));
  EXPECT_EQ(recording_.replies[0].failure(), Failure::kUpstreamRefused);
  EXPECT_EQ(recording_.replies[0].upstream().version, SocksVersion::kSocks4);
  EXPECT_EQ(recording_.replies[0].upstream().code, 92);
  EXPECT_THAT(Log(), ElementsAre(absl::StrCat(
                         "[7] refused -- ",
                         Description("Connect", "10.1.2.3", 80), " [upstream ",
                         upstream->address().ToString(), " replied 92]")));
}

TEST_F(SessionTest, BytesThatAreNotSocksAreDroppedWithoutReply) {
  ASSERT_OK_AND_ASSIGN(net::Socket client, StartSession("permit ALL\n"));
  ASSERT_THAT(client.WriteAll("GET / HTTP/1.0\r\n\r\n", Soon()), IsOk());
  ASSERT_OK_AND_ASSIGN(testing::ReadToCloseResult received,
                       testing::ReadUntilClosed(client, Soon()));
  EXPECT_EQ(received.data, "");
  JoinSession();

  EXPECT_FALSE(recording_.request.has_value());
  EXPECT_THAT(recording_.replies, IsEmpty());
  EXPECT_EQ(stats_.bad_requests, 1);
  const std::vector<std::string> log = Log();
  ASSERT_THAT(log, SizeIs(1));
  EXPECT_THAT(log[0], ::testing::MatchesRegex(
                          "\\[7\\] dropped -- 127\\.0\\.0\\.1:[0-9]+: not a "
                          "SOCKS4 request \\(version 71\\)"));
}

}  // namespace
}  // namespace rsockd
