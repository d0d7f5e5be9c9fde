#include "rsockd/server/upstream_health.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace rsockd {

std::vector<const rules::UpstreamServer*> UpstreamHealth::Order(
    absl::Span<const rules::UpstreamServer> servers, absl::Duration retry_after,
    absl::Time now) const {
  std::vector<const rules::UpstreamServer*> up;
  std::vector<const rules::UpstreamServer*> down;
  up.reserve(servers.size());
  {
    absl::MutexLock lock(&mu_);
    for (const rules::UpstreamServer& server : servers) {
      const auto it = last_fault_.find(server.ToString());
      const bool is_down =
          it != last_fault_.end() && now - it->second < retry_after;
      (is_down ? down : up).push_back(&server);
    }
  }
  up.insert(up.end(), down.begin(), down.end());
  return up;
}

void UpstreamHealth::MarkDown(const rules::UpstreamServer& server,
                              absl::Time now) {
  absl::MutexLock lock(&mu_);
  last_fault_[server.ToString()] = now;
}

void UpstreamHealth::MarkUp(const rules::UpstreamServer& server) {
  const std::string key = server.ToString();
  absl::MutexLock lock(&mu_);
  last_fault_.erase(key);
}

std::vector<std::string> UpstreamHealth::DownServers(absl::Duration retry_after,
                                                     absl::Time now) const {
  std::vector<std::pair<std::string, absl::Time>> down;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, fault] : last_fault_) {
      if (now - fault < retry_after) down.emplace_back(name, fault);
    }
  }
  std::sort(down.begin(), down.end());
  std::vector<std::string> lines;
  lines.reserve(down.size());
  for (const auto& [name, fault] : down) {
    lines.push_back(absl::StrCat(
        name, " down ",
        absl::FormatDuration(absl::Trunc(now - fault, absl::Seconds(1))),
        " ago"));
  }
  return lines;
}

}  // namespace rsockd
