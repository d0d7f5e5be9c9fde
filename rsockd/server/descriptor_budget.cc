#include "rsockd/server/descriptor_budget.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace rsockd {

std::string PoolSize::ExplainShrink(int asked_queue) const {
  return absl::StrCat("--queue ", asked_queue, " shrunk to ", queue,
                      ": the open-file limit ", file_limit, " holds ",
                      kProcessDescriptors, " for the process, ", workers,
                      " workers at ", kSessionDescriptors, " each and ", queue,
                      " queued connections");
}

PoolSize PoolForFileLimit(int64_t file_limit, int workers, int queue) {
  const int64_t available =
      std::max<int64_t>(0, file_limit - kProcessDescriptors);
  PoolSize size;
  size.file_limit = file_limit;
  size.workers = workers > 0
                     ? workers
                     : static_cast<int>(std::clamp<int64_t>(
                           available / (kSessionDescriptors + 1), 16, 8192));
  const int64_t left = available - int64_t{size.workers} * kSessionDescriptors;
  size.queue = static_cast<int>(std::clamp<int64_t>(left, 0, queue));
  return size;
}

}  // namespace rsockd
