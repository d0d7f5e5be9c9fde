#include "testing/syslog_receiver.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "testing/files.h"

namespace rsockd::testing {

absl::StatusOr<std::unique_ptr<SyslogReceiver>> SyslogReceiver::Create() {
  char pattern[] = "/tmp/rsockd-syslog-XXXXXX";
  if (mkdtemp(pattern) == nullptr) {
    return absl::ErrnoToStatus(errno, "mkdtemp(/tmp/rsockd-syslog-XXXXXX)");
  }
  const std::string dir = pattern;
  if (chmod(dir.c_str(), 0755) != 0) {
    const int error = errno;
    (void)RemoveTree(dir);
    return absl::ErrnoToStatus(error, absl::StrCat("chmod ", dir));
  }
  const std::string path = absl::StrCat(dir, "/log");
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    const int error = errno;
    (void)RemoveTree(dir);
    return absl::ErrnoToStatus(error, "socket(AF_UNIX, SOCK_DGRAM)");
  }
  sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  memcpy(address.sun_path, path.data(), path.size());
  if (bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) !=
          0 ||
      chmod(path.c_str(), 0666) != 0) {
    const int error = errno;
    close(fd);
    (void)RemoveTree(dir);
    return absl::ErrnoToStatus(error, absl::StrCat("bind ", path));
  }
  return std::unique_ptr<SyslogReceiver>(new SyslogReceiver(fd, dir, path));
}

SyslogReceiver::~SyslogReceiver() {
  close(fd_);
  (void)RemoveTree(dir_);
}

absl::StatusOr<std::string> SyslogReceiver::Receive(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(absl::StrCat(
          "no syslog message within ", absl::FormatDuration(timeout)));
    }
    pollfd readable{fd_, POLLIN, 0};
    const int ready = poll(
        &readable, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (ready < 0 && errno != EINTR) return absl::ErrnoToStatus(errno, "poll");
    if (ready <= 0) continue;
    char buffer[64 * 1024];
    const ssize_t n = recv(fd_, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return absl::ErrnoToStatus(errno, "recv");
    }
    received_.emplace_back(buffer, n);
    return received_.back();
  }
}

absl::StatusOr<std::string> SyslogReceiver::WaitForMessage(
    const std::vector<std::string>& substrings, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    absl::StatusOr<std::string> message = Receive(deadline - absl::Now());
    if (!message.ok()) {
      return absl::DeadlineExceededError(absl::StrCat(
          "no syslog message with all of {", absl::StrJoin(substrings, ", "),
          "} within ", absl::FormatDuration(timeout), "; received:\n",
          absl::StrJoin(received_, "\n")));
    }
    bool all = true;
    for (const std::string& substring : substrings) {
      all = all && absl::StrContains(*message, substring);
    }
    if (all) return message;
  }
}

}  // namespace rsockd::testing
