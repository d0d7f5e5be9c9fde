// This file defines `RsockdProcess`, the real rsockd server binary running as
// a child of an end-to-end test.
//
// `Start` writes the given sockd.conf text to a temporary file and runs
//
//   rsockd --port=0 --port_file=<tmp> --listen=127.0.0.1 --logtostderr
//          --sockd_conf=<tmp> <extra flags>
//
// (`RsockdOptions::listen` changes or drops the --listen flag.)
//
// then waits (bounded) until the port file holds the bound port and a
// newline. The binary is found in the test's runfiles, where a test puts it
// with `data = ["//rsockd:rsockd"]`:
// $TEST_SRCDIR/$TEST_WORKSPACE/rsockd/rsockd. $RSOCKD_BINARY, when set,
// overrides that (for running a test by hand). This library does not depend on
// //rsockd itself.
//
// Example:
//
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<RsockdProcess> rsockd,
//                        RsockdProcess::Start({.sockd_conf = "permit ALL\n"}));
//   ... connect to rsockd->address() ...
//   ASSERT_OK_AND_ASSIGN(ExitStatus status, rsockd->Stop());
//   EXPECT_TRUE(status.success());
//
// The destructor kills (SIGKILL) and reaps a server that is still running.
// Thread-safety: not synchronized; use from the test's main thread.

#ifndef RSOCKD_TESTING_RSOCKD_PROCESS_H_
#define RSOCKD_TESTING_RSOCKD_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/address.h"
#include "testing/subprocess.h"

namespace rsockd::testing {

// (Every field has an initializer so that designated initializers may leave
// any of them out.)
struct RsockdOptions {
  // Contents of the sockd.conf the server gets. The default admits loopback
  // clients only, like the server's embedded default.
  std::string sockd_conf = "permit 127.0.0.0 255.0.0.0\n";
  // Contents of socks.conf and sockd.route, written beside sockd.conf and
  // passed with --socks_conf / --route_file. nullopt passes an empty path
  // (no file: everything direct, the kernel picks source addresses), so a
  // test never depends on the host's /etc.
  std::optional<std::string> socks_conf = std::nullopt;
  std::optional<std::string> route_file = std::nullopt;
  // The --listen flag's value; nullopt gives no --listen flag, for tests of
  // the default (which listens on every address of the host: such a test
  // must still connect only to loopback addresses).
  std::optional<std::string> listen = "127.0.0.1";
  // More flags, e.g. "--workers=1".
  std::vector<std::string> extra_flags = {};
  // How long the server may take to write its port file.
  absl::Duration startup_timeout = absl::Seconds(20);
  // The binary to run instead of the one in the runfiles (tests of this
  // library use a stand-in).
  std::optional<std::string> binary_path = std::nullopt;
};

class RsockdProcess {
 public:
  // The rsockd binary in the runfiles (or $RSOCKD_BINARY). NotFound, naming
  // the path tried, when it is missing.
  static absl::StatusOr<std::string> BinaryPath();

  // Starts the server and waits for its port. When the server exits or
  // times out first, the error carries its stderr.
  static absl::StatusOr<std::unique_ptr<RsockdProcess>> Start(
      const RsockdOptions& options);

  ~RsockdProcess();
  RsockdProcess(const RsockdProcess&) = delete;
  RsockdProcess& operator=(const RsockdProcess&) = delete;

  uint16_t port() const { return port_; }
  // 127.0.0.1:port() (a server whose --listen lacks 127.0.0.1 or a
  // wildcard is reached at its own addresses, on port()).
  net::SocketAddress address() const;
  pid_t pid() const { return process_->pid(); }
  // The directory holding the server's config files; tests may add their
  // own files there.
  const std::string& dir() const { return dir_; }
  // The sockd.conf passed with --sockd_conf (rewrite it, then SIGHUP).
  std::string sockd_conf_path() const { return dir_ + "/sockd.conf"; }
  // Where socks.conf and sockd.route are (or would be) written.
  std::string socks_conf_path() const { return dir_ + "/socks.conf"; }
  std::string route_file_path() const { return dir_ + "/sockd.route"; }

  // Sends SIGTERM and waits up to `timeout` for the exit; after that kills
  // (SIGKILL) and returns DeadlineExceeded. Returns the exit status. Once
  // stopped, returns the recorded status again.
  absl::StatusOr<ExitStatus> Stop(absl::Duration timeout = absl::Seconds(30));

  bool Running() { return process_->Running(); }
  const std::optional<ExitStatus>& exit_status() const {
    return process_->exit_status();
  }

  // The log so far, and bounded waits for a line (see Subprocess).
  std::string Stderr() const { return process_->ReadStderr(); }
  size_t StderrSize() const { return process_->StderrSize(); }
  absl::StatusOr<std::string> WaitForLogLine(absl::string_view substring,
                                             absl::Duration timeout,
                                             size_t from_offset = 0) {
    return process_->WaitForStderrLine(substring, timeout, from_offset);
  }
  absl::StatusOr<std::string> WaitForLogLineWithAll(
      const std::vector<std::string>& substrings, absl::Duration timeout,
      size_t from_offset = 0) {
    return process_->WaitForStderrLineWithAll(substrings, timeout, from_offset);
  }

  // The number of open descriptors, from /proc/PID/fd.
  absl::StatusOr<int> OpenFdCount() const;
  // One "fd -> target" line per descriptor, for failure messages.
  std::string DescribeOpenFds() const;

  Subprocess& process() { return *process_; }

 private:
  RsockdProcess(std::string dir, std::unique_ptr<Subprocess> process,
                uint16_t port)
      : dir_(std::move(dir)), process_(std::move(process)), port_(port) {}

  std::string dir_;
  std::unique_ptr<Subprocess> process_;
  uint16_t port_;
};

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_RSOCKD_PROCESS_H_
