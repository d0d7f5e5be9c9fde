// This file defines `SyslogSink`, the glog sink behind `--syslog`: it sends
// log lines to the local syslog daemon the way syslog(3) does, as RFC 3164
// datagrams to its Unix socket (`/dev/log`):
//
//   <29>Feb  5 17:32:18 rsockd[4242]: [1] connected -- Connect from ...
//
// (29 = facility daemon * 8 + severity notice). Writing the datagram here
// instead of calling syslog(3) keeps the socket path a setting (tests point it
// at a socket they own; a chroot can use another path) and lets the sink
// never block: glog calls sinks with its own lock held, so a syslog daemon
// that stops reading must not stall every thread that logs. A line the
// daemon cannot take at once is dropped and counted (`dropped()`).
//
// What goes to syslog, and at which priority (docs/operations.md, "Syslog"):
//   - the request log, which sessions write with `LOG_TO_SINK(sink, INFO)`
//     (rsockd/server/session.cc): LOG_NOTICE, so that classic `daemon.notice`
//     selectors keep seeing it;
//   - `*Alert*` lines, which sessions write with `LOG_TO_SINK(sink,
//     WARNING)`, and every warning glog logs anywhere: LOG_WARNING;
//   - every error: LOG_ERR (FATAL: LOG_CRIT).
// Ordinary INFO diagnostics stay out.
//
// glog hands a `LOG_TO_SINK` line to the sink named and then to every sink
// registered with google::AddLogSink. So the sink registers a filter for
// warnings and errors for as long as it lives, and the named-sink path takes
// INFO lines only: every line reaches syslog exactly once, and glog's own
// output (stderr, files) keeps its severities.
//
// Example:
//
//   RSOCKD_ASSIGN_OR_RETURN(std::unique_ptr<SyslogSink> sink,
//                    SyslogSink::Create({.facility = LOG_DAEMON}));
//   LOG_TO_SINK(sink.get(), INFO) << "[1] connected -- ...";
//   LOG(ERROR) << "reload failed";  // reaches syslog too
//
// Thread-safe: `send` may run on any thread (each line is one sendto(2)).

#ifndef RSOCKD_RSOCKD_PROCESS_SYSLOG_SINK_H_
#define RSOCKD_RSOCKD_PROCESS_SYSLOG_SINK_H_

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
#include "rsockd/base/fd_closer.h"

namespace rsockd {

// The facility of a syslog.conf(5) name: "daemon", "auth", "authpriv",
// "user", "local0".."local7", ... (as logger(1) -p takes them). An unknown
// name is InvalidArgument, listing the names.
absl::StatusOr<int> ParseSyslogFacility(absl::string_view name);

// The syslog(3) severity of a glog severity (INFO → LOG_INFO, WARNING →
// LOG_WARNING, ERROR → LOG_ERR, FATAL → LOG_CRIT). Request-log lines (INFO
// lines logged to the sink itself) go out at LOG_NOTICE instead.
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

  // Opens a datagram socket for sending to `socket_path` and registers
  // for glog's warnings and errors. Fails (FailedPrecondition) when that
  // path is not a socket, so that a mistyped path or a missing syslog
  // daemon is found at startup instead of every line being dropped.
  static absl::StatusOr<std::unique_ptr<SyslogSink>> Create(
      const Options& options);
  // Unregisters from glog.
  ~SyslogSink() override;
  SyslogSink(const SyslogSink&) = delete;
  SyslogSink& operator=(const SyslogSink&) = delete;

  // A request-log line (`LOG_TO_SINK(sink, INFO)`): sent at LOG_NOTICE.
  // Warnings and errors logged to the sink are left to the registered
  // filter, which glog calls for the same line. Never blocks, never logs.
  using google::LogSink::send;
  void send(google::LogSeverity severity, const char* full_filename,
            const char* base_filename, int line,
            const google::LogMessageTime& time, const char* message,
            size_t message_len) override;

  // Sends `message` at `severity` (a LOG_* level) with the current local
  // time, outside glog: for messages from before logging started (flag
  // errors in inetd mode).
  void SendLine(int severity, absl::string_view message);

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

  SyslogSink(const Options& options, FdCloser socket);
  void Send(int severity, const std::tm& time, absl::string_view message);

  const Options options_;
  const pid_t pid_;
  const FdCloser socket_;
  SeverityFilter warnings_and_errors_;
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_PROCESS_SYSLOG_SINK_H_
