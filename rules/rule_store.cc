#include "rules/rule_store.h"

#include <utility>

#include "glog/logging.h"

// ThreadSanitizer reports libstdc++ 12's std::atomic<std::shared_ptr> as
// racing with itself: load() copies the pointer under the internal lock bit
// but releases that bit with memory_order_relaxed, so TSan sees no order
// between a load's read and a later store's write (google/sanitizers#1558;
// libstdc++ 13 annotates the lock bit for TSan instead). On x86-64 the
// release is a locked instruction and the pattern is sound. In TSan builds
// only, a real mutex around the same two operations gives TSan the order it
// needs, so that the real races it finds elsewhere are not drowned out.
#if defined(__SANITIZE_THREAD__)
#define RSOCKD_RULES_TSAN_ 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RSOCKD_RULES_TSAN_ 1
#endif
#endif

#ifdef RSOCKD_RULES_TSAN_
#include <mutex>
#endif

namespace rsockd::rules {
namespace {

#ifdef RSOCKD_RULES_TSAN_
std::mutex& TsanOnlyMutex() {
  static std::mutex* const mutex = new std::mutex;
  return *mutex;
}
#define RSOCKD_RULES_TSAN_LOCK_ \
  std::lock_guard<std::mutex> tsan_only_lock(TsanOnlyMutex())
#else
#define RSOCKD_RULES_TSAN_LOCK_ \
  do {                          \
  } while (0)
#endif

}  // namespace

RuleStore::RuleStore(std::shared_ptr<const RuleSet> initial)
    : current_(std::move(initial)) {
  CHECK(current_.load() != nullptr) << "RuleStore needs an initial snapshot";
}

std::shared_ptr<const RuleSet> RuleStore::Current() const {
  RSOCKD_RULES_TSAN_LOCK_;
  return current_.load(std::memory_order_acquire);
}

void RuleStore::Install(std::shared_ptr<const RuleSet> rules) {
  CHECK(rules != nullptr) << "RuleStore::Install needs a snapshot";
  std::shared_ptr<const RuleSet> previous;
  {
    RSOCKD_RULES_TSAN_LOCK_;
    previous = current_.exchange(std::move(rules), std::memory_order_acq_rel);
  }
  // `previous` is dropped here, outside any lock. The old RuleSet is freed by
  // whichever holder lets go of it last: this thread, or the last session
  // that still uses it.
}

}  // namespace rsockd::rules
