// This file defines `SyslogReceiver`, a stand-in for the syslog daemon's
// /dev/log: a Unix datagram socket in a fresh directory that a test points
// rsockd at (--syslog_socket) and reads the messages from.
//
// The directory is made under /tmp rather than $TEST_TMPDIR because a Unix
// socket path must fit in 108 bytes, which Bazel's sandbox paths do not; it
// is world-readable so that a server running as another user (--user) can
// still send.
//
// Example:
//
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<SyslogReceiver> syslog,
//                        SyslogReceiver::Create());
//   ... start rsockd with --syslog --syslog_socket=<syslog->path()> ...
//   ASSERT_OK_AND_ASSIGN(std::string message,
//                        syslog->WaitForMessage({"connected --"},
//                                               absl::Seconds(20)));
//
// Thread-safety: not synchronized; use from one thread.

#ifndef RSOCKD_TESTING_SYSLOG_RECEIVER_H_
#define RSOCKD_TESTING_SYSLOG_RECEIVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace rsockd::testing {

class SyslogReceiver {
 public:
  static absl::StatusOr<std::unique_ptr<SyslogReceiver>> Create();
  // Closes the socket and removes its directory.
  ~SyslogReceiver();
  SyslogReceiver(const SyslogReceiver&) = delete;
  SyslogReceiver& operator=(const SyslogReceiver&) = delete;

  // The socket's path, for --syslog_socket.
  const std::string& path() const { return path_; }

  // The next message, waiting up to `timeout` (DeadlineExceeded).
  absl::StatusOr<std::string> Receive(absl::Duration timeout);

  // Receives messages until one contains every one of `substrings`, and
  // returns it; DeadlineExceeded after `timeout`, listing what arrived.
  // Every message received is also kept in `received()`.
  absl::StatusOr<std::string> WaitForMessage(
      const std::vector<std::string>& substrings, absl::Duration timeout);

  const std::vector<std::string>& received() const { return received_; }

 private:
  SyslogReceiver(int fd, std::string dir, std::string path)
      : fd_(fd), dir_(std::move(dir)), path_(std::move(path)) {}

  int fd_;
  std::string dir_;
  std::string path_;
  std::vector<std::string> received_;
};

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_SYSLOG_RECEIVER_H_
