#include "testing/log_lines.h"

namespace rsockd::testing {

LogLines::LogLines(Scope scope) : scope_(scope) {
  if (scope_ == Scope::kAll) google::AddLogSink(this);
}

LogLines::~LogLines() {
  if (scope_ == Scope::kAll) google::RemoveLogSink(this);
}

std::vector<std::string> LogLines::lines() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> texts;
  for (const Line& line : lines_) texts.push_back(line.text);
  return texts;
}

std::vector<std::string> LogLines::lines(google::LogSeverity severity) const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> texts;
  for (const Line& line : lines_) {
    if (line.severity == severity) texts.push_back(line.text);
  }
  return texts;
}

void LogLines::send(google::LogSeverity severity, const char* full_filename,
                    const char* base_filename, int line,
                    const google::LogMessageTime& time, const char* message,
                    size_t message_len) {
  absl::MutexLock lock(&mu_);
  lines_.push_back({severity, std::string(message, message_len)});
}

}  // namespace rsockd::testing
