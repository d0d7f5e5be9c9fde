// End-to-end: --inetd under a real inetd, Debian's xinetd, as the classic
// inetd.conf line `socks stream tcp nowait root /usr/sbin/rsockd rsockd
// --inetd ...` would run it: xinetd accepts, starts one rsockd per
// connection with the connection on descriptors 0, 1 and 2, and logs each
// server's exit status.
//
// xinetd runs in the foreground on a loopback port found free just before;
// when another process takes the port in between, xinetd reports "0
// available services" and the test tries again with a new port (bounded).
// Readiness is xinetd's own "Started working" line, written once it has
// bound; every wait is bounded. The test runs outside Bazel's sandbox
// (BUILD: no-sandbox), as xinetd changes groups for the server it starts.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "net/deadline.h"
#include "rsockd/e2e/rsockd_test_base.h"
#include "testing/fake_identd.h"
#include "testing/files.h"
#include "testing/free_port_server.h"
#include "testing/rsockd_process.h"
#include "testing/socket_io.h"
#include "testing/socks4_client.h"
#include "testing/status_matchers.h"
#include "testing/subprocess.h"
#include "testing/syslog_receiver.h"
#include "testing/tcp_servers.h"

namespace rsockd::e2e {
namespace {

using ::rsockd::testing::ConnectTcp;
using ::rsockd::testing::EchoServer;
using ::rsockd::testing::FakeIdentd;
using ::rsockd::testing::FreePort;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::kSocks4Rejected;
using ::rsockd::testing::kSocks4ReplySize;
using ::rsockd::testing::LoopbackAddress;
using ::rsockd::testing::MakeTempDir;
using ::rsockd::testing::ReadFileToString;
using ::rsockd::testing::ReadSocks4Reply;
using ::rsockd::testing::ReadToCloseResult;
using ::rsockd::testing::ReadUntilClosed;
using ::rsockd::testing::RsockdProcess;
using ::rsockd::testing::RunCommand;
using ::rsockd::testing::Socks4Connect;
using ::rsockd::testing::Socks4ConnectRequest;
using ::rsockd::testing::Socks4Reply;
using ::rsockd::testing::Subprocess;
using ::rsockd::testing::SubprocessResult;
using ::rsockd::testing::SyslogReceiver;
using ::rsockd::testing::WaitForFileLine;
using ::rsockd::testing::WriteStringToFile;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kXinetd[] = "/usr/sbin/xinetd";
constexpr char kService[] = "rsockd-test";
constexpr int kPortAttempts = 5;

// xinetd in the foreground, serving one `nowait` stream service on
// 127.0.0.1. Stopped (SIGTERM, then SIGKILL) by its pid on destruction.
class Xinetd {
 public:
  static absl::StatusOr<std::unique_ptr<Xinetd>> Start(
      const std::string& dir, const std::string& server,
      const std::vector<std::string>& server_args) {
    absl::Status last_error;
    for (int attempt = 1; attempt <= kPortAttempts; ++attempt) {
      // A free port now; xinetd binds it a moment later.
      absl::StatusOr<uint16_t> port =
          FreePort(*net::IpAddress::Parse("127.0.0.1"));
      if (!port.ok()) return port.status();
      const std::string conf = absl::StrCat(dir, "/xinetd.conf");
      const std::string own_log =
          absl::StrCat(dir, "/xinetd-", attempt, ".log");
      const std::string service_log = absl::StrCat(dir, "/service.log");
      if (absl::Status written = WriteStringToFile(
              conf, Config(*port, server, server_args, service_log));
          !written.ok()) {
        return written;
      }
      absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(
          {.argv = {kXinetd, "-dontfork", "-filelog", own_log, "-f", conf}});
      if (!process.ok()) return process.status();
      auto xinetd = std::unique_ptr<Xinetd>(
          new Xinetd(*std::move(process), *port, service_log));
      absl::StatusOr<std::string> started =
          WaitForFileLine(own_log, "Started working: ", kStepTimeout);
      if (!started.ok()) return started.status();
      if (absl::StrContains(*started, "Started working: 1 available")) {
        return xinetd;
      }
      // The port was taken in between: xinetd serves nothing. Next port.
      last_error = absl::UnavailableError(
          absl::StrCat("xinetd could not bind 127.0.0.1:", *port, ": ",
                       ReadFileToString(own_log).value_or("")));
    }
    return last_error;
  }

  ~Xinetd() {
    if (process_->Running()) {
      (void)process_->Signal(SIGTERM);
      (void)process_->Wait(kStepTimeout);
    }
  }

  net::SocketAddress address() const { return LoopbackAddress(port_); }

  // xinetd's log of the servers it started and how they ended:
  // "START: rsockd-test pid=N from=127.0.0.1",
  // "EXIT: rsockd-test status=0 pid=N duration=0(sec)".
  const std::string& service_log() const { return service_log_; }

 private:
  Xinetd(std::unique_ptr<Subprocess> process, uint16_t port,
         std::string service_log)
      : process_(std::move(process)),
        port_(port),
        service_log_(std::move(service_log)) {}

  static std::string Config(uint16_t port, const std::string& server,
                            const std::vector<std::string>& server_args,
                            const std::string& service_log) {
    return absl::StrCat(
        "service ", kService,
        "\n{\n"
        "\ttype = UNLISTED\n"
        "\tsocket_type = stream\n"
        "\tprotocol = tcp\n"
        "\twait = no\n"
        "\tuser = root\n"
        "\tbind = 127.0.0.1\n"
        "\tport = ",
        port,
        "\n"
        // No rate limit: xinetd would otherwise switch the service off for
        // a while after a burst of connections.
        "\tcps = 10000 1\n"
        "\tinstances = UNLIMITED\n"
        "\tper_source = UNLIMITED\n"
        "\tlog_type = FILE ",
        service_log,
        "\n"
        "\tlog_on_success = PID EXIT\n"
        "\tlog_on_failure = HOST\n"
        "\tserver = ",
        server, "\n\tserver_args = ", absl::StrJoin(server_args, " "), "\n}\n");
  }

  std::unique_ptr<Subprocess> process_;
  uint16_t port_;
  std::string service_log_;
};

class InetdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(binary_, RsockdProcess::BinaryPath());
    ASSERT_OK_AND_ASSIGN(dir_, MakeTempDir("inetd-"));
    ASSERT_OK_AND_ASSIGN(syslog_, SyslogReceiver::Create());
  }

  // Starts xinetd serving `rsockd --inetd` with `sockd_conf`, or rsockd with
  // `server_args` instead of --inetd --syslog (the classic line has
  // neither). Verbose logging on stderr (-v=1), so that a log line reaching
  // the socket would corrupt what the client reads.
  void StartXinetd(const std::string& sockd_conf,
                   std::vector<std::string> server_args = {"--inetd",
                                                           "--syslog"}) {
    const std::string conf = absl::StrCat(dir_, "/sockd.conf");
    ASSERT_THAT(WriteStringToFile(conf, sockd_conf), IsOk());
    for (std::string flag :
         {absl::StrCat("--sockd_conf=", conf), std::string("-v=1"),
          absl::StrCat("--syslog_socket=", syslog_->path()),
          std::string("--handshake_timeout=10s")}) {
      server_args.push_back(std::move(flag));
    }
    ASSERT_OK_AND_ASSIGN(xinetd_, Xinetd::Start(dir_, binary_, server_args));
  }

  // The pid in "rsockd[PID]: " of a syslog message.
  static std::string PidOf(const std::string& message) {
    const size_t start = message.find(" rsockd[");
    const size_t end = message.find("]: ", start);
    if (start == std::string::npos || end == std::string::npos) return "?";
    return message.substr(start + 8, end - start - 8);
  }

  std::string binary_;
  std::string dir_;
  std::unique_ptr<SyslogReceiver> syslog_;
  std::unique_ptr<Xinetd> xinetd_;
};

TEST_F(InetdTest, ServesTheConnectionOnFdZeroAndExitsZero) {
  ASSERT_NO_FATAL_FAILURE(StartXinetd("permit 127.0.0.0 255.0.0.0\n"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  // Exactly the granted reply, then exactly the echoed bytes and EOF:
  // nothing rsockd logged found its way into the connection.
  {
    ASSERT_OK_AND_ASSIGN(
        net::Socket tunnel,
        Socks4Connect(xinetd_->address(),
                      Socks4ConnectRequest(echo->address(), "inetd"),
                      kStepTimeout));
    EXPECT_TRUE(EchoRoundTrip(tunnel, std::string(100000, 'i')));
  }
  ASSERT_OK_AND_ASSIGN(
      std::string connected,
      syslog_->WaitForMessage({"[1] connected -- Connect from inetd"},
                              kLogTimeout));
  ASSERT_OK_AND_ASSIGN(
      std::string terminated,
      syslog_->WaitForMessage({"[1] terminated -- ", "100000 bytes from inetd"},
                              kLogTimeout));
  const std::string pid = PidOf(connected);
  EXPECT_EQ(PidOf(terminated), pid);
  // One process for the one connection, and it ended by itself with 0.
  EXPECT_THAT(
      WaitForFileLine(xinetd_->service_log(),
                      absl::StrCat("EXIT: ", kService, " status=0 pid=", pid),
                      kLogTimeout),
      IsOk());
}

TEST_F(InetdTest, RefusalIsExactlyTheEightByteReply) {
  ASSERT_NO_FATAL_FAILURE(
      StartXinetd("deny 127.0.0.0 255.0.0.0 eq 9\n"
                  "permit 127.0.0.0 255.0.0.0\n"));
  ASSERT_OK_AND_ASSIGN(net::Socket client,
                       ConnectTcp(xinetd_->address(), kStepTimeout));
  const net::Deadline deadline = net::Deadline::In(kStepTimeout);
  ASSERT_THAT(client.WriteAll(Socks4ConnectRequest(LoopbackAddress(9), "jane"),
                              deadline),
              IsOk());
  ASSERT_OK_AND_ASSIGN(ReadToCloseResult all,
                       ReadUntilClosed(client, deadline, 4096));
  ASSERT_EQ(all.data.size(), kSocks4ReplySize)
      << "more than the reply arrived: \"" << all.data << "\"";
  EXPECT_EQ(static_cast<uint8_t>(all.data[0]), 0);
  EXPECT_EQ(static_cast<uint8_t>(all.data[1]), kSocks4Rejected);
  ASSERT_OK_AND_ASSIGN(std::string refused,
                       syslog_->WaitForMessage(
                           {"[1] refused -- Connect from jane"}, kLogTimeout));
  EXPECT_THAT(WaitForFileLine(xinetd_->service_log(),
                              absl::StrCat("status=0 pid=", PidOf(refused)),
                              kLogTimeout),
              IsOk());
}

TEST_F(InetdTest, HookOfTheRequestFinishesBeforeTheProcessExits) {
  const std::string marker = absl::StrCat(dir_, "/hook-ran");
  // The hook is still sleeping when the session ends; the process must wait
  // for it (within --drain_timeout) rather than kill it on the way out.
  // Refused by destination, so that the request (and its user) is read.
  ASSERT_NO_FATAL_FAILURE(StartXinetd(absl::StrCat(
      "deny ALL 127.0.0.0/8 : sleep 1; echo %u > ", marker, "\npermit ALL\n")));
  ASSERT_OK_AND_ASSIGN(net::Socket client,
                       ConnectTcp(xinetd_->address(), kStepTimeout));
  const net::Deadline deadline = net::Deadline::In(kStepTimeout);
  ASSERT_THAT(
      client.WriteAll(Socks4ConnectRequest(LoopbackAddress(80), "hooker"),
                      deadline),
      IsOk());
  ASSERT_OK_AND_ASSIGN(Socks4Reply reply, ReadSocks4Reply(client, deadline));
  EXPECT_EQ(reply.code, kSocks4Rejected);
  ASSERT_OK_AND_ASSIGN(
      std::string refused,
      syslog_->WaitForMessage({"[1] refused -- Connect from hooker"},
                              kLogTimeout));
  ASSERT_THAT(WaitForFileLine(xinetd_->service_log(),
                              absl::StrCat("status=0 pid=", PidOf(refused)),
                              kLogTimeout),
              IsOk());
  // The process has exited: the hook it waited for has written its file.
  EXPECT_EQ(ReadFileToString(marker).value_or("(no file)"), "hooker\n");
}

// The classic inetd.conf line, `socks stream tcp nowait nobody
// /usr/sbin/rsockd rsockd -i`: no --inetd, no --syslog. The connection on
// descriptor 0 is served all the same, nothing but SOCKS reaches it, and
// the log goes to syslog.
TEST_F(InetdTest, ClassicLineWithoutInetdFlagServesAndLogsToSyslog) {
  // -i asks the client's identd; this one confirms the user.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<FakeIdentd> identd, FakeIdentd::Start());
  identd->Answer([](uint16_t client_port, uint16_t server_port) {
    return absl::StrFormat("%d , %d : USERID : UNIX : classic\r\n", client_port,
                           server_port);
  });
  ASSERT_NO_FATAL_FAILURE(
      StartXinetd("permit 127.0.0.0 255.0.0.0\n",
                  {"-i", absl::StrCat("--ident_port=", identd->port())}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  {
    // Exactly the granted reply, then exactly the echoed bytes and EOF.
    ASSERT_OK_AND_ASSIGN(
        net::Socket tunnel,
        Socks4Connect(xinetd_->address(),
                      Socks4ConnectRequest(echo->address(), "classic"),
                      kStepTimeout));
    EXPECT_TRUE(EchoRoundTrip(tunnel, std::string(100000, 'c')));
  }
  // daemon.notice = 3 * 8 + 5 = 29.
  ASSERT_OK_AND_ASSIGN(
      std::string connected,
      syslog_->WaitForMessage(
          {"[1] connected -- Connect from classic(classic)"}, kLogTimeout));
  EXPECT_THAT(connected, StartsWith("<29>"));
  ASSERT_OK_AND_ASSIGN(
      std::string terminated,
      syslog_->WaitForMessage({"[1] terminated -- "}, kLogTimeout));
  EXPECT_EQ(PidOf(terminated), PidOf(connected));
  EXPECT_THAT(WaitForFileLine(xinetd_->service_log(),
                              absl::StrCat("EXIT: ", kService,
                                           " status=0 pid=", PidOf(connected)),
                              kLogTimeout),
              IsOk());
}

// What gflags prints about a bad flag goes to syslog, not to the client.
TEST_F(InetdTest, FlagErrorsGoToSyslogAndNotToTheClient) {
  ASSERT_NO_FATAL_FAILURE(
      StartXinetd("permit 127.0.0.0 255.0.0.0\n", {"-i", "--no_such_flag=1"}));
  ASSERT_OK_AND_ASSIGN(net::Socket client,
                       ConnectTcp(xinetd_->address(), kStepTimeout));
  const net::Deadline deadline = net::Deadline::In(kStepTimeout);
  ASSERT_THAT(
      client.WriteAll(Socks4ConnectRequest(LoopbackAddress(9), "x"), deadline),
      IsOk());
  ASSERT_OK_AND_ASSIGN(ReadToCloseResult all,
                       ReadUntilClosed(client, deadline, 4096));
  EXPECT_EQ(all.data, "") << "bytes reached the client";
  ASSERT_OK_AND_ASSIGN(std::string error,
                       syslog_->WaitForMessage({"no_such_flag"}, kLogTimeout));
  EXPECT_THAT(error, StartsWith("<27>"));  // daemon.err
}

TEST(InetdFlagTest, RefusesToRunWhenDescriptorZeroIsNotASocket) {
  ASSERT_OK_AND_ASSIGN(std::string binary, RsockdProcess::BinaryPath());
  // Subprocess gives the child a file on stdin.
  ASSERT_OK_AND_ASSIGN(
      SubprocessResult result,
      RunCommand({.argv = {binary, "--inetd"}, .stdin_data = "not a socket"},
                 kCommandTimeout));
  EXPECT_EQ(result.status.exit_code, 1) << result.status.ToString();
  EXPECT_THAT(result.stderr_text,
              HasSubstr("--inetd: descriptor 0 is not a socket"));
  EXPECT_EQ(result.stdout_text, "");
}

}  // namespace
}  // namespace rsockd::e2e
