// This file defines `RuleStore`, which holds the current rule snapshot
// (`RuleSet`) behind an atomic pointer (docs/architecture.md#data-path,
// docs/operations.md#reload-sighup).
//
// Why an atomic shared_ptr: each connection calls `Current()` once and keeps
// the snapshot it got for its whole life, so a session is decided by one
// consistent set of rules even if the files change under it. SIGHUP builds a
// new RuleSet off to the side (parsing may be slow and may fail; a snapshot
// that fails to parse is never installed) and swaps it in with `Install()`.
// Readers never wait for the reload, and the old snapshot is freed when the
// last session using it ends.
//
// Thread-safety: all methods may be called concurrently.

#ifndef RSOCKD_RULES_RULE_STORE_H_
#define RSOCKD_RULES_RULE_STORE_H_

#include <atomic>
#include <memory>

#include "rules/rule_set.h"

namespace rsockd::rules {

class RuleStore {
 public:
  // Requires `initial` non-null: there is always a snapshot.
  explicit RuleStore(std::shared_ptr<const RuleSet> initial);

  RuleStore(const RuleStore&) = delete;
  RuleStore& operator=(const RuleStore&) = delete;

  // The snapshot installed last. Never null.
  std::shared_ptr<const RuleSet> Current() const;

  // Makes `rules` (non-null) the current snapshot. Sessions that already hold
  // the previous one keep it.
  void Install(std::shared_ptr<const RuleSet> rules);

 private:
  // C++20 std::atomic<std::shared_ptr>. libstdc++ implements it with a
  // spin lock in the low bit of the control-block pointer, held only while
  // the pointer is copied, so readers never wait for a reload to parse.
  std::atomic<std::shared_ptr<const RuleSet>> current_;
};

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_RULE_STORE_H_
