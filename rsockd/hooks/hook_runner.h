// This file defines `HookRunner`, which runs hook command lines (docs/hooks.md)
// asynchronously on a bounded executor, so that a request never waits on a
// hook.
//
// Each job is `/bin/sh -c <command line>`, started with posix_spawn(3) in a
// process group of its own, with stdin, stdout and stderr on /dev/null, no
// other descriptors, an empty signal mask, default signal dispositions, and
// an environment of PATH=/usr/local/bin:/usr/bin:/bin plus the entries the
// caller gives (see `HookEnvironment` in rsockd/hooks/hook_command.h). The
// runner takes command lines as they are: expanding and filtering `%` sequences
// is the caller's job (`ExpandHookCommand`).
//
// Bounds:
//   - at most `max_running` hooks run at once, each on a thread of the
//     runner's net::ThreadPool;
//   - at most `max_pending` more wait for a thread; beyond that `Submit`
//     drops the job and counts it. Every drop is reported, in few lines:
//     "N hook runs suppressed: hook queue full ..." at once for the first
//     drop, then at most once per `drop_report_period` for the drops since
//     (a reporter thread, started at the first drop, logs it when it is
//     due, even if nothing else happens), and the rest when the runner is
//     destroyed;
//   - a hook still running `timeout` after it started is killed with its
//     whole process group (SIGKILL), reaped, counted and logged.
// The runner reaps every hook it starts and holds no descriptor once a hook
// has been reaped. A hook that puts work in the background and exits (the
// classic `... | mail root &`) is finished as far as the runner is
// concerned: what it left behind is no longer timed, and init (or the
// nearest subreaper) reaps it.
//
// Example:
//
//   HookRunner hooks({.max_running = 4, .max_pending = 64,
//                     .timeout = absl::Seconds(30)});
//   hooks.Submit(ExpandHookCommand(rule.hook, context),
//                HookEnvironment(context));
//
// Thread-safe. The destructor stops taking jobs, discards the pending ones,
// kills (SIGKILL) the process groups of the running ones, reaps them and
// joins every thread; it returns promptly whatever the hooks do. The process
// must not ignore SIGCHLD (its children would not be reapable).

#ifndef RSOCKD_RSOCKD_HOOKS_HOOK_RUNNER_H_
#define RSOCKD_RSOCKD_HOOKS_HOOK_RUNNER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "net/deadline.h"
#include "net/thread.h"
#include "net/thread_pool.h"

namespace rsockd {

class HookRunner {
 public:
  struct Options {
    // Hooks running at once (pool threads). Values below 1 count as 1.
    int max_running = 4;
    // Hooks waiting for a thread before `Submit` drops. Below 0 counts as 0.
    int max_pending = 64;
    // From a hook's start until its process group is killed.
    absl::Duration timeout = absl::Seconds(30);
    // At most one "hook runs suppressed" line per period.
    absl::Duration drop_report_period = absl::Seconds(10);
  };

  // A snapshot. Each job a thread takes ends as exactly one of `finished`,
  // `timed_out` or `failed_to_start`, except hooks the destructor kills,
  // which count as none.
  struct Counts {
    uint64_t started = 0;          // spawned
    uint64_t finished = 0;         // ended by themselves, whatever the status
    uint64_t timed_out = 0;        // killed at their timeout
    uint64_t dropped = 0;          // refused by Submit: too many pending
    uint64_t failed_to_start = 0;  // posix_spawn failed
    int running = 0;               // taken by a thread (spawning or running)
    int pending = 0;               // waiting for a thread
  };

  explicit HookRunner(const Options& options);
  // Stops taking jobs, discards pending ones, kills and reaps running ones
  // (their whole process groups), joins the threads. Bounded.
  ~HookRunner();
  HookRunner(const HookRunner&) = delete;
  HookRunner& operator=(const HookRunner&) = delete;

  // Queues `/bin/sh -c command_line` with `environment` ("NAME=value"
  // entries, added to the base environment; a PATH entry replaces the base
  // one). Never blocks on a hook: it only takes a mutex and may start a
  // thread. Returns false and counts a drop (reported as described
  // above) when `max_pending` jobs are already waiting for a thread; also
  // returns false once the destructor has begun.
  bool Submit(std::string command_line, std::vector<std::string> environment);

  // A command line and its environment entries, as Submit takes them.
  struct Command {
    std::string line;
    std::vector<std::string> environment;
  };
  // Like Submit, but the command is made by `prepare` on the hook's pool
  // thread, just before the hook starts: work it needs (a host name lookup
  // for %A) then never delays the caller. Counts as one job from now on.
  bool SubmitPrepared(absl::AnyInvocable<Command() &&> prepare);

  // For reload: the new limits apply from now on (a lower `max_running`
  // starts no new hook until fewer run), the new timeout to hooks started
  // from now on. Running hooks keep the timeout they started with.
  void SetOptions(const Options& options);

  Counts counts() const;

  // Waits until no hook runs or waits for a thread, or until `deadline`;
  // returns whether the runner went idle. For a graceful stop, so that hooks
  // already submitted can finish (each still within its own timeout).
  bool WaitUntilIdle(absl::Time deadline);

 private:
  using Job = absl::AnyInvocable<Command() &&>;
  // How a hook's wait ended.
  enum class Outcome { kFinished, kTimedOut, kStopped, kFailedToStart };

  // The pool's limits for `options`.
  static net::ThreadPool::Limits PoolLimits(const Options& options);
  // The drops to report now, if a report is due (0 if not); the next one is
  // then due a period later.
  uint64_t TakeDueDropsLocked(absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Logs "N hook runs suppressed" (nothing for 0).
  static void ReportDrops(uint64_t drops, uint64_t dropped_in_all,
                          int max_pending);
  // The reporter thread: logs the drops since the last report when the next
  // one is due.
  void ReportDropsWhenDue();
  // A job on a pool thread: runs it, or discards it once the runner stops.
  void RunJob(Job job);
  // Spawns, waits for and reaps one hook; logs what happened.
  Outcome Run(Job job, absl::Duration timeout);

  // Fired by the destructor; every hook wait watches it.
  net::StopSignal stop_;

  mutable absl::Mutex mu_;
  Options options_ ABSL_GUARDED_BY(mu_);
  // Submitted and not yet taken by a pool thread, and taken (spawning,
  // running or being reaped): counted here rather than by the pool so that
  // a job's outcome and its end are counted together.
  int pending_ ABSL_GUARDED_BY(mu_) = 0;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t started_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t finished_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t timed_out_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  // Drops not yet logged, and when they may be.
  uint64_t unreported_drops_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time next_drop_report_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  uint64_t failed_to_start_ ABSL_GUARDED_BY(mu_) = 0;
  // Started at the first drop that is not reported at once.
  net::Thread reporter_ ABSL_GUARDED_BY(mu_);

  // Last: destroyed (joined) first, while what its jobs use still exists.
  net::ThreadPool pool_;
};

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_HOOKS_HOOK_RUNNER_H_
