// This file defines `LogLines`, a glog sink for tests: it keeps every line
// logged in this process, by any thread, while it exists, so that a test can
// check what the code under test reported.
//
// Example:
//
//   LogLines log;
//   ... reload a broken file ...
//   EXPECT_THAT(log.lines(), Contains(HasSubstr("sockd.conf:2:")));
//   EXPECT_THAT(log.lines(google::GLOG_WARNING), SizeIs(1));
//
// Thread-safe: glog calls send() on the logging thread while the test reads.

#ifndef RSOCKD_TESTING_LOG_LINES_H_
#define RSOCKD_TESTING_LOG_LINES_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "glog/logging.h"

namespace rsockd::testing {

class LogLines : public google::LogSink {
 public:
  enum class Scope {
    // Every line logged in the process while it exists (google::AddLogSink).
    kAll,
    // Only the lines code sends to this sink itself (LOG_TO_SINK), such as
    // the request log a server is given.
    kOwn,
  };

  // With kAll, registers the sink with glog; the destructor removes it.
  explicit LogLines(Scope scope = Scope::kAll);
  ~LogLines() override;

  LogLines(const LogLines&) = delete;
  LogLines& operator=(const LogLines&) = delete;

  // The text of the lines logged so far, in order: all of them, or those of
  // `severity`.
  std::vector<std::string> lines() const;
  std::vector<std::string> lines(google::LogSeverity severity) const;

  using google::LogSink::send;
  void send(google::LogSeverity severity, const char* full_filename,
            const char* base_filename, int line,
            const google::LogMessageTime& time, const char* message,
            size_t message_len) override;

 private:
  struct Line {
    google::LogSeverity severity;
    std::string text;
  };

  const Scope scope_;
  mutable absl::Mutex mu_;
  std::vector<Line> lines_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_LOG_LINES_H_
