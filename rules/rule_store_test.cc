#include "rules/rule_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "testing/status_matchers.h"

namespace rsockd::rules {
namespace {

std::shared_ptr<const RuleSet> MakeRuleSet(absl::string_view text) {
  absl::StatusOr<SockdConf> conf = ParseSockdConf(text, "t.conf");
  EXPECT_TRUE(conf.ok()) << conf.status();
  return std::make_shared<const RuleSet>(conf.ok() ? *std::move(conf)
                                                   : SockdConf());
}

TEST(RuleStoreTest, CurrentIsTheInitialSnapshot) {
  std::shared_ptr<const RuleSet> initial = MakeRuleSet("permit ALL\n");
  RuleStore store(initial);
  EXPECT_EQ(store.Current(), initial);
}

TEST(RuleStoreTest, InstallSwapsButHoldersKeepTheirSnapshot) {
  RuleStore store(MakeRuleSet("permit ALL\n"));
  // A session takes its snapshot once...
  std::shared_ptr<const RuleSet> session = store.Current();

  store.Install(MakeRuleSet("deny ALL\n"));

  // ...and keeps deciding with it after a reload, while new sessions see the
  // new rules.
  ASSERT_EQ(session->access().rules.size(), 1u);
  EXPECT_EQ(session->access().rules[0].action, SockdRule::Action::kPermit);
  EXPECT_EQ(store.Current()->access().rules[0].action,
            SockdRule::Action::kDeny);
  EXPECT_NE(store.Current(), session);
}

TEST(RuleStoreTest, ConcurrentReadersAlwaysSeeACompleteSnapshot) {
  std::vector<std::shared_ptr<const RuleSet>> snapshots;
  for (int i = 1; i <= 4; ++i) {
    std::string text;
    for (int j = 0; j < i; ++j) text += "permit ALL\n";
    snapshots.push_back(MakeRuleSet(text));
  }
  RuleStore store(snapshots[0]);
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        std::shared_ptr<const RuleSet> current = store.Current();
        const size_t n = current->access().rules.size();
        if (n < 1 || n > 4) bad.fetch_add(1);
      }
    });
  }
  for (int k = 0; k < 20000; ++k) store.Install(snapshots[k % 4]);
  stop.store(true);
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace rsockd::rules
