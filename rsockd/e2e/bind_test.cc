// BIND end to end (docs/bind.md; docs/socks_conf.md#upstream-chaining;
// docs/sockd_route.md): the real rsockd binary driven with raw SOCKS4 BIND
// requests, directly, through a cascade of rsockd processes, through Dante and
// through scripted upstreams; and a real BIND user, an active-mode FTP transfer
// whose data connection arrives through rsockd.
//
// The peers connect from 127.0.0.5 and up (any 127.x.y.z can be bound), so
// a test can be the expected peer or a wrong one. Requests that must go
// upstream name peers other than 127.0.0.1 and 0.0.0.0, which socks.conf
// always routes directly (docs/socks_conf.md#decision).

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "net/deadline.h"
#include "net/socket.h"
#include "net/socks4.h"
#include "rsockd/e2e/rsockd_test_base.h"
#include "testing/dante_server.h"
#include "testing/files.h"
#include "testing/ftp_server.h"
#include "testing/rsockd_process.h"
#include "testing/sha256.h"
#include "testing/socket_io.h"
#include "testing/socks4_client.h"
#include "testing/status_matchers.h"
#include "testing/subprocess.h"
#include "testing/tcp_servers.h"

namespace rsockd::e2e {
namespace {

using ::rsockd::testing::ConnectTcp;
using ::rsockd::testing::DanteServer;
using ::rsockd::testing::FtpServer;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::kSocks4Granted;
using ::rsockd::testing::kSocks4Rejected;
using ::rsockd::testing::PseudoRandomBytes;
using ::rsockd::testing::ReadToCloseResult;
using ::rsockd::testing::ReadUntilClosed;
using ::rsockd::testing::RsockdProcess;
using ::rsockd::testing::Sha256;
using ::rsockd::testing::Socks4aBindRequest;
using ::rsockd::testing::Socks4BindRequest;
using ::rsockd::testing::Socks4Handshake;
using ::rsockd::testing::Socks4Reply;
using ::rsockd::testing::Socks4Session;
using ::rsockd::testing::TcpServer;
using ::rsockd::testing::WriteStringToFile;
using ::testing::HasSubstr;

// DSTPORT of the requests: the port of the client's primary connection,
// which only `op port` rules look at.
constexpr uint16_t kFtpPort = 21;

net::IpAddress Ip(absl::string_view text) {
  return *net::IpAddress::Parse(text);
}

// The server's second reply on a BIND connection.
absl::StatusOr<Socks4Reply> SecondReply(net::Socket& client) {
  return rsockd::testing::ReadSocks4Reply(client,
                                          net::Deadline::In(kStepTimeout));
}

// A connection to `to` that nobody accepts is refused: the BIND's port is
// closed.
::testing::AssertionResult PortIsClosed(const net::SocketAddress& to) {
  absl::StatusOr<net::Socket> probe = ConnectTcp(to, kStepTimeout);
  if (probe.ok()) {
    return ::testing::AssertionFailure() << to.ToString() << " still accepts";
  }
  if (!absl::IsUnavailable(probe.status())) {
    return ::testing::AssertionFailure() << probe.status();
  }
  return ::testing::AssertionSuccess();
}

// Both directions of a relayed BIND, with the half-close: the client sends
// `upload` and half-closes; the peer reads it to EOF and only then sends
// `download` and closes, which the client must receive whole.
::testing::AssertionResult HalfCloseExchange(net::Socket& client,
                                             net::Socket& peer,
                                             const std::string& upload,
                                             const std::string& download) {
  const net::Deadline deadline = net::Deadline::In(absl::Seconds(120));
  absl::Status uploaded;
  std::thread writer([&] {
    uploaded = client.WriteAll(upload, deadline);
    client.ShutdownWrite();
  });
  absl::StatusOr<ReadToCloseResult> at_peer;
  absl::Status downloaded;
  std::thread peer_side([&] {
    at_peer = ReadUntilClosed(peer, deadline, upload.size() + 1);
    if (at_peer.ok()) downloaded = peer.WriteAll(download, deadline);
    peer.ShutdownWrite();
  });
  absl::StatusOr<ReadToCloseResult> at_client =
      ReadUntilClosed(client, deadline, download.size() + 1);
  writer.join();
  peer_side.join();
  if (!uploaded.ok() || !downloaded.ok() || !at_peer.ok() || !at_client.ok()) {
    return ::testing::AssertionFailure()
           << "upload " << uploaded << ", download " << downloaded
           << ", peer read " << at_peer.status() << ", client read "
           << at_client.status();
  }
  if (at_peer->reset || Sha256::Of(at_peer->data) != Sha256::Of(upload)) {
    return ::testing::AssertionFailure()
           << "the peer got " << at_peer->data.size() << " bytes of "
           << upload.size() << (at_peer->reset ? " and a reset" : "");
  }
  if (at_client->reset || Sha256::Of(at_client->data) != Sha256::Of(download)) {
    return ::testing::AssertionFailure()
           << "the client got " << at_client->data.size() << " bytes of "
           << download.size() << (at_client->reset ? " and a reset" : "");
  }
  return ::testing::AssertionSuccess();
}

// An upstream SOCKS4 server that says what the test scripts: for each
// connection it reads one request, sends `replies` (a first BIND reply, and
// maybe a second), then holds the connection, discarding what arrives,
// until the other side closes.
absl::StatusOr<std::unique_ptr<TcpServer>> StartScriptedBindUpstream(
    std::string replies) {
  return TcpServer::Start([replies](net::Socket connection,
                                    const net::StopSignal& stop) {
    const net::Deadline deadline = net::Deadline::In(kStepTimeout, &stop);
    net::Socks4RequestParser parser;
    uint8_t byte;
    while (!parser.done()) {
      // One byte at a time: nothing beyond the request is taken.
      absl::StatusOr<size_t> n =
          connection.ReadSome(absl::MakeSpan(&byte, 1), deadline);
      if (!n.ok() || *n == 0 || !parser.Feed(absl::MakeSpan(&byte, 1)).ok()) {
        return;
      }
    }
    if (!connection.WriteAll(replies, deadline).ok()) return;
    (void)ReadUntilClosed(connection,
                          net::Deadline::In(absl::Minutes(5), &stop));
  });
}

std::string ReplyBytes(net::Socks4ReplyCode code, const char* ip,
                       uint16_t port) {
  const std::array<uint8_t, 8> bytes =
      net::EncodeSocks4Reply(code, port, Ip(ip));
  return std::string(bytes.begin(), bytes.end());
}

class BindTest : public RsockdTest {
 protected:
  // Sends a BIND request and reads the first reply.
  absl::StatusOr<Socks4Session> Bind(absl::string_view request) {
    return Socks4Handshake(proxy(), request, kStepTimeout);
  }

  // Sends a BIND for `expected_peer` and expects the first reply 90.
  absl::StatusOr<Socks4Session> GrantedBind(const char* expected_peer,
                                            absl::string_view user) {
    absl::StatusOr<Socks4Session> session =
        Bind(Socks4BindRequest(Ip(expected_peer), kFtpPort, user));
    if (session.ok() && session->reply.code != kSocks4Granted) {
      return absl::FailedPreconditionError(
          absl::StrCat("first reply ", session->reply.code, "\n", LogTail()));
    }
    return session;
  }
};

TEST_F(BindTest, DirectBindRelaysBothWaysWithHalfClose) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd({.sockd_conf = kPermitLoopback}));
  ASSERT_OK_AND_ASSIGN(Socks4Session session, GrantedBind("127.0.0.5", "bob"));
  // No route file: rsockd listens on the address the client reached it at.
  const net::SocketAddress listen = session.reply.address();
  EXPECT_EQ(listen.ip(), Ip("127.0.0.1"));
  EXPECT_NE(listen.port(), 0);
  EXPECT_NE(listen.port(), proxy().port());

  ASSERT_OK_AND_ASSIGN(net::Socket peer,
                       ConnectTcp(listen, kStepTimeout, Ip("127.0.0.5")));
  ASSERT_OK_AND_ASSIGN(net::SocketAddress peer_address, peer.LocalAddress());
  ASSERT_OK_AND_ASSIGN(Socks4Reply second, SecondReply(session.socket));
  EXPECT_EQ(second.version, 0);
  EXPECT_EQ(second.code, kSocks4Granted);
  EXPECT_EQ(second.address(), peer_address);
  // One peer per BIND.
  EXPECT_TRUE(PortIsClosed(listen));

  const std::string upload = PseudoRandomBytes(4 << 20, 61);
  const std::string download = PseudoRandomBytes((4 << 20) + 1024, 62);
  EXPECT_TRUE(HalfCloseExchange(session.socket, peer, upload, download));

  EXPECT_THAT(rsockd().WaitForLogLine(
                  absl::StrCat("bound -- Bind from bob(unknown)@127.0.0.1 for "
                               "127.0.0.5 (ftp) at ",
                               listen.ToString()),
                  kLogTimeout),
              IsOk());
  EXPECT_THAT(rsockd().WaitForLogLine(
                  absl::StrCat("connected -- Bind from bob(unknown)@127.0.0.1 "
                               "for 127.0.0.5 (ftp) peer ",
                               peer_address.ToString()),
                  kLogTimeout),
              IsOk());
  EXPECT_THAT(
      rsockd().WaitForLogLine(
          absl::StrCat("terminated -- Bind from bob(unknown)@127.0.0.1 for "
                       "127.0.0.5 (ftp) peer ",
                       peer_address.ToString(), ". ", upload.size(),
                       " bytes from bob@127.0.0.1, ", download.size(),
                       " bytes from ", peer_address.ToString()),
          kLogTimeout),
      IsOk());
}

TEST_F(BindTest, BytesTheClientSendsEarlyReachThePeerFirst) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd({.sockd_conf = kPermitLoopback}));
  ASSERT_OK_AND_ASSIGN(net::Socket client, ConnectTcp(proxy(), kStepTimeout));
  const net::Deadline deadline = net::Deadline::In(kStepTimeout);
  // Pipelined behind the request, then more while rsockd waits for the peer.
  ASSERT_THAT(
      client.WriteAll(Socks4BindRequest(Ip("127.0.0.5"), kFtpPort, "early") +
                          "with the request|",
                      deadline),
      IsOk());
  ASSERT_OK_AND_ASSIGN(Socks4Reply first,
                       rsockd::testing::ReadSocks4Reply(client, deadline));
  ASSERT_EQ(first.code, kSocks4Granted);
  ASSERT_THAT(client.WriteAll("while waiting", deadline), IsOk());
  // The session is still waiting: its bytes did not end it.
  ASSERT_THAT(rsockd().WaitForLogLine("bound -- Bind from early", kLogTimeout),
              IsOk());

  ASSERT_OK_AND_ASSIGN(
      net::Socket peer,
      ConnectTcp(first.address(), kStepTimeout, Ip("127.0.0.5")));
  ASSERT_OK_AND_ASSIGN(Socks4Reply second, SecondReply(client));
  EXPECT_EQ(second.code, kSocks4Granted);
  client.ShutdownWrite();
  ASSERT_OK_AND_ASSIGN(ReadToCloseResult at_peer,
                       ReadUntilClosed(peer, deadline));
  EXPECT_EQ(at_peer.data, "with the request|while waiting");
}

TEST_F(BindTest, AnyPeerIsAdmittedForDstipZero) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd({.sockd_conf = kPermitLoopback}));
  ASSERT_OK_AND_ASSIGN(Socks4Session session, GrantedBind("0.0.0.0", "any"));
  ASSERT_OK_AND_ASSIGN(
      net::Socket peer,
      ConnectTcp(session.reply.address(), kStepTimeout, Ip("127.0.0.9")));
  ASSERT_OK_AND_ASSIGN(Socks4Reply second, SecondReply(session.socket));
  EXPECT_EQ(second.code, kSocks4Granted);
  EXPECT_EQ(second.address().ip(), Ip("127.0.0.9"));
  EXPECT_TRUE(HalfCloseExchange(session.socket, peer, "ping", "pong"));
}

TEST_F(BindTest, AnyPeerIsRefusedWithBindAnyPeerOff) {
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.sockd_conf = kPermitLoopback,
                   .extra_flags = {"--bind_any_peer=false"}}));
  ASSERT_OK_AND_ASSIGN(Socks4Session session,
                       Bind(Socks4BindRequest(Ip("0.0.0.0"), 0, "any")));
  EXPECT_EQ(session.reply.code, kSocks4Rejected);
  EXPECT_THAT(rsockd().WaitForLogLine(
                  "refused -- Bind from any(unknown)@127.0.0.1 for 0.0.0.0 "
                  "(0) [BIND for any peer, and --bind_any_peer is off]",
                  kLogTimeout),
              IsOk());
  // A named peer is still served.
  ASSERT_OK_AND_ASSIGN(Socks4Session named, GrantedBind("127.0.0.5", "named"));
  EXPECT_NE(named.reply.address().port(), 0);
}

TEST_F(BindTest, WrongPeerGets91AndIsClosed) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd({.sockd_conf = kPermitLoopback}));
  ASSERT_OK_AND_ASSIGN(Socks4Session session, GrantedBind("127.0.0.5", "eve"));
  ASSERT_OK_AND_ASSIGN(
      net::Socket intruder,
      ConnectTcp(session.reply.address(), kStepTimeout, Ip("127.0.0.6")));
  ASSERT_OK_AND_ASSIGN(net::SocketAddress intruder_address,
                       intruder.LocalAddress());
  ASSERT_OK_AND_ASSIGN(Socks4Reply second, SecondReply(session.socket));
  EXPECT_EQ(second.code, kSocks4Rejected);
  // Both the intruder and the client are let go.
  ASSERT_OK_AND_ASSIGN(
      ReadToCloseResult at_intruder,
      ReadUntilClosed(intruder, net::Deadline::In(kStepTimeout)));
  EXPECT_EQ(at_intruder.data, "");
  ASSERT_OK_AND_ASSIGN(
      ReadToCloseResult at_client,
      ReadUntilClosed(session.socket, net::Deadline::In(kStepTimeout)));
  EXPECT_EQ(at_client.data, "");
  EXPECT_THAT(
      rsockd().WaitForLogLine(
          absl::StrCat("refused -- Bind from eve(unknown)@127.0.0.1 "
                       "for 127.0.0.5 (ftp) [peer ",
                       intruder_address.ToString(), " is not 127.0.0.5]"),
          kLogTimeout),
      IsOk());
  EXPECT_TRUE(PortIsClosed(session.reply.address()));
}

TEST_F(BindTest, NoPeerWithinTheBindTimeoutGets91) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd(
      {.sockd_conf = kPermitLoopback, .extra_flags = {"--bind_timeout=1s"}}));
  ASSERT_OK_AND_ASSIGN(Socks4Session session, GrantedBind("127.0.0.5", "late"));
  const absl::Time start = absl::Now();
  ASSERT_OK_AND_ASSIGN(Socks4Reply second, SecondReply(session.socket));
  EXPECT_EQ(second.code, kSocks4Rejected);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(900));
  EXPECT_THAT(rsockd().WaitForLogLine(
                  "failed -- Bind from late(unknown)@127.0.0.1 for 127.0.0.5 "
                  "(ftp). Error code: no peer connected within 1s",
                  kLogTimeout),
              IsOk());
  EXPECT_TRUE(PortIsClosed(session.reply.address()));
}

TEST_F(BindTest, ClientLeavingClosesTheListenerAndLeaksNothing) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd({.sockd_conf = kPermitLoopback}));
  // Warm up with a whole BIND, so that whatever the server opens once and
  // keeps (pooled pipes, relay threads' state) is in the baseline.
  {
    ASSERT_OK_AND_ASSIGN(Socks4Session warm, GrantedBind("127.0.0.5", "warm"));
    ASSERT_OK_AND_ASSIGN(
        net::Socket peer,
        ConnectTcp(warm.reply.address(), kStepTimeout, Ip("127.0.0.5")));
    ASSERT_OK_AND_ASSIGN(Socks4Reply second, SecondReply(warm.socket));
    ASSERT_EQ(second.code, kSocks4Granted);
    ASSERT_TRUE(HalfCloseExchange(warm.socket, peer, "warm", "up"));
    ASSERT_THAT(
        rsockd().WaitForLogLine("terminated -- Bind from warm", kLogTimeout),
        IsOk());
  }
  ASSERT_OK_AND_ASSIGN(const int baseline, SettledFdCount(absl::Seconds(60)));

  const size_t mark = rsockd().StderrSize();
  ASSERT_OK_AND_ASSIGN(Socks4Session session, GrantedBind("127.0.0.5", "gone"));
  const net::SocketAddress listen = session.reply.address();
  // The listener and the client's connection are open while it waits: the
  // count can see them.
  ASSERT_OK_AND_ASSIGN(const int waiting, rsockd().OpenFdCount());
  EXPECT_GE(waiting, baseline + 2) << rsockd().DescribeOpenFds();

  session.socket.Close();
  EXPECT_THAT(rsockd().WaitForLogLine(
                  "failed -- Bind from gone(unknown)@127.0.0.1 for 127.0.0.5 "
                  "(ftp). Error code: client closed its connection",
                  kLogTimeout, mark),
              IsOk());
  EXPECT_TRUE(PortIsClosed(listen));
  EXPECT_TRUE(WaitForFdCountAtMost(baseline, absl::Seconds(20)));
}

TEST_F(BindTest, ClientResetWhileWaitingIsLogged) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd({.sockd_conf = kPermitLoopback}));
  ASSERT_OK_AND_ASSIGN(Socks4Session session, GrantedBind("127.0.0.5", "rst"));
  session.socket.SetAbortiveClose();
  session.socket.Close();
  EXPECT_THAT(
      rsockd().WaitForLogLine("client reset its connection", kLogTimeout),
      IsOk());
  EXPECT_TRUE(PortIsClosed(session.reply.address()));
}

TEST_F(BindTest, DrainEndsAWaitingBind) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd(
      {.sockd_conf = kPermitLoopback, .extra_flags = {"--drain_timeout=1s"}}));
  ASSERT_OK_AND_ASSIGN(Socks4Session session, GrantedBind("127.0.0.5", "dr"));
  ASSERT_EQ(kill(rsockd().pid(), SIGTERM), 0);
  ASSERT_OK_AND_ASSIGN(Socks4Reply second, SecondReply(session.socket));
  EXPECT_EQ(second.code, kSocks4Rejected);
  EXPECT_THAT(
      rsockd().WaitForLogLine("Error code: server is stopping", kLogTimeout),
      IsOk());
  ASSERT_OK_AND_ASSIGN(testing::ExitStatus status,
                       rsockd().Stop(absl::Seconds(30)));
  EXPECT_TRUE(status.success()) << status.ToString();
}

TEST_F(BindTest, RouteFileChoosesTheListenAddress) {
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.sockd_conf = kPermitLoopback,
                   .route_file = "127.0.0.3 127.0.0.0 255.0.0.0\n"}));
  ASSERT_OK_AND_ASSIGN(Socks4Session session, GrantedBind("127.0.0.5", "rt"));
  EXPECT_EQ(session.reply.address().ip(), Ip("127.0.0.3"));
  ASSERT_OK_AND_ASSIGN(
      net::Socket peer,
      ConnectTcp(session.reply.address(), kStepTimeout, Ip("127.0.0.5")));
  ASSERT_OK_AND_ASSIGN(Socks4Reply second, SecondReply(session.socket));
  EXPECT_EQ(second.code, kSocks4Granted);
  EXPECT_TRUE(
      HalfCloseExchange(session.socket, peer, "to the peer", "to the client"));
}

TEST_F(BindTest, NoMatchingRouteGets91WithTheClassicLine) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd(
      {.sockd_conf = kPermitLoopback, .route_file = "10.0.0.1 10.0.0.0/8\n"}));
  ASSERT_OK_AND_ASSIGN(
      Socks4Session session,
      Bind(Socks4BindRequest(Ip("127.0.0.5"), kFtpPort, "nort")));
  EXPECT_EQ(session.reply.code, kSocks4Rejected);
  EXPECT_THAT(rsockd().WaitForLogLine(
                  "Cannot find appropriate interface to communicate with "
                  "127.0.0.5",
                  kLogTimeout),
              IsOk());
}

TEST_F(BindTest, Socks4aNameIsTheExpectedPeer) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd({.sockd_conf = kPermitLoopback}));
  ASSERT_OK_AND_ASSIGN(Socks4Session session,
                       Bind(Socks4aBindRequest("localhost", kFtpPort, "4a")));
  ASSERT_EQ(session.reply.code, kSocks4Granted) << LogTail();
  ASSERT_OK_AND_ASSIGN(
      net::Socket peer,
      ConnectTcp(session.reply.address(), kStepTimeout, Ip("127.0.0.1")));
  ASSERT_OK_AND_ASSIGN(Socks4Reply second, SecondReply(session.socket));
  EXPECT_EQ(second.code, kSocks4Granted);
  EXPECT_EQ(second.address().ip(), Ip("127.0.0.1"));
  EXPECT_THAT(rsockd().WaitForLogLine(
                  "connected -- Bind from 4a(unknown)@127.0.0.1 for "
                  "localhost (ftp) peer 127.0.0.1:",
                  kLogTimeout),
              IsOk());
}

TEST_F(BindTest, AccessRulesSeeDstipAndHooksSayBind) {
  ASSERT_OK_AND_ASSIGN(std::string dir,
                       rsockd::testing::MakeTempDir("bind-hook"));
  const std::string hook_output = dir + "/hook";
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.sockd_conf = absl::StrCat(
                       "deny 127.0.0.0 255.0.0.0 127.0.0.6 255.255.255.255\n",
                       "permit 127.0.0.0 255.0.0.0 : echo %c %z %u > ",
                       hook_output, "\n")}));
  ASSERT_OK_AND_ASSIGN(
      Socks4Session denied,
      Bind(Socks4BindRequest(Ip("127.0.0.6"), kFtpPort, "denied")));
  EXPECT_EQ(denied.reply.code, kSocks4Rejected);
  EXPECT_THAT(
      rsockd().WaitForLogLine("refused -- Bind from denied(unknown)@127.0.0.1 "
                              "for 127.0.0.6 (ftp) [",
                              kLogTimeout),
      IsOk());

  ASSERT_OK_AND_ASSIGN(Socks4Session permitted, GrantedBind("127.0.0.5", "ok"));
  // The hook runs asynchronously; wait for its complete line.
  ASSERT_OK_AND_ASSIGN(
      std::string written,
      rsockd::testing::WaitForCompleteFile(hook_output, kLogTimeout));
  EXPECT_EQ(written, "bind 127.0.0.5 ok\n");
}

TEST_F(BindTest, TunedBindTimeoutAppliesAfterSighup) {
  ASSERT_OK_AND_ASSIGN(std::string dir,
                       rsockd::testing::MakeTempDir("bind-flags"));
  const std::string flagfile = dir + "/rsockd.flags";
  ASSERT_THAT(WriteStringToFile(flagfile, "--bind_timeout=1h\n"), IsOk());
  ASSERT_NO_FATAL_FAILURE(
      StartRsockd({.sockd_conf = kPermitLoopback,
                   .extra_flags = {"--flagfile=" + flagfile}}));
  ASSERT_THAT(WriteStringToFile(flagfile, "--bind_timeout=1s\n"), IsOk());
  ASSERT_TRUE(Reload(kReloaded));
  ASSERT_OK_AND_ASSIGN(Socks4Session session, GrantedBind("127.0.0.5", "hup"));
  ASSERT_OK_AND_ASSIGN(Socks4Reply second, SecondReply(session.socket));
  EXPECT_EQ(second.code, kSocks4Rejected);
  EXPECT_THAT(
      rsockd().WaitForLogLine("no peer connected within 1s", kLogTimeout),
      IsOk());
}

// --- A real BIND user: active-mode FTP
// (docs/testing.md#real-peers-and-clients). Dante's client library
// (dante-client, LD_PRELOAD) routes the ftp client's sockets through rsockd:
// the control connection to a loopback server goes direct, the data
// connection's listen() becomes a SOCKS4 BIND for DSTIP 0.0.0.0, and
// pyftpdlib's data connection arrives through rsockd.

constexpr char kDanteClientLibrary[] = "libdsocksd.so.0";

bool FtpClientInstalled() {
  return access("/usr/bin/ftp", X_OK) == 0 &&
         access("/usr/bin/socksify", X_OK) == 0;
}

TEST_F(BindTest, ActiveModeFtpDownloadArrivesThroughBind) {
  if (!FtpServer::Installed() || !FtpClientInstalled()) {
    GTEST_SKIP() << "python3-pyftpdlib, ftp or dante-client is not installed";
  }
  ASSERT_NO_FATAL_FAILURE(StartRsockd({.sockd_conf = kPermitLoopback}));
  ASSERT_OK_AND_ASSIGN(std::string dir, rsockd::testing::MakeTempDir("ftp"));
  ASSERT_EQ(mkdir((dir + "/root").c_str(), 0755), 0);
  const std::string file = PseudoRandomBytes(3 << 20, 67);
  ASSERT_THAT(WriteStringToFile(dir + "/root/file.bin", file), IsOk());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<FtpServer> ftp,
                       FtpServer::Start(Ip("127.0.0.2"), dir + "/root"));

  // Dante's client configuration: everything through rsockd, SOCKS4, with
  // BIND. (Its parser wants the route's keywords on separate lines.)
  const std::string socks_conf = dir + "/socks.conf";
  ASSERT_THAT(
      WriteStringToFile(
          socks_conf,
          absl::StrCat("logoutput: stderr\n"
                       "route {\n"
                       "  from: 0.0.0.0/0 to: 0.0.0.0/0 via: 127.0.0.1 port = ",
                       proxy().port(),
                       "\n"
                       "  proxyprotocol: socks_v4\n"
                       "  command: connect bind\n"
                       "}\n")),
      IsOk());
  const std::string out = dir + "/out.bin";
  ASSERT_OK_AND_ASSIGN(
      testing::SubprocessResult result,
      testing::RunCommand(
          {.argv = {"ftp", "-n", "-v", "127.0.0.2",
                    absl::StrCat(ftp->address().port())},
           .env = {{"LD_PRELOAD", kDanteClientLibrary},
                   {"SOCKS_CONF", socks_conf}},
           // `passive` turns tnftp's default passive mode off: the server
           // connects back, to the port rsockd listens on.
           .stdin_data = absl::StrCat("user anonymous guest\n"
                                      "passive\n"
                                      "binary\n"
                                      "get file.bin ",
                                      out,
                                      "\n"
                                      "quit\n")},
          kCommandTimeout));
  const std::string transcript =
      absl::StrCat(result.stdout_text, "\n---- ftp stderr ----\n",
                   result.stderr_text, "\n---- pyftpdlib ----\n", ftp->Log());
  EXPECT_EQ(result.status.exit_code, 0) << transcript;
  EXPECT_THAT(result.stdout_text, HasSubstr("Passive mode: off")) << transcript;
  EXPECT_THAT(result.stdout_text, HasSubstr("226 Transfer complete"))
      << transcript;
  absl::StatusOr<std::string> received = rsockd::testing::ReadFileToString(out);
  ASSERT_THAT(received, IsOk()) << transcript;
  EXPECT_EQ(received->size(), file.size());
  EXPECT_EQ(Sha256::Of(*received), Sha256::Of(file));

  // The data connection went through rsockd's BIND, from the FTP server.
  EXPECT_THAT(rsockd().WaitForLogLineWithAll(
                  {"connected -- Bind from ", "for 0.0.0.0", "peer 127.0.0.2:"},
                  kLogTimeout),
              IsOk());
  EXPECT_THAT(rsockd().WaitForLogLineWithAll(
                  {"terminated -- Bind from ",
                   absl::StrCat(file.size(), " bytes from 127.0.0.2:")},
                  kLogTimeout),
              IsOk());
}

// --- Through upstreams (docs/socks_conf.md#upstream-chaining).

TEST_F(BindTest, ThroughACascadeOfTwoRsockdHops) {
  auto [middle, last] = StartHopChain(kPermitLoopback);
  ASSERT_NO_FATAL_FAILURE(
      StartRsockdThrough({middle.address()}, {.sockd_conf = kPermitLoopback}));
  ASSERT_OK_AND_ASSIGN(Socks4Session session,
                       GrantedBind("127.0.0.5", "carol"));
  // The last hop listens, on the address the middle one reached it at.
  const net::SocketAddress listen = session.reply.address();
  EXPECT_EQ(listen.ip(), Ip("127.0.0.1"));

  ASSERT_OK_AND_ASSIGN(net::Socket peer,
                       ConnectTcp(listen, kStepTimeout, Ip("127.0.0.5")));
  ASSERT_OK_AND_ASSIGN(net::SocketAddress peer_address, peer.LocalAddress());
  ASSERT_OK_AND_ASSIGN(Socks4Reply second, SecondReply(session.socket));
  EXPECT_EQ(second.code, kSocks4Granted);
  EXPECT_EQ(second.address(), peer_address);
  EXPECT_TRUE(HalfCloseExchange(session.socket, peer,
                                PseudoRandomBytes(1 << 20, 63),
                                PseudoRandomBytes((1 << 20) + 7, 64)));

  EXPECT_THAT(
      rsockd().WaitForLogLine(
          absl::StrCat("connected -- Bind from carol(unknown)@127.0.0.1 "
                       "for 127.0.0.5 (ftp) via ",
                       middle.address().ToString(), " peer ",
                       peer_address.ToString()),
          kLogTimeout),
      IsOk());
  EXPECT_THAT(
      middle.WaitForLogLine(absl::StrCat("via ", last.address().ToString(),
                                         " peer ", peer_address.ToString()),
                            kLogTimeout),
      IsOk());
  EXPECT_THAT(
      last.WaitForLogLine(absl::StrCat("connected -- Bind from carol(unknown)@",
                                       "127.0.0.1 for 127.0.0.5 (ftp) peer ",
                                       peer_address.ToString()),
                          kLogTimeout),
      IsOk());
}

TEST_F(BindTest, WrongPeerAtTheLastHopReaches91ThroughTheCascade) {
  RsockdProcess& hop = StartHop({.sockd_conf = kPermitLoopback});
  ASSERT_NO_FATAL_FAILURE(
      StartRsockdThrough({hop.address()}, {.sockd_conf = kPermitLoopback}));
  ASSERT_OK_AND_ASSIGN(Socks4Session session, GrantedBind("127.0.0.5", "dan"));
  ASSERT_OK_AND_ASSIGN(
      net::Socket intruder,
      ConnectTcp(session.reply.address(), kStepTimeout, Ip("127.0.0.6")));
  ASSERT_OK_AND_ASSIGN(Socks4Reply second, SecondReply(session.socket));
  EXPECT_EQ(second.code, kSocks4Rejected);
  EXPECT_THAT(
      rsockd().WaitForLogLine(
          absl::StrCat("[upstream ", hop.address().ToString(), " replied 91]"),
          kLogTimeout),
      IsOk());
}

TEST_F(BindTest, ThroughDante) {
  if (!DanteServer::Installed()) GTEST_SKIP() << "danted is not installed";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<DanteServer> dante,
                       DanteServer::Start({}));
  ASSERT_NO_FATAL_FAILURE(
      StartRsockdThrough({dante->address()}, {.sockd_conf = kPermitLoopback}));
  ASSERT_OK_AND_ASSIGN(Socks4Session session, GrantedBind("127.0.0.5", "eve"));
  const net::SocketAddress listen = session.reply.address();
  // Dante listens on its external address, 127.0.0.1.
  EXPECT_EQ(listen.ip(), Ip("127.0.0.1")) << dante->Log();
  EXPECT_NE(listen.port(), 0);

  ASSERT_OK_AND_ASSIGN(net::Socket peer,
                       ConnectTcp(listen, kStepTimeout, Ip("127.0.0.5")));
  ASSERT_OK_AND_ASSIGN(net::SocketAddress peer_address, peer.LocalAddress());
  ASSERT_OK_AND_ASSIGN(Socks4Reply second, SecondReply(session.socket));
  EXPECT_EQ(second.code, kSocks4Granted) << dante->Log();
  EXPECT_EQ(second.address(), peer_address);
  EXPECT_TRUE(HalfCloseExchange(session.socket, peer,
                                PseudoRandomBytes(1 << 20, 65),
                                PseudoRandomBytes((1 << 20) + 9, 66)))
      << dante->Log();
  EXPECT_THAT(rsockd().WaitForLogLine(
                  absl::StrCat("connected -- Bind from eve(unknown)@127.0.0.1 "
                               "for 127.0.0.5 (ftp) via ",
                               dante->address().ToString(), " peer ",
                               peer_address.ToString()),
                  kLogTimeout),
              IsOk());
}

TEST_F(BindTest, UpstreamFirstReplyOfZeroMeansTheUpstreamsAddress) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<TcpServer> upstream,
      StartScriptedBindUpstream(
          ReplyBytes(net::Socks4ReplyCode::kGranted, "0.0.0.0", 4242) +
          ReplyBytes(net::Socks4ReplyCode::kGranted, "127.0.0.9", 5555)));
  ASSERT_NO_FATAL_FAILURE(StartRsockdThrough({upstream->address()},
                                             {.sockd_conf = kPermitLoopback}));
  ASSERT_OK_AND_ASSIGN(Socks4Session session, GrantedBind("127.0.0.9", "z"));
  EXPECT_EQ(session.reply.address(),
            net::SocketAddress(upstream->address().ip(), 4242));
  ASSERT_OK_AND_ASSIGN(Socks4Reply second, SecondReply(session.socket));
  EXPECT_EQ(second.code, kSocks4Granted);
  EXPECT_EQ(second.address(), net::SocketAddress(Ip("127.0.0.9"), 5555));
  EXPECT_THAT(rsockd().WaitForLogLine(
                  absl::StrCat("bound -- Bind from z(unknown)@127.0.0.1 for "
                               "127.0.0.9 (ftp) via ",
                               upstream->address().ToString(), " at ",
                               upstream->address().ip().ToString(), ":4242"),
                  kLogTimeout),
              IsOk());
}

TEST_F(BindTest, UpstreamSecondRefusalIs91) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<TcpServer> upstream,
      StartScriptedBindUpstream(
          ReplyBytes(net::Socks4ReplyCode::kGranted, "127.0.0.1", 4242) +
          ReplyBytes(net::Socks4ReplyCode::kRejected, "0.0.0.0", 0)));
  ASSERT_NO_FATAL_FAILURE(StartRsockdThrough({upstream->address()},
                                             {.sockd_conf = kPermitLoopback}));
  ASSERT_OK_AND_ASSIGN(Socks4Session session, GrantedBind("127.0.0.9", "r"));
  ASSERT_OK_AND_ASSIGN(Socks4Reply second, SecondReply(session.socket));
  EXPECT_EQ(second.code, kSocks4Rejected);
  EXPECT_THAT(rsockd().WaitForLogLine(
                  absl::StrCat("[upstream ", upstream->address().ToString(),
                               " replied 91]"),
                  kLogTimeout),
              IsOk());
}

TEST_F(BindTest, UpstreamGarbledSecondReplyIs91) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<TcpServer> upstream,
      StartScriptedBindUpstream(
          ReplyBytes(net::Socks4ReplyCode::kGranted, "127.0.0.1", 4242) +
          "HTTP/1.0"));
  ASSERT_NO_FATAL_FAILURE(StartRsockdThrough({upstream->address()},
                                             {.sockd_conf = kPermitLoopback}));
  ASSERT_OK_AND_ASSIGN(Socks4Session session, GrantedBind("127.0.0.9", "g"));
  ASSERT_OK_AND_ASSIGN(Socks4Reply second, SecondReply(session.socket));
  EXPECT_EQ(second.code, kSocks4Rejected);
  EXPECT_THAT(
      rsockd().WaitForLogLine(
          absl::StrCat("failed -- Bind from g(unknown)@127.0.0.1 for 127.0.0.9 "
                       "(ftp) via ",
                       upstream->address().ToString(),
                       ". Error code: upstream's second reply: garbled reply"),
          kLogTimeout),
      IsOk());
}

TEST_F(BindTest, UpstreamSilentAfterTheFirstReplyTimesOut) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TcpServer> upstream,
                       StartScriptedBindUpstream(ReplyBytes(
                           net::Socks4ReplyCode::kGranted, "127.0.0.1", 4242)));
  ASSERT_NO_FATAL_FAILURE(StartRsockdThrough(
      {upstream->address()},
      {.sockd_conf = kPermitLoopback, .extra_flags = {"--bind_timeout=1s"}}));
  ASSERT_OK_AND_ASSIGN(Socks4Session session, GrantedBind("127.0.0.9", "s"));
  ASSERT_OK_AND_ASSIGN(Socks4Reply second, SecondReply(session.socket));
  EXPECT_EQ(second.code, kSocks4Rejected);
  EXPECT_THAT(rsockd().WaitForLogLine(
                  "Error code: no second reply from the upstream within 1s",
                  kLogTimeout),
              IsOk());
}

}  // namespace
}  // namespace rsockd::e2e
