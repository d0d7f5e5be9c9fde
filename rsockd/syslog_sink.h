// This file defines `SyslogSink`, the glog sink behind `--syslog`: it sends
// log lines to the local syslog daemon the way syslog(3) does, as RFC 3164
// datagrams to its Unix socket (`/dev/log`):
//
//   <30>Feb  5 17:32:18 rsockd[4242]: [1] connected -- Connect from ...
//
// (30 = facility daemon * 8 + severity info). Writing the datagram here
// instead of calling syslog(3) keeps the socket path a setting (tests point it
// at a socket they own; a chroot can use another path) and lets the sink
// never block: glog calls sinks with its own lock held, so a syslog daemon
// that stops reading must not stall every thread that logs. A line the
// daemon cannot take at once is dropped and counted (`dropped()`).
//
// What goes to syslog (SPEC §10): the request log, which sessions write with
// `LOG_TO_SINK(sink, INFO)` (rsockd/session.cc), and, through the second sink
// `warnings_and_errors()` registered with google::AddLogSink, every warning
// and error glog logs, so that server-level trouble (a reload that failed)
// reaches the same place. Ordinary INFO diagnostics stay out.
//
// Example:
//
//   ASSIGN_OR_RETURN(std::unique_ptr<SyslogSink> sink,
//                    SyslogSink::Create({.facility = LOG_DAEMON}));
//   google::AddLogSink(sink->warnings_and_errors());
//   LOG_TO_SINK(sink.get(), INFO) << "[1] connected -- ...";
//   ...
//   google::RemoveLogSink(sink->warnings_and_errors());
//
// Thread-safe: `send` may run on any thread (each line is one sendto(2)).

#ifndef RSOCKD_RSOCKD_SYSLOG_SINK_H_
#define RSOCKD_RSOCKD_SYSLOG_SINK_H_

#include <sys/types.h>
#include <syslog.h>

#include <atomic>
#include <cstdint>
#include <ctime>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "glog/logging.h"
#include "net/socket.h"

namespace rsockd {

// The facility of a syslog.conf(5) name: "daemon", "auth", "authpriv",
// "user", "local0".."local7", ... (as logger(1) -p takes them). An unknown
// name is InvalidArgument, listing the names.
absl::StatusOr<int> ParseSyslogFacility(absl::string_view name);

// The syslog(3) severity of a glog severity (INFO → LOG_INFO, WARNING →
// LOG_WARNING, ERROR → LOG_ERR, FATAL → LOG_CRIT).
int SyslogSeverity(google::LogSeverity severity);

// One RFC 3164 message as syslog(3) sends it to the local daemon:
// "<PRI>Mmm dd hh:mm:ss ident[pid]: message", PRI = facility | severity,
// the time as given (local time), day of month padded with a blank.
std::string FormatSyslogMessage(int facility, int severity, const std::tm& time,
                                absl::string_view ident, pid_t pid,
                                absl::string_view message);

class SyslogSink : public google::LogSink {
 public:
  struct Options {
    // The syslog daemon's datagram socket.
    std::string socket_path = "/dev/log";
    // A LOG_* facility code (ParseSyslogFacility).
    int facility = LOG_DAEMON;
    std::string ident = "rsockd";
  };

  // Opens a datagram socket for sending to `socket_path`. Fails
  // (FailedPrecondition) when that path is not a socket, so that a mistyped
  // path or a missing syslog daemon is found at startup instead of every
  // line being dropped.
  static absl::StatusOr<std::unique_ptr<SyslogSink>> Create(
      const Options& options);

  // Formats and sends one line; never blocks, never logs.
  using google::LogSink::send;
  void send(google::LogSeverity severity, const char* full_filename,
            const char* base_filename, int line,
            const google::LogMessageTime& time, const char* message,
            size_t message_len) override;

  // The sink to register with google::AddLogSink: passes on warnings and
  // errors, drops INFO (the request log arrives through this sink itself).
  google::LogSink* warnings_and_errors() { return &warnings_and_errors_; }

  // Lines handed to the daemon, and lines it could not take (full queue,
  // no daemon listening) and were dropped.
  uint64_t sent() const { return sent_.load(std::memory_order_relaxed); }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  // For the SIGUSR1 snapshot: "syslog /dev/log sent=N dropped=M".
  std::string StatsLine() const;

 private:
  class SeverityFilter : public google::LogSink {
   public:
    SeverityFilter(SyslogSink* target, google::LogSeverity min_severity)
        : target_(target), min_severity_(min_severity) {}
    using google::LogSink::send;
    void send(google::LogSeverity severity, const char* full_filename,
              const char* base_filename, int line,
              const google::LogMessageTime& time, const char* message,
              size_t message_len) override;

   private:
    SyslogSink* const target_;
    const google::LogSeverity min_severity_;
  };

  SyslogSink(const Options& options, net::Socket socket);

  const Options options_;
  const pid_t pid_;
  const net::Socket socket_;
  SeverityFilter warnings_and_errors_;
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_SYSLOG_SINK_H_
