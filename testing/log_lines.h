// This file defines `LogLines`, a glog sink that keeps the lines it is
// given (the message, without glog's prefix), for tests that check what was
// logged:
//
//   LogLines log;                                  // every line from now on
//   LogLines request_log(LogLines::Scope::kOwn);   // only the lines sent to
//                                                  // it (LOG_TO_SINK)
//   ...
//   EXPECT_THAT(log.lines(), Contains("SIGHUP: reloaded"));
//
// Thread-safe: glog may call it from any thread.

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
    // Only the lines code sends to this sink itself.
    kOwn,
  };

  explicit LogLines(Scope scope = Scope::kAll);
  ~LogLines() override;

  LogLines(const LogLines&) = delete;
  LogLines& operator=(const LogLines&) = delete;

  using google::LogSink::send;
  void send(google::LogSeverity severity, const char* full_filename,
            const char* base_filename, int line,
            const google::LogMessageTime& time, const char* message,
            size_t message_len) override;

  // The lines so far, in the order they came.
  std::vector<std::string> lines() const;

 private:
  const Scope scope_;
  mutable absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
};

}  // namespace rsockd::testing

#endif  // RSOCKD_TESTING_LOG_LINES_H_
