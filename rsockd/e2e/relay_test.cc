// End-to-end: the relay moves every byte in both directions, keeps the
// half-close semantics (docs/life_of_a_request.md), relays urgent data as
// urgent data, and ends a session whose client is gone without waiting for the
// idle timeout.

#include <dirent.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "net/deadline.h"
#include "rsockd/e2e/rsockd_test_base.h"
#include "testing/files.h"
#include "testing/sha256.h"
#include "testing/socket_io.h"
#include "testing/socks4_client.h"
#include "testing/status_matchers.h"
#include "testing/subprocess.h"
#include "testing/tcp_servers.h"
#include "testing/wait_for.h"

namespace rsockd::e2e {
namespace {

using ::rsockd::testing::EchoServer;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::IsOkAndHolds;
using ::rsockd::testing::MakeTempDir;
using ::rsockd::testing::PseudoRandomBytes;
using ::rsockd::testing::ReadToCloseResult;
using ::rsockd::testing::ReadUntilClosed;
using ::rsockd::testing::RunCommand;
using ::rsockd::testing::Sha256;
using ::rsockd::testing::SinkServer;
using ::rsockd::testing::Socks4Connect;
using ::rsockd::testing::Socks4ConnectRequest;
using ::rsockd::testing::SubprocessResult;
using ::rsockd::testing::TcpServer;
using ::rsockd::testing::WaitFor;
using ::rsockd::testing::WriteStringToFile;

// Big transfers get more time than one ordinary step.
constexpr absl::Duration kTransferTimeout = absl::Seconds(120);

// The two byte counts of a "terminated --" line: "N bytes from <client>,
// M bytes from <destination>".
::testing::AssertionResult HasByteCounts(const std::string& line,
                                         uint64_t from_client,
                                         uint64_t from_destination) {
  static const std::regex kCounts(
      R"((\d+) bytes from [^,]*, (\d+) bytes from )");
  std::smatch match;
  if (!std::regex_search(line, match, kCounts)) {
    return ::testing::AssertionFailure() << "no byte counts in: " << line;
  }
  if (match[1] != std::to_string(from_client) ||
      match[2] != std::to_string(from_destination)) {
    return ::testing::AssertionFailure()
           << "counts " << match[1] << "/" << match[2] << ", want "
           << from_client << "/" << from_destination << " in: " << line;
  }
  return ::testing::AssertionSuccess();
}

// The pipes a process holds, from /proc/PID/fd: how many, and how many bytes
// sit in them (FIONREAD on each, opened through /proc).
struct PipeUsage {
  int pipes = 0;
  int64_t bytes = 0;
};

absl::StatusOr<PipeUsage> PipesOf(pid_t pid) {
  const std::string dir = absl::StrCat("/proc/", pid, "/fd");
  DIR* fds = opendir(dir.c_str());
  if (fds == nullptr) return absl::ErrnoToStatus(errno, dir);
  std::set<std::string> seen;  // both ends name the same pipe
  PipeUsage usage;
  while (const dirent* entry = readdir(fds)) {
    const std::string path = absl::StrCat(dir, "/", entry->d_name);
    char target[64];
    const ssize_t size = readlink(path.c_str(), target, sizeof(target) - 1);
    if (size <= 0) continue;  // ".", "..", or closed meanwhile
    const std::string name(target, size);
    if (!absl::StartsWith(name, "pipe:") || !seen.insert(name).second) {
      continue;
    }
    const int pipe = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (pipe < 0) continue;  // closed meanwhile
    int bytes = 0;
    ioctl(pipe, FIONREAD, &bytes);
    close(pipe);
    ++usage.pipes;
    usage.bytes += bytes;
  }
  closedir(fds);
  return usage;
}

class RelayTest : public RsockdTest {};

TEST_F(RelayTest, TenMebibytesBothWaysAtOnceArriveIntact) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd());
  const std::string upload = PseudoRandomBytes(10 << 20, 31);
  // One KiB longer than the upload, so the log's two counts cannot be
  // confused.
  const std::string download = PseudoRandomBytes((10 << 20) + 1024, 32);
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<SinkServer> sink,
      SinkServer::Start(download, SinkServer::ReplyWhen::kConcurrently));
  ASSERT_OK_AND_ASSIGN(
      net::Socket tunnel,
      Socks4Connect(proxy(), Socks4ConnectRequest(sink->address(), "both-ways"),
                    kStepTimeout));

  const net::Deadline deadline = net::Deadline::In(kTransferTimeout);
  absl::Status uploaded;
  std::thread writer([&] {
    uploaded = tunnel.WriteAll(upload, deadline);
    tunnel.ShutdownWrite();
  });
  absl::StatusOr<ReadToCloseResult> received =
      ReadUntilClosed(tunnel, deadline, download.size() + 1);
  writer.join();

  ASSERT_THAT(uploaded, IsOk());
  ASSERT_THAT(received, IsOk());
  EXPECT_FALSE(received->reset);
  EXPECT_EQ(received->data.size(), download.size());
  EXPECT_EQ(Sha256::Of(received->data), Sha256::Of(download));

  ASSERT_OK_AND_ASSIGN(SinkServer::Stream stream,
                       sink->WaitForStream(kTransferTimeout));
  EXPECT_EQ(stream.bytes_received, upload.size());
  EXPECT_EQ(stream.sha256_received, Sha256::Of(upload));
  EXPECT_THAT(stream.read_status, IsOk())
      << "the destination saw an orderly EOF";
  EXPECT_THAT(stream.reply_status, IsOk());

  ASSERT_OK_AND_ASSIGN(std::string line,
                       rsockd().WaitForLogLineWithAll(
                           {"terminated --", "both-ways"}, kLogTimeout));
  EXPECT_TRUE(HasByteCounts(line, upload.size(), download.size()));
}

TEST_F(RelayTest, HalfClosedClientStillGetsTheWholeAnswer) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd());
  const std::string request = PseudoRandomBytes(100 * 1024, 33);
  const std::string answer = PseudoRandomBytes(1 << 20, 34);
  // The destination answers only after it has seen the client's EOF.
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<SinkServer> sink,
      SinkServer::Start(answer, SinkServer::ReplyWhen::kAfterEof));
  ASSERT_OK_AND_ASSIGN(
      net::Socket tunnel,
      Socks4Connect(proxy(),
                    Socks4ConnectRequest(sink->address(), "half-close"),
                    kStepTimeout));
  const net::Deadline deadline = net::Deadline::In(kTransferTimeout);
  ASSERT_THAT(tunnel.WriteAll(request, deadline), IsOk());
  tunnel.ShutdownWrite();

  ASSERT_OK_AND_ASSIGN(ReadToCloseResult received,
                       ReadUntilClosed(tunnel, deadline, answer.size() + 1));
  EXPECT_FALSE(received.reset);
  EXPECT_EQ(received.data.size(), answer.size());
  EXPECT_EQ(Sha256::Of(received.data), Sha256::Of(answer));

  ASSERT_OK_AND_ASSIGN(SinkServer::Stream stream,
                       sink->WaitForStream(kTransferTimeout));
  EXPECT_EQ(stream.bytes_received, request.size());
  EXPECT_EQ(stream.sha256_received, Sha256::Of(request));
  EXPECT_THAT(stream.read_status, IsOk());
  EXPECT_THAT(stream.reply_status, IsOk());

  ASSERT_OK_AND_ASSIGN(std::string line,
                       rsockd().WaitForLogLineWithAll(
                           {"terminated --", "half-close"}, kLogTimeout));
  EXPECT_TRUE(HasByteCounts(line, request.size(), answer.size()));
}

TEST_F(RelayTest, DataSentWithTheRequestIsForwarded) {
  // A client may pipeline its first bytes right behind the request.
  ASSERT_NO_FATAL_FAILURE(StartRsockd());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  ASSERT_OK_AND_ASSIGN(net::Socket proxy_connection,
                       rsockd::testing::ConnectTcp(proxy(), kStepTimeout));
  const net::Deadline deadline = net::Deadline::In(kStepTimeout);
  ASSERT_THAT(
      proxy_connection.WriteAll(
          Socks4ConnectRequest(echo->address(), "pipelined") + "early bytes",
          deadline),
      IsOk());
  ASSERT_OK_AND_ASSIGN(
      rsockd::testing::Socks4Reply reply,
      rsockd::testing::ReadSocks4Reply(proxy_connection, deadline));
  EXPECT_EQ(reply.code, rsockd::testing::kSocks4Granted);
  ASSERT_OK_AND_ASSIGN(std::string echoed, rsockd::testing::ReadExactly(
                                               proxy_connection, 11, deadline));
  EXPECT_EQ(echoed, "early bytes");
}

TEST_F(RelayTest, ConcurrentSessionsStayApart) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<EchoServer> echo, EchoServer::Start());
  constexpr int kSessions = 8;
  std::vector<std::thread> clients;
  std::vector<::testing::AssertionResult> results(
      kSessions, ::testing::AssertionFailure() << "not run");
  for (int i = 0; i < kSessions; ++i) {
    clients.emplace_back([&, i] {
      absl::StatusOr<net::Socket> tunnel = Socks4Connect(
          proxy(), Socks4ConnectRequest(echo->address(), absl::StrCat("c", i)),
          kStepTimeout);
      if (!tunnel.ok()) {
        results[i] = ::testing::AssertionFailure() << tunnel.status();
        return;
      }
      results[i] =
          EchoRoundTrip(*tunnel, PseudoRandomBytes(512 * 1024, 100 + i));
    });
  }
  for (std::thread& client : clients) client.join();
  for (int i = 0; i < kSessions; ++i)
    EXPECT_TRUE(results[i]) << "session " << i;
}

// Clients that never read: each session's relay stalls, holding what it
// took from the destination. Pipes held that way are capped by
// --pipe_memory_mib, beyond which sessions copy through a small buffer, and
// every byte still arrives once the clients read.
TEST_F(RelayTest, PipesHeldForClientsThatDoNotReadStayWithinTheBudget) {
  constexpr int kBudgetMib = 4;
  constexpr int kSessions = 12;
  ASSERT_NO_FATAL_FAILURE(StartRsockd(
      {.extra_flags = {absl::StrCat("--pipe_memory_mib=", kBudgetMib)}}));
  const std::string answer = PseudoRandomBytes(8 << 20, 40);
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<SinkServer> destination,
      SinkServer::Start(answer, SinkServer::ReplyWhen::kConcurrently));
  std::vector<net::Socket> clients;
  for (int i = 0; i < kSessions; ++i) {
    ASSERT_OK_AND_ASSIGN(
        net::Socket client,
        Socks4Connect(proxy(),
                      Socks4ConnectRequest(destination->address(), "slow"),
                      kStepTimeout));
    clients.push_back(std::move(client));
  }
  // Until the pipes stop changing for a second (every relay stalled), the
  // budget holds at every look.
  PipeUsage usage;
  absl::StatusOr<PipeUsage> now;
  absl::Time stable_since = absl::Now();
  ASSERT_TRUE(WaitFor(
      [&] {
        now = PipesOf(rsockd().pid());
        if (!now.ok() || now->pipes > kBudgetMib ||
            now->bytes > (int64_t{kBudgetMib} << 20)) {
          return true;  // Asserted below.
        }
        if (now->pipes != usage.pipes || now->bytes != usage.bytes) {
          usage = *now;
          stable_since = absl::Now();
        }
        return absl::Now() - stable_since >= absl::Seconds(1);
      },
      "stalled (pipes unchanged for a second)", kStepTimeout));
  ASSERT_THAT(now, IsOk());
  ASSERT_LE(now->pipes, kBudgetMib) << "pipes beyond the budget";
  ASSERT_LE(now->bytes, int64_t{kBudgetMib} << 20);
  // The stalled relays did take pipes, up to the budget, and fill them.
  EXPECT_EQ(usage.pipes, kBudgetMib);
  EXPECT_GT(usage.bytes, 0);

  std::vector<std::thread> readers;
  std::vector<absl::StatusOr<ReadToCloseResult>> received(
      kSessions, absl::UnknownError("not read"));
  for (int i = 0; i < kSessions; ++i) {
    readers.emplace_back([&, i] {
      clients[i].ShutdownWrite();
      received[i] = ReadUntilClosed(
          clients[i], net::Deadline::In(kTransferTimeout), answer.size() + 1);
    });
  }
  for (std::thread& reader : readers) reader.join();
  for (int i = 0; i < kSessions; ++i) {
    ASSERT_THAT(received[i], IsOk()) << "session " << i;
    EXPECT_FALSE(received[i]->reset) << "session " << i;
    EXPECT_EQ(Sha256::Of(received[i]->data), Sha256::Of(answer))
        << "session " << i;
  }
}

// A real client's urgent data (TCP out-of-band, as telnet's interrupt and
// FTP's ABOR send it): Python's sockets through PySocks, to a destination in
// the same script, each side sending "<name>-before", the urgent byte '!'
// and "-after". The receiver, without SO_OOBINLINE, must find the mark right
// after "-before" (SIOCATMARK), read '!' with MSG_OOB, and the rest of the
// ordinary stream intact. argv: proxy port. Prints one line per direction.
constexpr char kPyUrgent[] = R"py(
import fcntl, select, socket, struct, sys
import socks

SIOCATMARK = 0x8905

def at_mark(s):
    return struct.unpack('i', fcntl.ioctl(s.fileno(), SIOCATMARK, b'\0' * 4))[0] == 1

def wait(s, exceptional):
    r, _, x = select.select([s], [], [s], 20)
    if not (x if exceptional else (r or x)):
        raise SystemExit('timed out')

def check(sender, receiver, name):
    before, after = (name + '-before').encode(), b'-after'
    sender.sendall(before)
    sender.send(b'!', socket.MSG_OOB)
    sender.sendall(after)
    got = b''
    while not at_mark(receiver):  # a read stops at the mark
        wait(receiver, False)
        if not at_mark(receiver):
            got += receiver.recv(100)
    wait(receiver, True)  # the urgent byte has arrived (POLLPRI)
    urgent = receiver.recv(1, socket.MSG_OOB)
    rest = b''
    while len(rest) < len(after):
        wait(receiver, False)
        rest += receiver.recv(100)
    print('%s before=%s urgent=%s after=%s' % (
        name, got.decode(), urgent.decode(), rest.decode()))

listener = socket.socket()
listener.bind(('127.0.0.1', 0))
listener.listen(1)
client = socks.socksocket()
client.set_proxy(socks.SOCKS4, '127.0.0.1', int(sys.argv[1]),
                 username='urgent-user')
client.settimeout(20)
client.connect(listener.getsockname())
destination, _ = listener.accept()
check(client, destination, 'client')
check(destination, client, 'destination')
client.close()
destination.close()
)py";

TEST_F(RelayTest, UrgentDataOfARealClientArrivesAsUrgentDataBothWays) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd());
  ASSERT_OK_AND_ASSIGN(std::string dir, MakeTempDir("urgent-"));
  const std::string script = absl::StrCat(dir, "/urgent.py");
  ASSERT_THAT(WriteStringToFile(script, kPyUrgent), IsOk());
  // Debian's interpreter, which sees python3-socks (see
  // docs/testing.md#real-peers-and-clients).
  ASSERT_OK_AND_ASSIGN(SubprocessResult python,
                       RunCommand({.argv = {"/usr/bin/python3", script,
                                            absl::StrCat(rsockd().port())}},
                                  kCommandTimeout));
  EXPECT_TRUE(python.status.success())
      << python.status.ToString() << ": " << python.stderr_text;
  EXPECT_EQ(python.stdout_text,
            "client before=client-before urgent=! after=-after\n"
            "destination before=destination-before urgent=! after=-after\n");
  ASSERT_OK_AND_ASSIGN(std::string line,
                       rsockd().WaitForLogLineWithAll(
                           {"terminated --", "urgent-user"}, kLogTimeout));
  // The urgent bytes count as relayed bytes.
  EXPECT_TRUE(HasByteCounts(line, 20, 25));
}

// A destination that reads the request to its end and never answers. It
// keeps the connection open until the proxy resets it (or the test ends).
// It listens on 127.0.0.2: socks.conf(5) always reaches 127.0.0.1 directly,
// and chains must carry these sessions too.
class SilentServer {
 public:
  static absl::StatusOr<std::unique_ptr<SilentServer>> Start() {
    std::unique_ptr<SilentServer> silent(new SilentServer);
    absl::StatusOr<std::unique_ptr<TcpServer>> server = TcpServer::Start(
        [raw = silent.get()](net::Socket connection,
                             const net::StopSignal& stop) {
          raw->Serve(std::move(connection), stop);
        },
        *net::IpAddress::Parse("127.0.0.2"));
    if (!server.ok()) return server.status();
    silent->server_ = *std::move(server);
    return silent;
  }

  const net::SocketAddress& address() const { return server_->address(); }

  // The request of the (one) connection, once it has been read to its end.
  absl::StatusOr<std::string> WaitForRequest(absl::Duration timeout) {
    if (!request_read_.WaitForNotificationWithTimeout(timeout)) {
      return absl::DeadlineExceededError("no request read");
    }
    return request_;
  }
  // Whether the proxy reset the connection within `timeout`.
  bool WaitForReset(absl::Duration timeout) {
    return reset_.WaitForNotificationWithTimeout(timeout);
  }

 private:
  SilentServer() = default;

  void Serve(net::Socket connection, const net::StopSignal& stop) {
    absl::StatusOr<ReadToCloseResult> read =
        ReadUntilClosed(connection, net::Deadline::In(kStepTimeout, &stop));
    if (read.ok()) request_ = read->data;
    request_read_.Notify();
    // No events asked: only an error or hang-up (the reset) ends the wait.
    if (net::Deadline::In(kStepTimeout, &stop).Wait(connection.fd(), 0).ok()) {
      reset_.Notify();
    }
  }

  std::string request_;  // written before request_read_ is notified
  absl::Notification request_read_;
  absl::Notification reset_;
  // Last: its threads are joined before the fields they use go.
  std::unique_ptr<TcpServer> server_;
};

// A client that has gone: connects through `proxy` to `silent` as `user`,
// sends "question", half-closes, and once `silent` has read it all,
// resets.
void AskThenReset(const net::SocketAddress& proxy, SilentServer& silent,
                  const std::string& user) {
  ASSERT_OK_AND_ASSIGN(
      net::Socket tunnel,
      Socks4Connect(proxy, Socks4ConnectRequest(silent.address(), user),
                    kStepTimeout));
  ASSERT_THAT(tunnel.WriteAll("question", net::Deadline::In(kStepTimeout)),
              IsOk());
  tunnel.ShutdownWrite();
  EXPECT_THAT(silent.WaitForRequest(kStepTimeout), IsOkAndHolds("question"));
  tunnel.SetAbortiveClose();
  tunnel.Close();
}

// A client that half-closes and then resets, while the destination stays
// silent: the session ends at once (the idle timeout is the default 2 h)
// and the destination's connection is reset too.
TEST_F(RelayTest, ClientResetAfterHalfCloseEndsTheSessionAtOnce) {
  ASSERT_NO_FATAL_FAILURE(StartRsockd());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SilentServer> silent,
                       SilentServer::Start());
  ASSERT_NO_FATAL_FAILURE(AskThenReset(proxy(), *silent, "gone-client"));

  ASSERT_OK_AND_ASSIGN(std::string line,
                       rsockd().WaitForLogLineWithAll(
                           {"terminated --", "gone-client"}, kLogTimeout));
  EXPECT_TRUE(HasByteCounts(line, 8, 0));
  EXPECT_TRUE(silent->WaitForReset(kStepTimeout))
      << "the destination's connection was left open";
}

// The same through a chain of two more rsockd hops: the reset travels on,
// so that no hop keeps its session (and worker) until its idle timeout.
TEST_F(RelayTest, ClientResetAfterHalfCloseEndsEveryHopOfAChain) {
  HopChain chain = StartHopChain(kPermitLoopback);
  ASSERT_NO_FATAL_FAILURE(StartRsockdThrough({chain.middle.address()}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SilentServer> silent,
                       SilentServer::Start());
  ASSERT_NO_FATAL_FAILURE(AskThenReset(proxy(), *silent, "gone-chained"));

  for (rsockd::testing::RsockdProcess* server :
       {&rsockd(), &chain.middle, &chain.last}) {
    EXPECT_THAT(server->WaitForLogLineWithAll({"terminated --", "gone-chained"},
                                              kLogTimeout),
                IsOk());
  }
  EXPECT_TRUE(silent->WaitForReset(kStepTimeout))
      << "the destination's connection was left open";
}

}  // namespace
}  // namespace rsockd::e2e
