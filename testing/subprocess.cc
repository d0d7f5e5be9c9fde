#include "testing/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "net/spawn_setup.h"
#include "testing/files.h"
#include "testing/wait_for.h"

extern char** environ;

namespace rsockd::testing {
namespace {

// The longest a pidfd-less wait sleeps between waitpid() polls.
constexpr absl::Duration kPollInterval = absl::Milliseconds(10);
// How much of a child's output goes into an error message.
constexpr size_t kTailBytes = 4000;

std::string Tail(absl::string_view text) {
  if (text.size() <= kTailBytes) return std::string(text);
  return absl::StrCat("...", text.substr(text.size() - kTailBytes));
}

ExitStatus DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return ExitStatus{WEXITSTATUS(status), 0};
  if (WIFSIGNALED(status)) return ExitStatus{-1, WTERMSIG(status)};
  return ExitStatus{-1, 0};
}

}  // namespace

std::string ExitStatus::ToString() const {
  if (exited()) return absl::StrCat("exit code ", exit_code);
  return absl::StrCat("killed by signal ", signal, " (", strsignal(signal),
                      ")");
}

Subprocess::Subprocess(pid_t pid, std::string dir, std::string command_line)
    : pid_(pid), dir_(std::move(dir)), command_line_(std::move(command_line)) {
  // Through syscall(2): glibc 2.36's <sys/pidfd.h> lacks extern "C".
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd_ >= 0) fcntl(pidfd_, F_SETFD, FD_CLOEXEC);
}

Subprocess::~Subprocess() {
  if (!status_.has_value()) KillAndReap();
  if (pidfd_ >= 0) close(pidfd_);
  (void)RemoveTree(dir_);
}

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(
    const SubprocessOptions& options) {
  if (options.argv.empty()) {
    return absl::InvalidArgumentError("Subprocess needs a program to run");
  }
  const std::string command_line = absl::StrJoin(options.argv, " ");
  absl::StatusOr<std::string> dir = MakeTempDir("subprocess-");
  if (!dir.ok()) return dir.status();

  std::string stdin_path = "/dev/null";
  if (!options.stdin_data.empty()) {
    stdin_path = absl::StrCat(*dir, "/stdin");
    if (absl::Status written =
            WriteStringToFile(stdin_path, options.stdin_data);
        !written.ok()) {
      (void)RemoveTree(*dir);
      return written;
    }
  }
  const std::string stdout_path = absl::StrCat(*dir, "/stdout");
  const std::string stderr_path = absl::StrCat(*dir, "/stderr");

  net::SpawnSetup setup;
  posix_spawn_file_actions_addopen(setup.actions(), 0, stdin_path.c_str(),
                                   O_RDONLY, 0);
  posix_spawn_file_actions_addopen(setup.actions(), 1, stdout_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(setup.actions(), 2, stderr_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  // Sockets the test holds must not leak into the child (they would keep
  // connections open and skew the child's descriptor count).
  posix_spawn_file_actions_addclosefrom_np(setup.actions(), 3);

  // A test may run with signals blocked or ignored (gtest death tests,
  // servers that sigwait); the child starts clean.
  sigset_t empty, all;
  sigemptyset(&empty);
  sigfillset(&all);
  posix_spawnattr_setsigmask(setup.attributes(), &empty);
  posix_spawnattr_setsigdefault(setup.attributes(), &all);
  posix_spawnattr_setflags(setup.attributes(),
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argv;
  for (const std::string& arg : options.argv) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);

  std::vector<std::string> env_strings;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const absl::string_view variable(*entry);
    const bool replaced = std::any_of(
        options.env.begin(), options.env.end(), [&](const auto& added) {
          return absl::StartsWith(variable, absl::StrCat(added.first, "="));
        });
    if (!replaced) env_strings.emplace_back(variable);
  }
  for (const auto& [name, value] : options.env) {
    env_strings.push_back(absl::StrCat(name, "=", value));
  }
  std::vector<char*> envp;
  for (std::string& variable : env_strings) envp.push_back(variable.data());
  envp.push_back(nullptr);

  pid_t pid;
  const int error = posix_spawnp(&pid, argv[0], setup.actions(),
                                 setup.attributes(), argv.data(), envp.data());
  if (error != 0) {
    (void)RemoveTree(*dir);
    return absl::ErrnoToStatus(
        error, absl::StrCat("posix_spawnp(", command_line, ")"));
  }
  return std::unique_ptr<Subprocess>(
      new Subprocess(pid, *std::move(dir), command_line));
}

bool Subprocess::TryReap() {
  if (status_.has_value()) return true;
  int status = 0;
  pid_t reaped;
  do {
    reaped = waitpid(pid_, &status, WNOHANG);
  } while (reaped < 0 && errno == EINTR);
  if (reaped == pid_) {
    status_ = DecodeWaitStatus(status);
    return true;
  }
  if (reaped < 0) {
    // ECHILD: someone else reaped it; it is gone either way.
    status_ = ExitStatus{-1, 0};
    return true;
  }
  return false;
}

void Subprocess::KillAndReap() {
  if (TryReap()) return;
  kill(pid_, SIGKILL);
  int status = 0;
  pid_t reaped;
  do {
    reaped = waitpid(pid_, &status, 0);
  } while (reaped < 0 && errno == EINTR);
  status_ = reaped == pid_ ? DecodeWaitStatus(status) : ExitStatus{-1, 0};
}

bool Subprocess::Running() { return !TryReap(); }

absl::Status Subprocess::Signal(int signo) {
  if (TryReap()) {
    return absl::FailedPreconditionError(absl::StrCat(
        command_line_, " has already ended: ", status_->ToString()));
  }
  if (kill(pid_, signo) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("kill(", pid_, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ExitStatus> Subprocess::Wait(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!TryReap()) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      KillAndReap();
      return absl::DeadlineExceededError(absl::StrCat(
          command_line_, " still running after ", absl::FormatDuration(timeout),
          "; killed it. stderr:\n", StderrTail()));
    }
    if (pidfd_ >= 0) {
      // The pidfd becomes readable when the child exits.
      pollfd p{pidfd_, POLLIN, 0};
      const int64_t ms =
          absl::ToInt64Milliseconds(left + absl::Microseconds(999));
      poll(&p, 1, static_cast<int>(std::min<int64_t>(ms, 1000)));
    } else {
      absl::SleepFor(std::min(left, kPollInterval));
    }
  }
  return *status_;
}

std::string Subprocess::ReadStdout() const {
  return ReadFileToString(absl::StrCat(dir_, "/stdout")).value_or("");
}

std::string Subprocess::ReadStderr() const {
  return ReadFileToString(absl::StrCat(dir_, "/stderr")).value_or("");
}

size_t Subprocess::StderrSize() const {
  struct stat info;
  const std::string path = absl::StrCat(dir_, "/stderr");
  return stat(path.c_str(), &info) == 0 ? static_cast<size_t>(info.st_size) : 0;
}

absl::StatusOr<std::string> Subprocess::WaitForStderrLineWithAll(
    const std::vector<std::string>& substrings, absl::Duration timeout,
    size_t from_offset) {
  const std::string path = absl::StrCat(dir_, "/stderr");
  const std::string wanted =
      absl::StrCat("\"", absl::StrJoin(substrings, "\" and \""), "\"");
  size_t offset = from_offset;  // Start of the first line not yet checked.
  return WaitUntilAvailable(
      [&]() -> absl::StatusOr<std::string> {
        // Read the running state before the file, so that a child which
        // wrote its line and then exited is never reported as having exited
        // without it.
        const bool running = Running();
        if (std::optional<std::string> line =
                FindLineWithAll(path, substrings, &offset)) {
          return *std::move(line);
        }
        if (!running) {
          return absl::FailedPreconditionError(
              absl::StrCat(command_line_, " ended (", status_->ToString(),
                           ") without writing a line with ", wanted,
                           ". stderr:\n", StderrTail()));
        }
        return absl::UnavailableError(absl::StrCat(
            "no stderr line with ", wanted, ". stderr:\n", StderrTail()));
      },
      timeout);
}

std::string Subprocess::StderrTail() const {
  const size_t size = StderrSize();
  if (size <= kTailBytes) return ReadStderr();
  return absl::StrCat(
      "...", ReadFileToString(absl::StrCat(dir_, "/stderr"), size - kTailBytes)
                 .value_or(""));
}

absl::StatusOr<SubprocessResult> RunCommand(const SubprocessOptions& options,
                                            absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<Subprocess>> child =
      Subprocess::Start(options);
  if (!child.ok()) return child.status();
  absl::StatusOr<ExitStatus> status = (*child)->Wait(timeout);
  if (!status.ok()) {
    return absl::Status(status.status().code(),
                        absl::StrCat(status.status().message(), "\nstdout:\n",
                                     Tail((*child)->ReadStdout())));
  }
  return SubprocessResult{*status, (*child)->ReadStdout(),
                          (*child)->ReadStderr()};
}

}  // namespace rsockd::testing
