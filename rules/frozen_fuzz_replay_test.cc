// The fuzz target of the frozen-file readers (frozen_fuzz_target.h), run
// without libFuzzer so that it works with any compiler and sanitizer
// configuration: every seed of rules/testdata/frozen_corpus, then a fixed
// number of deterministic mutations of each (bit flips, byte values that
// make interesting lengths and counts, truncations, insertions, deletions,
// duplicated ranges). The target aborts on a broken promise; this test also
// checks that the mutations reached past the container checks.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rules/frozen_fuzz_target.h"
#include "rules/test_data.h"

namespace rsockd::rules {
namespace {

constexpr const char* kSeeds[] = {
    "sockd.fc",
    "sockd_all_forms.fc",
    "socks.fc",
    "socks_all_forms.fc",
    "socks_upstream_forms.fc",
    "sockd.fr",
    // Format version 1 (rules/testdata/README.md).
    "sockd.v1.fc",
    "sockd_all_forms.v1.fc",
    "socks.v1.fc",
    "socks_all_forms.v1.fc",
    "sockd.v1.fr",
};
constexpr int kMutationsPerSeed = 4000;

// Values that make lengths and counts lie in interesting ways.
constexpr uint32_t kInteresting[] = {
    0,     1,      2,       0x7F,       0x80,       0xFF,
    0x100, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF};

class Mutator {
 public:
  explicit Mutator(uint64_t seed) : random_(seed) {}

  std::string Mutate(std::string data) {
    const int rounds = 1 + static_cast<int>(Below(3));
    for (int i = 0; i < rounds && !data.empty(); ++i) {
      const size_t at = Below(data.size());
      switch (Below(7)) {
        case 0:
          data[at] = static_cast<char>(data[at] ^ (1 << Below(8)));
          break;
        case 1:
          data[at] = static_cast<char>(Below(256));
          break;
        case 2: {
          // A little-endian u32 with an interesting value.
          const uint32_t value = kInteresting[Below(std::size(kInteresting))];
          for (size_t b = 0; b < 4 && at + b < data.size(); ++b) {
            data[at + b] = static_cast<char>((value >> (8 * b)) & 0xFF);
          }
          break;
        }
        case 3:
          data.resize(at);
          break;
        case 4:
          data.insert(at,
                      std::string(1 + Below(8), static_cast<char>(Below(256))));
          break;
        case 5:
          data.erase(at, 1 + Below(8));
          break;
        default: {
          const size_t length =
              1 + Below(std::min<size_t>(16, data.size() - at));
          data.insert(Below(data.size()), data.substr(at, length));
          break;
        }
      }
    }
    return data;
  }

 private:
  uint64_t Below(uint64_t n) { return random_() % n; }
  std::mt19937_64 random_;
};

std::string Seed(absl::string_view name) {
  return TestData(absl::StrCat("frozen_corpus/", name));
}

TEST(FrozenFuzzReplayTest, EverySeedIsAcceptedAndCheckedThroughItsDump) {
  for (const char* name : kSeeds) {
    const FrozenInputOutcome outcome = CheckFrozenInput(Seed(name));
    // Exactly one reader (its own kind) accepts it, and its dump parses.
    EXPECT_EQ(outcome.accepted, 1) << name;
    EXPECT_EQ(outcome.dumps_checked, 1) << name;
  }
}

TEST(FrozenFuzzReplayTest, MutationsKeepEveryPromise) {
  int inputs = 0;
  int accepted = 0;
  int dumps_checked = 0;
  for (const char* name : kSeeds) {
    const std::string seed = Seed(name);
    Mutator mutator(std::hash<std::string>()(name));
    for (int i = 0; i < kMutationsPerSeed; ++i) {
      const FrozenInputOutcome outcome = CheckFrozenInput(mutator.Mutate(seed));
      ++inputs;
      accepted += outcome.accepted;
      dumps_checked += outcome.dumps_checked;
    }
  }
  RecordProperty("inputs", inputs);
  RecordProperty("accepted", accepted);
  RecordProperty("dumps_checked", dumps_checked);
  // Reaching here means no promise was broken. The repaired copies must
  // have got some mutations through every check (a mutated address or port
  // is still a valid file), so the field checks were exercised, not only
  // the checksum.
  EXPECT_GT(accepted, inputs / 100) << "of " << inputs;
  EXPECT_GT(dumps_checked, 0);
  EXPECT_LT(accepted, inputs) << "nearly every mutation should be refused";
}

TEST(FrozenFuzzReplayTest, RepairLeavesShortInputsAlone) {
  EXPECT_EQ(RepairFrozenContainer("RSOCKD"), "RSOCKD");
  const std::string repaired = RepairFrozenContainer(std::string(20, 'x'));
  EXPECT_EQ(repaired.substr(0, 8), std::string(8, 'x'));
  EXPECT_EQ(repaired.size(), 20u);
}

}  // namespace
}  // namespace rsockd::rules
