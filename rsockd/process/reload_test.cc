// Reloader against a real Server on 127.0.0.1:0 and its RuleStore. The test
// defines flags of its own in place of main.cc's, and maps them to the
// configuration paths and the tunables as main.cc does: one tunable duration,
// one tunable count, one flag that needs a restart.

#include "rsockd/process/reload.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gflags/gflags.h"
#include "glog/logging.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/socket.h"
#include "rsockd/process/config_watcher.h"
#include "rsockd/server/config.h"
#include "rsockd/server/server.h"
#include "rules/rule_set.h"
#include "rules/rule_store.h"
#include "testing/files.h"
#include "testing/socket_io.h"
#include "testing/socks4_client.h"
#include "testing/status_matchers.h"
#include "testing/tcp_servers.h"
#include "testing/wait_for.h"

DECLARE_string(flagfile);  // gflags' own
DEFINE_string(sockd_conf, "", "The access rules.");
DEFINE_string(password_file, "", "The SOCKS5 users.");
DEFINE_string(handshake_timeout, "120s", "Tunable.");
DEFINE_int32(workers, 4, "Tunable.");
DEFINE_int32(port, 1080, "Needs a restart.");

namespace rsockd {
namespace {

using ::rsockd::testing::ConnectTcp;
using ::rsockd::testing::EchoServer;
using ::rsockd::testing::IsOk;
using ::rsockd::testing::kSocks4Granted;
using ::rsockd::testing::kSocks4Rejected;
using ::rsockd::testing::LoopbackAddress;
using ::rsockd::testing::MakeTempDir;
using ::rsockd::testing::ReadUntilClosed;
using ::rsockd::testing::RemoveTree;
using ::rsockd::testing::Socks4ConnectRequest;
using ::rsockd::testing::Socks4Handshake;
using ::rsockd::testing::Socks4Session;
using ::rsockd::testing::StatusIs;
using ::rsockd::testing::WaitFor;
using ::rsockd::testing::WriteStringToFile;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::Duration kStepTimeout = absl::Seconds(30);
constexpr char kPermitLoopback[] = "permit 127.0.0.0 255.0.0.0\n";
constexpr char kDenyEverything[] = "deny ALL\n";
// `htpasswd -nbB bob secret` and `htpasswd -nbB carol secret`.
constexpr char kBobSecret[] =
    "bob:$2y$05$T0bPMibLlvXpZxGhNcVTsuSllZWysfEZ7WPyzXrK6tmUwrMQ9e/1K\n";
constexpr char kCarolSecret[] =
    "carol:$2y$05$nw0HKd001QqmXozLYEkCLeS4VrU0s5IBVZUrzJ7Y9aRbX8jSVuQRa\n";

// main.cc's mapping, for the test's flags. An empty socks.conf or route
// file path means none.
ConfigPaths TestPaths() {
  ConfigPaths paths;
  paths.sockd_conf = FLAGS_sockd_conf;
  paths.sockd_conf_explicit = true;
  paths.password_file = FLAGS_password_file;
  return paths;
}

Tunables TestTunables() {
  Tunables tunables;
  CHECK(absl::ParseDuration(FLAGS_handshake_timeout,
                            &tunables.session.handshake_timeout));
  tunables.pool = {.max_workers = FLAGS_workers, .max_queue = 8};
  return tunables;
}

// Every line logged while it exists.
class LogLines : public google::LogSink {
 public:
  LogLines() { google::AddLogSink(this); }
  ~LogLines() override { google::RemoveLogSink(this); }

  using google::LogSink::send;
  void send(google::LogSeverity severity, const char* full_filename,
            const char* base_filename, int line,
            const google::LogMessageTime& time, const char* message,
            size_t message_len) override {
    absl::MutexLock lock(&mu_);
    lines_.emplace_back(message, message_len);
  }

  std::vector<std::string> lines() const {
    absl::MutexLock lock(&mu_);
    return lines_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
};

class ReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(dir_, MakeTempDir("reload-"));
    FLAGS_sockd_conf = dir_ + "/sockd.conf";
    FLAGS_flagfile = dir_ + "/rsockd.flags";
    ASSERT_THAT(WriteStringToFile(FLAGS_sockd_conf, kPermitLoopback), IsOk());
    ASSERT_THAT(WriteStringToFile(FLAGS_flagfile, ""), IsOk());
    ASSERT_OK_AND_ASSIGN(std::shared_ptr<const rules::RuleSet> rules,
                         LoadRuleSet(TestPaths()));
    store_ = std::make_unique<rules::RuleStore>(std::move(rules));
    ServerOptions options;
    options.tunables = TestTunables();
    options.listen = {LoopbackAddress(0)};
    ASSERT_OK_AND_ASSIGN(server_, Server::Create(options, store_.get()));
    ASSERT_THAT(server_->Start(), IsOk());
    ASSERT_OK_AND_ASSIGN(echo_, EchoServer::Start());
  }

  void TearDown() override {
    server_.reset();
    EXPECT_THAT(RemoveTree(dir_), IsOk());
  }

  absl::Status Reload(ConfigWatcher* watcher = nullptr) {
    Reloader reloader({.tunable_flags = {"handshake_timeout", "workers"},
                       .program = "reload_test",
                       .paths = &TestPaths,
                       .tunables = &TestTunables},
                      store_.get(), server_.get(), watcher);
    return reloader.Reload();
  }

  // The reply a CONNECT from 127.0.0.1 gets now; -1 for none.
  int Verdict() {
    absl::StatusOr<Socks4Session> session = Socks4Handshake(
        server_->bound()[0], Socks4ConnectRequest(echo_->address(), "probe"),
        kStepTimeout);
    return session.ok() ? session->reply.code : -1;
  }

  // The worker limit in force (the stats snapshot's `max=`).
  std::string WorkerLimit() const {
    for (const std::string& line : server_->StatsSnapshot({})) {
      if (absl::StartsWith(line, "workers ")) {
        const size_t max = line.find(" max=");
        return line.substr(max + 1, line.find(' ', max + 1) - max - 1);
      }
    }
    return "no workers line";
  }

  // Declared first: puts every flag back after the test.
  gflags::FlagSaver flags_;
  std::string dir_;
  std::unique_ptr<rules::RuleStore> store_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<EchoServer> echo_;
  LogLines log_;
};

TEST_F(ReloadTest, InstallsTheNewRulesAndTheTunablesOfTheFlagfile) {
  ASSERT_EQ(Verdict(), kSocks4Granted);
  ASSERT_EQ(WorkerLimit(), "max=4");
  ASSERT_THAT(WriteStringToFile(FLAGS_sockd_conf, kDenyEverything), IsOk());
  ASSERT_THAT(WriteStringToFile(FLAGS_flagfile, "--workers=3\n"), IsOk());

  EXPECT_THAT(Reload(), IsOk());
  EXPECT_EQ(Verdict(), kSocks4Rejected);
  EXPECT_EQ(FLAGS_workers, 3);
  EXPECT_EQ(WorkerLimit(), "max=3");
  EXPECT_THAT(log_.lines(),
              Contains("SIGHUP: configuration reloaded; workers 3, queue 8"));
}

TEST_F(ReloadTest, BrokenRuleFileKeepsTheRulesAndTheFlags) {
  const std::shared_ptr<const rules::RuleSet> rules = store_->Current();
  // Its first line would deny everything: had the file been half-taken,
  // the probe would be refused.
  ASSERT_THAT(
      WriteStringToFile(FLAGS_sockd_conf, "deny ALL\npermit 127.0.0.0 x\n"),
      IsOk());
  ASSERT_THAT(WriteStringToFile(FLAGS_flagfile,
                                "--workers=3\n--handshake_timeout=1s\n"),
              IsOk());

  EXPECT_THAT(Reload(), StatusIs(absl::StatusCode::kInvalidArgument,
                                 HasSubstr("sockd.conf:2:")));
  EXPECT_EQ(store_->Current(), rules);
  EXPECT_EQ(FLAGS_workers, 4);
  EXPECT_EQ(FLAGS_handshake_timeout, "120s");
  EXPECT_EQ(WorkerLimit(), "max=4");
  EXPECT_EQ(Verdict(), kSocks4Granted);
  EXPECT_THAT(log_.lines(), Contains(HasSubstr("sockd.conf:2:")));
  EXPECT_THAT(log_.lines(), Contains("SIGHUP: configuration has errors; "
                                     "keeping the configuration in use"));
}

// The password file is part of the snapshot: replaced with the rules, and
// a broken one keeps the rules and the users in use.
TEST_F(ReloadTest, PasswordFileIsReloadedWithTheRulesAllOrNothing) {
  const std::string passwords = dir_ + "/passwords";
  ASSERT_THAT(WriteStringToFile(passwords, kBobSecret), IsOk());
  FLAGS_password_file = passwords;
  ASSERT_THAT(Reload(), IsOk());
  const std::shared_ptr<const rules::RuleSet> with_bob = store_->Current();
  ASSERT_TRUE(with_bob->passwords().has_value());
  EXPECT_TRUE(with_bob->passwords()->Verify("bob", "secret"));

  // Carol is added, but the file breaks on line 2, and sockd.conf would
  // deny everything: none of it is taken.
  ASSERT_THAT(WriteStringToFile(passwords, absl::StrCat(kCarolSecret, "bob\n")),
              IsOk());
  ASSERT_THAT(WriteStringToFile(FLAGS_sockd_conf, kDenyEverything), IsOk());
  EXPECT_THAT(Reload(), StatusIs(absl::StatusCode::kInvalidArgument,
                                 HasSubstr(passwords + ":2:1: missing ':'")));
  EXPECT_EQ(store_->Current(), with_bob);
  EXPECT_EQ(Verdict(), kSocks4Granted);
  EXPECT_THAT(log_.lines(), Contains(HasSubstr(passwords + ":2:1:")));

  // Mended, it is taken with the rules.
  ASSERT_THAT(WriteStringToFile(passwords, kCarolSecret), IsOk());
  ASSERT_THAT(Reload(), IsOk());
  ASSERT_TRUE(store_->Current()->passwords().has_value());
  EXPECT_TRUE(store_->Current()->passwords()->Verify("carol", "secret"));
  EXPECT_FALSE(store_->Current()->passwords()->Verify("bob", "secret"));
  EXPECT_EQ(Verdict(), kSocks4Rejected);
}

TEST_F(ReloadTest, BrokenFlagfileKeepsTheRulesAndTheFlags) {
  const std::shared_ptr<const rules::RuleSet> rules = store_->Current();
  ASSERT_THAT(WriteStringToFile(FLAGS_sockd_conf, kDenyEverything), IsOk());
  // The good line before the bad one is undone too.
  ASSERT_THAT(WriteStringToFile(FLAGS_flagfile,
                                "--handshake_timeout=1s\n--workers=many\n"),
              IsOk());

  EXPECT_THAT(Reload(), StatusIs(absl::StatusCode::kInvalidArgument,
                                 HasSubstr("rsockd.flags has errors")));
  EXPECT_EQ(store_->Current(), rules);
  EXPECT_EQ(FLAGS_handshake_timeout, "120s");
  EXPECT_EQ(FLAGS_workers, 4);
  EXPECT_EQ(Verdict(), kSocks4Granted);
  EXPECT_THAT(log_.lines(),
              Contains(absl::StrCat("SIGHUP: ", FLAGS_flagfile,
                                    " has errors; keeping the configuration "
                                    "in use")));
}

TEST_F(ReloadTest, UntunableFlagIsPutBackAndReportedAndTheRestApplies) {
  ASSERT_THAT(WriteStringToFile(FLAGS_sockd_conf, kDenyEverything), IsOk());
  ASSERT_THAT(WriteStringToFile(FLAGS_flagfile, "--workers=3\n--port=1\n"),
              IsOk());

  EXPECT_THAT(Reload(), IsOk());
  EXPECT_EQ(FLAGS_port, 1080);
  EXPECT_EQ(FLAGS_workers, 3);
  EXPECT_EQ(Verdict(), kSocks4Rejected);
  EXPECT_THAT(log_.lines(),
              Contains("SIGHUP: --port changed in the flagfile but needs a "
                       "restart; ignored"));
}

TEST_F(ReloadTest, TunablesApplyToNewSessionsOnly) {
  // Connected under the old setting: silent, but allowed 120 s.
  ASSERT_OK_AND_ASSIGN(net::Socket early,
                       ConnectTcp(server_->bound()[0], kStepTimeout));
  // Its session, and the options it copied, exist once a worker has it.
  ASSERT_TRUE(
      WaitFor([&] { return server_->pool_counts().busy == 1; }, "busy=1"));

  ASSERT_THAT(WriteStringToFile(FLAGS_flagfile, "--handshake_timeout=200ms\n"),
              IsOk());
  ASSERT_THAT(Reload(), IsOk());
  ASSERT_OK_AND_ASSIGN(net::Socket late,
                       ConnectTcp(server_->bound()[0], kStepTimeout));
  const absl::Time start = absl::Now();
  ASSERT_OK_AND_ASSIGN(rsockd::testing::ReadToCloseResult dropped,
                       ReadUntilClosed(late, net::Deadline::In(kStepTimeout)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));
  EXPECT_EQ(dropped.data, "");
  // The early client is still being waited for.
  uint8_t byte;
  EXPECT_THAT(
      early.ReadSome(absl::MakeSpan(&byte, 1),
                     net::Deadline::In(absl::Milliseconds(100))),
      StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("timed out")));
}

TEST_F(ReloadTest, WatcherFollowsTheFilesOfTheNewRules) {
  const std::string users = dir_ + "/users";
  ASSERT_THAT(WriteStringToFile(users, "probe\n"), IsOk());
  ASSERT_THAT(WriteStringToFile(
                  FLAGS_sockd_conf,
                  absl::StrCat("permit *=", users, " 127.0.0.0 255.0.0.0\n")),
              IsOk());
  // Watching nothing until the reload says what.
  ConfigWatcher::Options watching_nothing;
  watching_nothing.debounce = absl::Milliseconds(10);
  absl::Notification users_changed;
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ConfigWatcher> watcher,
      ConfigWatcher::Start(watching_nothing,
                           [&](std::vector<std::string> changed) {
                             if (absl::c_linear_search(changed, users) &&
                                 !users_changed.HasBeenNotified()) {
                               users_changed.Notify();
                             }
                           }));
  ASSERT_THAT(Reload(watcher.get()), IsOk());

  ASSERT_THAT(WriteStringToFile(users, "probe\nylee\n"), IsOk());
  EXPECT_TRUE(users_changed.WaitForNotificationWithTimeout(kStepTimeout));
}

TEST_F(ReloadTest,
       WatchedFilesAreTheRuleFilesThePasswordFileTheFlagfileAndUserLists) {
  const std::string users = dir_ + "/users";
  ASSERT_THAT(WriteStringToFile(users, "probe\n"), IsOk());
  ASSERT_THAT(
      WriteStringToFile(FLAGS_sockd_conf, absl::StrCat("permit *=", users,
                                                       ",ylee 127.0.0.0 "
                                                       "255.0.0.0\n")),
      IsOk());
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<const rules::RuleSet> rules,
                       LoadRuleSet(TestPaths()));

  ConfigPaths paths;
  paths.sockd_conf = "/etc/sockd.conf";
  paths.socks_conf = "";  // none
  paths.route_file = "/etc/sockd.route";
  EXPECT_THAT(
      WatchedFiles(paths, "/etc/rsockd/rsockd.flags", *rules),
      ElementsAre("/etc/sockd.conf", "/etc/sockd.fc", "/etc/sockd.route",
                  "/etc/sockd.fr", "/etc/rsockd/rsockd.flags", users));
  paths.password_file = "/etc/rsockd/passwords";
  EXPECT_THAT(
      WatchedFiles(paths, "", *rules),
      ElementsAre("/etc/sockd.conf", "/etc/sockd.fc", "/etc/sockd.route",
                  "/etc/sockd.fr", "/etc/rsockd/passwords", users));
}

}  // namespace
}  // namespace rsockd
