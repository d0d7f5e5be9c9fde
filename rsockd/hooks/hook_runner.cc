#include "rsockd/hooks/hook_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "glog/logging.h"
#include "net/spawn_setup.h"

namespace rsockd {
namespace {

constexpr char kShell[] = "/bin/sh";
constexpr char kBasePath[] = "PATH=/usr/local/bin:/usr/bin:/bin";
// Without a pidfd (kernels before 5.3) the wait polls waitpid() this often.
constexpr absl::Duration kReapPollInterval = absl::Milliseconds(10);
// Rate limit, in seconds, of the warnings a busy server could repeat per
// request.
constexpr int kWarningPeriodSeconds = 10;

// Starts `/bin/sh -c command_line` as the leader of a new process group.
absl::StatusOr<pid_t> Spawn(const std::string& command_line,
                            const std::vector<std::string>& environment) {
  net::SpawnSetup setup;
  int error = 0;
  // Each call fails only with ENOMEM (or EBADF/EINVAL for bad arguments,
  // which these are not); keep the first error.
  auto keep = [&error](int result) {
    if (error == 0) error = result;
  };
  keep(posix_spawn_file_actions_addopen(setup.actions(), 0, "/dev/null",
                                        O_RDONLY, 0));
  keep(posix_spawn_file_actions_addopen(setup.actions(), 1, "/dev/null",
                                        O_WRONLY, 0));
  keep(posix_spawn_file_actions_addopen(setup.actions(), 2, "/dev/null",
                                        O_WRONLY, 0));
  // Descriptors are close-on-exec by the project's rule; this also covers
  // any a library opened without O_CLOEXEC (glog's log files, for one).
  keep(posix_spawn_file_actions_addclosefrom_np(setup.actions(), 3));

  // rsockd blocks SIGHUP, SIGINT, SIGTERM, SIGUSR1 and SIGPIPE in every
  // thread (one thread sigwait()s) and ignores SIGPIPE; the hook starts
  // clean. Every signal is reset, which covers those and any added later.
  sigset_t empty, all;
  sigemptyset(&empty);
  sigfillset(&all);
  keep(posix_spawnattr_setsigmask(setup.attributes(), &empty));
  keep(posix_spawnattr_setsigdefault(setup.attributes(), &all));
  // A group of its own (pgid = the hook's pid), so that a timeout can kill
  // whatever the shell started too.
  keep(posix_spawnattr_setpgroup(setup.attributes(), 0));
  keep(posix_spawnattr_setflags(setup.attributes(), POSIX_SPAWN_SETPGROUP |
                                                        POSIX_SPAWN_SETSIGMASK |
                                                        POSIX_SPAWN_SETSIGDEF));
  if (error != 0) return absl::ErrnoToStatus(error, "posix_spawn setup");

  char* argv[] = {const_cast<char*>(kShell), const_cast<char*>("-c"),
                  const_cast<char*>(command_line.c_str()), nullptr};
  std::vector<char*> envp;
  envp.reserve(environment.size() + 2);
  const bool has_path = std::any_of(
      environment.begin(), environment.end(),
      [](const std::string& e) { return absl::StartsWith(e, "PATH="); });
  if (!has_path) envp.push_back(const_cast<char*>(kBasePath));
  for (const std::string& entry : environment) {
    envp.push_back(const_cast<char*>(entry.c_str()));
  }
  envp.push_back(nullptr);

  pid_t pid = -1;
  // glibc's posix_spawn uses clone(CLONE_VM | CLONE_VFORK): no fork of a
  // threaded address space, and exec failures come back as the result.
  error = posix_spawn(&pid, kShell, setup.actions(), setup.attributes(), argv,
                      envp.data());
  if (error != 0) return absl::ErrnoToStatus(error, "posix_spawn(/bin/sh)");
  return pid;
}

// waitpid() for `pid`, blocking unless `flags` has WNOHANG. True once `pid`
// has been reaped (or cannot be: ECHILD means it is not ours to wait for).
bool Reap(pid_t pid, int flags, int* status) {
  pid_t reaped;
  do {
    reaped = waitpid(pid, status, flags);
  } while (reaped < 0 && errno == EINTR);
  if (reaped < 0) {
    *status = -1;
    return true;
  }
  return reaped == pid;
}

std::string DescribeStatus(int status) {
  if (status == -1) return "unknown status (already reaped)";
  if (WIFEXITED(status)) return absl::StrCat("exit code ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return absl::StrCat("killed by signal ", WTERMSIG(status));
  }
  return absl::StrCat("status ", status);
}

}  // namespace

HookRunner::HookRunner(const Options& options)
    : options_(options),
      pool_(PoolLimits(options), net::Thread::kDefaultStackSize) {}

HookRunner::~HookRunner() {
  net::Thread reporter;
  uint64_t unreported, dropped;
  int discarded, max_pending;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    // Each finds `stopping_` when a thread takes it, and returns at once.
    discarded = pending_;
    reporter = std::move(reporter_);
    unreported = std::exchange(unreported_drops_, 0);
    dropped = dropped_;
    max_pending = options_.max_pending;
  }
  // Wakes every job waiting on a hook; each kills and reaps its own.
  stop_.Notify();
  reporter.Join();
  ReportDrops(unreported, dropped, max_pending);
  if (discarded > 0) {
    LOG(INFO) << "hook runner stopped; " << discarded
              << " pending hooks discarded";
  }
  // `pool_`, destroyed first of the members, joins its threads.
}

net::ThreadPool::Limits HookRunner::PoolLimits(const Options& options) {
  return {.max_workers = std::max(1, options.max_running),
          .max_queue = std::max(0, options.max_pending)};
}

bool HookRunner::Submit(std::string command_line,
                        std::vector<std::string> environment) {
  return SubmitPrepared([command = Command{std::move(command_line),
                                           std::move(environment)}]() mutable {
    return std::move(command);
  });
}

bool HookRunner::SubmitPrepared(absl::AnyInvocable<Command() &&> prepare) {
  uint64_t due, dropped;
  int max_pending;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return false;
    net::ThreadPool::Task task = [this, job = std::move(prepare)]() mutable {
      RunJob(std::move(job));
    };
    // Under `mu_`, so that the job, which takes it first, finds itself
    // counted as pending.
    if (pool_.TrySubmit(&task)) {
      ++pending_;
      return true;
    }
    dropped = ++dropped_;
    ++unreported_drops_;
    due = TakeDueDropsLocked(absl::Now());
    max_pending = options_.max_pending;
    if (unreported_drops_ > 0 && !reporter_.joinable()) {
      absl::StatusOr<net::Thread> reporter =
          net::Thread::Start([this] { ReportDropsWhenDue(); });
      if (reporter.ok()) {
        reporter_ = *std::move(reporter);
      } else {
        // A later drop tries again; the destructor reports what is left.
        LOG_EVERY_T(WARNING, kWarningPeriodSeconds)
            << "cannot start the hook drop reporter: " << reporter.status();
      }
    }
  }
  ReportDrops(due, dropped, max_pending);
  return false;
}

uint64_t HookRunner::TakeDueDropsLocked(absl::Time now) {
  if (unreported_drops_ == 0 || now < next_drop_report_) return 0;
  next_drop_report_ = now + options_.drop_report_period;
  return std::exchange(unreported_drops_, 0);
}

void HookRunner::ReportDrops(uint64_t drops, uint64_t dropped_in_all,
                             int max_pending) {
  if (drops == 0) return;
  LOG(WARNING) << drops << (drops == 1 ? " hook run" : " hook runs")
               << " suppressed: hook queue full (" << max_pending
               << " pending); " << dropped_in_all << " suppressed in all";
}

void HookRunner::ReportDropsWhenDue() {
  absl::MutexLock lock(&mu_);
  const auto drops_or_stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || unreported_drops_ > 0;
  };
  for (;;) {
    mu_.Await(absl::Condition(&drops_or_stopping));
    // The first drop of a run was reported at once, so a report of the ones
    // since is due a period after it; the destructor reports the rest.
    if (stopping_ ||
        mu_.AwaitWithDeadline(absl::Condition(&stopping_), next_drop_report_)) {
      return;
    }
    const uint64_t due = TakeDueDropsLocked(absl::Now());
    const uint64_t dropped = dropped_;
    const int max_pending = options_.max_pending;
    mu_.Unlock();
    ReportDrops(due, dropped, max_pending);
    mu_.Lock();
  }
}

void HookRunner::SetOptions(const Options& options) {
  absl::MutexLock lock(&mu_);
  options_ = options;
  pool_.SetLimits(PoolLimits(options));
}

HookRunner::Counts HookRunner::counts() const {
  absl::MutexLock lock(&mu_);
  Counts counts;
  counts.started = started_;
  counts.finished = finished_;
  counts.timed_out = timed_out_;
  counts.dropped = dropped_;
  counts.failed_to_start = failed_to_start_;
  counts.running = running_;
  counts.pending = pending_;
  return counts;
}

bool HookRunner::WaitUntilIdle(absl::Time deadline) {
  return pool_.WaitUntilIdle(deadline);
}

void HookRunner::RunJob(Job job) {
  absl::Duration timeout;
  {
    absl::MutexLock lock(&mu_);
    --pending_;
    if (stopping_) return;  // discarded
    ++running_;
    timeout = options_.timeout;
  }
  const Outcome outcome = Run(std::move(job), timeout);
  absl::MutexLock lock(&mu_);
  --running_;
  switch (outcome) {
    case Outcome::kFinished:
      ++finished_;
      break;
    case Outcome::kTimedOut:
      ++timed_out_;
      break;
    case Outcome::kFailedToStart:
      ++failed_to_start_;
      break;
    case Outcome::kStopped:
      break;
  }
}

HookRunner::Outcome HookRunner::Run(Job job, absl::Duration timeout) {
  const Command command = std::move(job)();
  absl::StatusOr<pid_t> spawned = Spawn(command.line, command.environment);
  if (!spawned.ok()) {
    LOG_EVERY_T(WARNING, kWarningPeriodSeconds)
        << "hook not started: " << spawned.status() << ": " << command.line;
    return Outcome::kFailedToStart;
  }
  const pid_t pid = *spawned;
  {
    absl::MutexLock lock(&mu_);
    ++started_;
  }
  VLOG(1) << "hook started, pid " << pid << ": " << command.line;

  // The pid stays ours until it is reaped below, so neither the pidfd nor
  // kill(-pid) can reach an unrelated process. Through syscall(2): glibc
  // 2.36's <sys/pidfd.h> lacks extern "C". pidfds are always close-on-exec.
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  const net::Deadline deadline = net::Deadline::In(timeout, &stop_);
  int status = 0;
  absl::Status waited;
  bool reaped = false;
  if (pidfd >= 0) {
    // Readable once the hook has exited.
    waited = deadline.Wait(pidfd, POLLIN);
    close(pidfd);
  } else {
    for (;;) {
      if (Reap(pid, WNOHANG, &status)) {
        reaped = true;
        break;
      }
      // Watches only the stop signal (poll(2) skips a negative fd).
      waited = net::Deadline(
                   std::min(deadline.when(), absl::Now() + kReapPollInterval),
                   &stop_)
                   .Wait(-1, POLLIN);
      if (absl::IsCancelled(waited) || deadline.Expired()) break;
    }
  }

  if (reaped || waited.ok()) {
    if (!reaped) Reap(pid, 0, &status);
    const bool ran = !(WIFEXITED(status) && (WEXITSTATUS(status) == 126 ||
                                             WEXITSTATUS(status) == 127));
    if (!ran) {
      LOG_EVERY_T(WARNING, kWarningPeriodSeconds)
          << "hook could not run its command (" << DescribeStatus(status)
          << "): " << command.line;
    }
    VLOG(1) << "hook pid " << pid << " ended: " << DescribeStatus(status);
    return Outcome::kFinished;
  }

  // Timed out, or the runner is stopping: the whole group goes. The leader
  // is killed on its own too, in case it moved itself to another group;
  // SIGKILL cannot be caught, so the reap below is bounded.
  kill(-pid, SIGKILL);
  kill(pid, SIGKILL);
  Reap(pid, 0, &status);
  if (absl::IsCancelled(waited)) {
    LOG(INFO) << "hook pid " << pid << " killed at shutdown: " << command.line;
    return Outcome::kStopped;
  }
  LOG(WARNING) << "hook timed out after " << absl::FormatDuration(timeout)
               << "; killed its process group " << pid << ": " << command.line;
  return Outcome::kTimedOut;
}

}  // namespace rsockd
