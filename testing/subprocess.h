// This file defines `Subprocess`, a child process started with
// posix_spawn(3) for tests, and `RunCommand`, which runs one to completion.
//
// A child's stdout and stderr go to files in a private temporary directory,
// so a chatty child can never block on a full pipe and the test can read
// what it has written so far at any time (`ReadStderr`), or wait for a log
// line (`WaitForStderrLine`). Its stdin is a file holding `stdin_data` (or
// /dev/null), so it sees EOF after that data.
//
// Every wait is bounded. `Subprocess` never leaks its child: `Wait` kills and
// reaps the child when its timeout passes, and the destructor kills (SIGKILL)
// and reaps a child that is still running.
//
// Example:
//
//   ASSERT_OK_AND_ASSIGN(SubprocessResult result,
//                        RunCommand({.argv = {"curl", "-sS", url}},
//                                   absl::Seconds(30)));
//   EXPECT_EQ(result.status.exit_code, 0) << result.stderr_text;
//
// Thread-safety: a Subprocess is not synchronized; use it from one thread.

#ifndef RSOCKD_TESTING_SUBPROCESS_H_
#define RSOCKD_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace rsockd::testing {

// How a child ended.
struct ExitStatus {
  // The exit(3) code, or -1 when the child was killed by a signal.
  int exit_code = -1;
  // The signal that killed the child, or 0 when it exited.
  int signal = 0;

  bool exited() const { return signal == 0; }
  // True when the child exited with code 0.
  bool success() const { return exited() && exit_code == 0; }
  // "exit code 3" or "killed by signal 9 (Killed)".
  std::string ToString() const;
};

struct SubprocessOptions {
  // The program and its arguments. argv[0] is looked up in $PATH when it has
  // no '/'.
  // (Every field has an initializer so that designated initializers may
  // leave any of them out without -Wmissing-field-initializers.)
  std::vector<std::string> argv = {};
  // Variables added to (or replacing those of) the inherited environment.
  std::vector<std::pair<std::string, std::string>> env = {};
  // What the child reads on stdin, followed by EOF.
  std::string stdin_data = {};
};

class Subprocess {
 public:
  // Spawns the child. The child gets default signal dispositions, an empty
  // signal mask and no descriptors other than 0, 1 and 2.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(
      const SubprocessOptions& options);

  // Kills (SIGKILL) and reaps the child if it is still running, then removes
  // the output files.
  ~Subprocess();

  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  // A description for messages: the command line.
  const std::string& command_line() const { return command_line_; }

  // Reaps the child if it has ended; true while it is running.
  bool Running();
  // The exit status once the child has been reaped.
  const std::optional<ExitStatus>& exit_status() const { return status_; }

  // Sends `signo` to the child. FailedPrecondition once it has been reaped.
  absl::Status Signal(int signo);

  // Waits until the child ends. When `timeout` passes first, kills it
  // (SIGKILL), reaps it and returns DeadlineExceeded; `exit_status()` then
  // shows the kill.
  absl::StatusOr<ExitStatus> Wait(absl::Duration timeout);

  // What the child has written so far.
  std::string ReadStdout() const;
  std::string ReadStderr() const;

  // Polls stderr (every few milliseconds, until `timeout`) for a complete
  // line containing every one of `substrings`, and returns that line without
  // its newline. Only lines starting at or after byte `from_offset` are
  // considered. Fails early with FailedPrecondition when the child ends
  // without writing such a line, DeadlineExceeded on timeout; both messages
  // include the stderr tail.
  absl::StatusOr<std::string> WaitForStderrLineWithAll(
      const std::vector<std::string>& substrings, absl::Duration timeout,
      size_t from_offset = 0);
  absl::StatusOr<std::string> WaitForStderrLine(absl::string_view substring,
                                                absl::Duration timeout,
                                                size_t from_offset = 0) {
    return WaitForStderrLineWithAll({std::string(substring)}, timeout,
                                    from_offset);
  }

  // Number of bytes written to stderr so far; pass as `from_offset` to wait
  // only for lines written after this point.
  size_t StderrSize() const;

 private:
  Subprocess(pid_t pid, std::string dir, std::string command_line);

  // Non-blocking waitpid(); records the status when the child has ended.
  bool TryReap();
  void KillAndReap();
  // The last few KiB of stderr, for error messages.
  std::string StderrTail() const;

  pid_t pid_;
  int pidfd_ = -1;  // -1 when pidfd_open(2) is unavailable.
  std::string dir_;
  std::string command_line_;
  std::optional<ExitStatus> status_;
};

struct SubprocessResult {
  ExitStatus status;
  std::string stdout_text;
  std::string stderr_text;
};

// Starts a child and waits for it for at most `timeout`. A timeout is an
// error (DeadlineExceeded, with the child's output in the message); a
// non-zero exit is not — check `status`.
absl::StatusOr<SubprocessResult> RunCommand(const SubprocessOptions& options,
                                            absl::Duration timeout);

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_SUBPROCESS_H_
