#include "testing/log_lines.h"

namespace rsockd::testing {

LogLines::LogLines(Scope scope) : scope_(scope) {
  if (scope_ == Scope::kAll) google::AddLogSink(this);
}

LogLines::~LogLines() {
  if (scope_ == Scope::kAll) google::RemoveLogSink(this);
}

void LogLines::send(google::LogSeverity severity, const char* full_filename,
                    const char* base_filename, int line,
                    const google::LogMessageTime& time, const char* message,
                    size_t message_len) {
  absl::MutexLock lock(&mu_);
  lines_.emplace_back(message, message_len);
}

std::vector<std::string> LogLines::lines() const {
  absl::MutexLock lock(&mu_);
  return lines_;
}

}  // namespace rsockd::testing
