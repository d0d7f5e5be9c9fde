// Ident (docs/ident.md) end to end, with a scripted identd
// (testing/fake_identd.h) on 127.0.0.1 and --ident_port pointing at it: every
// row of the decision table with exact reply codes, the hooks, the log lines,
// and lookups that never serialize behind each other.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "rsockd/e2e/rsockd_test_base.h"
#include "testing/fake_identd.h"
#include "testing/files.h"
#include "testing/socks4_client.h"
#include "testing/status_matchers.h"
#include "testing/tcp_servers.h"

namespace rsockd::e2e {
namespace {

using ::rsockd::testing::EchoServer;
using ::rsockd::testing::FakeIdentd;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::kSocks4Granted;
using ::rsockd::testing::kSocks4IdentMismatch;
using ::rsockd::testing::kSocks4IdentUnreachable;
using ::rsockd::testing::kSocks4Rejected;
using ::rsockd::testing::Socks4ConnectRequest;
using ::rsockd::testing::Socks4Handshake;
using ::rsockd::testing::Socks4Session;

FakeIdentd::Answerer UserIs(std::string user) {
  return [user](uint16_t client_port, uint16_t server_port) {
    return absl::StrFormat("%d , %d : USERID : UNIX : %s\r\n", client_port,
                           server_port, user);
  };
}

class IdentTest : public RsockdTest {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<FakeIdentd>> identd = FakeIdentd::Start();
    ASSERT_THAT(identd, IsOk());
    identd_ = *std::move(identd);
    absl::StatusOr<std::unique_ptr<EchoServer>> echo = EchoServer::Start();
    ASSERT_THAT(echo, IsOk());
    echo_ = *std::move(echo);
    absl::StatusOr<std::string> dir = rsockd::testing::MakeTempDir("ident");
    ASSERT_THAT(dir, IsOk());
    dir_ = *dir;
  }

  // rsockd with `rules` after the two special hook lines, which write files.
  void Start(absl::string_view rules, std::vector<std::string> flags = {}) {
    flags.push_back(absl::StrCat("--ident_port=", identd_->port()));
    flags.push_back("--ident_timeout=2s");
    ASSERT_NO_FATAL_FAILURE(StartRsockd(
        {.sockd_conf = absl::StrCat("#NO_IDENTD: echo %u %a > ", dir_,
                                    "/no_identd\n#BAD_ID: echo %U %u > ", dir_,
                                    "/bad_id\n", rules),
         .extra_flags = std::move(flags)}));
  }

  int Request(absl::string_view user) {
    absl::StatusOr<Socks4Session> session = Socks4Handshake(
        proxy(), Socks4ConnectRequest(echo_->address(), user), kStepTimeout);
    return session.ok() ? session->reply.code : -1;
  }

  // A hook's output line, waited for (bounded).
  absl::StatusOr<std::string> HookOutput(absl::string_view name) {
    return rsockd::testing::WaitForCompleteFile(absl::StrCat(dir_, "/", name),
                                                kLogTimeout);
  }

  std::unique_ptr<FakeIdentd> identd_;
  std::unique_ptr<EchoServer> echo_;
  std::string dir_;
};

TEST_F(IdentTest, StrictConfirmedUserIsGrantedAndLogged) {
  identd_->Answer(UserIs("ylee"));
  ASSERT_NO_FATAL_FAILURE(Start("permit ?=I 127.0.0.0 255.0.0.0\n"));
  EXPECT_EQ(Request("ylee"), kSocks4Granted);
  EXPECT_THAT(
      rsockd().WaitForLogLine("connected -- Connect from ylee(ylee)@127.0.0.1",
                              kLogTimeout),
      IsOk());
  // The query is "<client port> , <server port>\r\n" for this connection.
  ASSERT_EQ(identd_->queries().size(), 1u);
  EXPECT_THAT(identd_->queries()[0],
              ::testing::MatchesRegex(
                  absl::StrCat("[0-9]+ , ", rsockd().port(), "\r\n")));
}

TEST_F(IdentTest, DifferentUserGets93AtBothLevelsAndRunsBadId) {
  identd_->Answer(UserIs("mallory"));
  ASSERT_NO_FATAL_FAILURE(Start("permit ?=I 127.0.0.0 255.0.0.0\n"));
  EXPECT_EQ(Request("ylee"), kSocks4IdentMismatch);
  ASSERT_OK_AND_ASSIGN(std::string bad_id, HookOutput("bad_id"));
  EXPECT_EQ(bad_id, "mallory ylee\n");
  EXPECT_THAT(rsockd().WaitForLogLine("*Alert*: real user is mallory, not ylee",
                                      kLogTimeout),
              IsOk());
  ASSERT_NO_FATAL_FAILURE(TearDown());
  // Lenient: still 93.
  ASSERT_NO_FATAL_FAILURE(Start("permit ?=i 127.0.0.0 255.0.0.0\n"));
  EXPECT_EQ(Request("ylee"), kSocks4IdentMismatch);
}

TEST_F(IdentTest, UnavailableIdentdGets92WhenStrictAndPassesWhenLenient) {
  for (const auto& [script, name] :
       std::vector<std::pair<std::function<void(FakeIdentd&)>, std::string>>{
           {[](FakeIdentd& d) { d.Close(); }, "closes"},
           {[](FakeIdentd& d) {
              d.Answer([](uint16_t c, uint16_t s) {
                return absl::StrFormat("%d , %d : ERROR : NO-USER\r\n", c, s);
              });
            },
            "ERROR"},
           {[](FakeIdentd& d) {
              d.Answer([](uint16_t c, uint16_t s) {
                return absl::StrFormat("%d , %d : USERID : UNIX : ylee\r\n",
                                       c + 1, s);
              });
            },
            "wrong ports"},
           {[](FakeIdentd& d) {
              d.Answer(
                  [](uint16_t, uint16_t) { return "\x01\xff garbage\r\n"; });
            },
            "garbage"},
       }) {
    SCOPED_TRACE(name);
    script(*identd_);
    ASSERT_NO_FATAL_FAILURE(Start("permit ?=I 127.0.0.0 255.0.0.0\n"));
    EXPECT_EQ(Request("ylee"), kSocks4IdentUnreachable);
    EXPECT_THAT(rsockd().WaitForLogLine("cannot connect to identd on 127.0.0.1",
                                        kLogTimeout),
                IsOk());
    ASSERT_OK_AND_ASSIGN(std::string no_identd, HookOutput("no_identd"));
    EXPECT_EQ(no_identd, "ylee 127.0.0.1\n");
    ASSERT_NO_FATAL_FAILURE(TearDown());
    std::remove(absl::StrCat(dir_, "/no_identd").c_str());

    ASSERT_NO_FATAL_FAILURE(Start("permit ?=i 127.0.0.0 255.0.0.0\n"));
    EXPECT_EQ(Request("ylee"), kSocks4Granted) << "lenient lets it through";
    EXPECT_THAT(rsockd().WaitForLogLine(
                    "connected -- Connect from ylee(unknown)@", kLogTimeout),
                IsOk());
    ASSERT_NO_FATAL_FAILURE(TearDown());
    std::remove(absl::StrCat(dir_, "/no_identd").c_str());
  }
}

TEST_F(IdentTest, LineLevelOverridesTheGlobalOne) {
  identd_->Answer(UserIs("mallory"));
  // -I everywhere, but the first line turns ident off.
  ASSERT_NO_FATAL_FAILURE(
      Start("permit ?=n 127.0.0.0 255.0.0.0 eq 1\npermit 127.0.0.0 255.0.0.0\n",
            {"-I"}));
  // Port 1 is closed: the ?=n line decides; identd is not asked (91 comes
  // from the failed connect, not from ident).
  absl::StatusOr<Socks4Session> off = Socks4Handshake(
      proxy(),
      Socks4ConnectRequest(
          net::SocketAddress(*net::IpAddress::Parse("127.0.0.1"), 1), "ylee"),
      kStepTimeout);
  ASSERT_THAT(off, IsOk());
  EXPECT_EQ(off->reply.code, kSocks4Rejected);
  EXPECT_EQ(identd_->connections(), 0);
  // The second line has no ?=: global strict applies.
  EXPECT_EQ(Request("ylee"), kSocks4IdentMismatch);
  EXPECT_EQ(identd_->connections(), 1);
}

TEST_F(IdentTest, DenyLinesNeverAskIdentd) {
  identd_->Answer(UserIs("ylee"));
  ASSERT_NO_FATAL_FAILURE(Start("deny ALL\n", {"-I"}));
  EXPECT_EQ(Request("ylee"), kSocks4Rejected);
  EXPECT_EQ(identd_->connections(), 0);
}

TEST_F(IdentTest, BlackHoledIdentdDoesNotSerializeLookups) {
  identd_->BlackHole();
  ASSERT_NO_FATAL_FAILURE(Start("permit ?=I 127.0.0.0 255.0.0.0\n"));
  constexpr int kClients = 50;
  std::atomic<int> answered_92{0};
  const absl::Time start = absl::Now();
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&] {
      if (Request("ylee") == kSocks4IdentUnreachable) answered_92++;
    });
  }
  for (std::thread& client : clients) client.join();
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(answered_92.load(), kClients);
  // Each waits out --ident_timeout=2s; in parallel that is ~2 s, in series
  // it would be 100 s.
  EXPECT_LT(took, absl::Seconds(10)) << took;
  EXPECT_GE(took, absl::Seconds(2)) << "answered before the timeout";
}

}  // namespace
}  // namespace rsockd::e2e
