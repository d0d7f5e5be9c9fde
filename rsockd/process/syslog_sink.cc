#include "rsockd/process/syslog_sink.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace rsockd {
namespace {

struct Facility {
  const char* name;
  int code;
};

// syslog.conf(5)'s names, as glibc's <syslog.h> facilitynames has them
// (which it defines only under SYSLOG_NAMES, together with data that would
// be duplicated in every file including it).
constexpr Facility kFacilities[] = {
    {"auth", LOG_AUTH},     {"authpriv", LOG_AUTHPRIV}, {"cron", LOG_CRON},
    {"daemon", LOG_DAEMON}, {"ftp", LOG_FTP},           {"kern", LOG_KERN},
    {"lpr", LOG_LPR},       {"mail", LOG_MAIL},         {"news", LOG_NEWS},
    {"syslog", LOG_SYSLOG}, {"user", LOG_USER},         {"uucp", LOG_UUCP},
    {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},     {"local2", LOG_LOCAL2},
    {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},     {"local5", LOG_LOCAL5},
    {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

// RFC 3164 spells months in English whatever the locale.
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

}  // namespace

absl::StatusOr<int> ParseSyslogFacility(absl::string_view name) {
  for (const Facility& facility : kFacilities) {
    if (name == facility.name) return facility.code;
  }
  std::vector<absl::string_view> names;
  for (const Facility& facility : kFacilities) names.push_back(facility.name);
  return absl::InvalidArgumentError(absl::StrCat("unknown syslog facility \"",
                                                 name, "\": expected one of ",
                                                 absl::StrJoin(names, ", ")));
}

int SyslogSeverity(google::LogSeverity severity) {
  switch (severity) {
    case google::GLOG_INFO:
      return LOG_INFO;
    case google::GLOG_WARNING:
      return LOG_WARNING;
    case google::GLOG_ERROR:
      return LOG_ERR;
    default:
      return LOG_CRIT;
  }
}

std::string FormatSyslogMessage(int facility, int severity, const std::tm& time,
                                absl::string_view ident, pid_t pid,
                                absl::string_view message) {
  const int month = time.tm_mon >= 0 && time.tm_mon < 12 ? time.tm_mon : 0;
  return absl::StrFormat("<%d>%s %2d %02d:%02d:%02d %s[%d]: %s",
                         facility | severity, kMonths[month], time.tm_mday,
                         time.tm_hour, time.tm_min, time.tm_sec, ident, pid,
                         message);
}

absl::StatusOr<std::unique_ptr<SyslogSink>> SyslogSink::Create(
    const Options& options) {
  sockaddr_un address;
  if (options.socket_path.size() >= sizeof(address.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "syslog socket path is longer than ", sizeof(address.sun_path) - 1,
        " bytes: ", options.socket_path));
  }
  struct stat status;
  if (stat(options.socket_path.c_str(), &status) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("syslog socket ", options.socket_path, ": ",
                     strerror(errno), " (is a syslog daemon running?)"));
  }
  if (!S_ISSOCK(status.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "syslog socket ", options.socket_path, " is not a socket"));
  }
  // Not connected: each line is addressed to the path, so a syslog daemon
  // that restarts (and makes a new socket there) is found again by the next
  // line, with no reconnect logic.
  FdCloser socket(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!socket.valid()) {
    return absl::ErrnoToStatus(errno, "socket(AF_UNIX, SOCK_DGRAM)");
  }
  return std::unique_ptr<SyslogSink>(
      new SyslogSink(options, std::move(socket)));
}

SyslogSink::SyslogSink(const Options& options, FdCloser socket)
    : options_(options),
      pid_(getpid()),
      socket_(std::move(socket)),
      warnings_and_errors_(this, google::GLOG_WARNING) {
  google::AddLogSink(&warnings_and_errors_);
}

SyslogSink::~SyslogSink() { google::RemoveLogSink(&warnings_and_errors_); }

void SyslogSink::send(google::LogSeverity severity, const char* full_filename,
                      const char* base_filename, int line,
                      const google::LogMessageTime& time, const char* message,
                      size_t message_len) {
  // A warning or error logged to this sink reaches it again through the
  // registered filter (see the header): send it once, from there.
  if (severity != google::GLOG_INFO) return;
  Send(LOG_NOTICE, time.tm(), absl::string_view(message, message_len));
}

void SyslogSink::SendLine(int severity, absl::string_view message) {
  const time_t now = time(nullptr);
  std::tm local = {};
  localtime_r(&now, &local);
  Send(severity, local, message);
}

void SyslogSink::Send(int severity, const std::tm& time,
                      absl::string_view message) {
  const std::string datagram = FormatSyslogMessage(
      options_.facility, severity, time, options_.ident, pid_, message);
  sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  memcpy(address.sun_path, options_.socket_path.data(),
         options_.socket_path.size());
  const ssize_t n =
      sendto(socket_.get(), datagram.data(), datagram.size(),
             MSG_DONTWAIT | MSG_NOSIGNAL,
             reinterpret_cast<const sockaddr*>(&address), sizeof(address));
  if (n == static_cast<ssize_t>(datagram.size())) {
    sent_.fetch_add(1, std::memory_order_relaxed);
  } else {
    dropped_.fetch_add(1, std::memory_order_relaxed);
  }
}

std::string SyslogSink::StatsLine() const {
  return absl::StrCat("syslog ", options_.socket_path, " sent=", sent(),
                      " dropped=", dropped());
}

void SyslogSink::SeverityFilter::send(google::LogSeverity severity,
                                      const char* full_filename,
                                      const char* base_filename, int line,
                                      const google::LogMessageTime& time,
                                      const char* message, size_t message_len) {
  if (severity < min_severity_) return;
  target_->Send(SyslogSeverity(severity), time.tm(),
                absl::string_view(message, message_len));
}

}  // namespace rsockd
