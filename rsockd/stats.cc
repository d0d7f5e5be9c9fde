#include "rsockd/stats.h"

#include "absl/strings/str_cat.h"

namespace rsockd {

std::string Stats::ToString() const {
  auto get = [](const auto& counter) {
    return counter.load(std::memory_order_relaxed);
  };
  return absl::StrCat(
      "sessions open=", get(sessions_open), " total=", get(sessions_total),
      " accepted=", get(accepted), " overloaded=", get(overloaded),
      " bad_requests=", get(bad_requests),
      " bytes_from_clients=", get(bytes_from_clients),
      " bytes_from_destinations=", get(bytes_from_destinations),
      " replies 90=", get(replies[0]), " 91=", get(replies[1]),
      " 92=", get(replies[2]), " 93=", get(replies[3]));
}

}  // namespace rsockd
