#include "rsockd/config.h"

#include <sys/stat.h>

#include <utility>

#include "glog/logging.h"
#include "rules/sockd_conf.h"

namespace rsockd {
namespace {

bool Exists(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const rules::RuleSet>> LoadRuleSet(
    const ConfigPaths& paths) {
  absl::StatusOr<rules::SockdConf> access;
  if (!paths.sockd_conf_explicit && !Exists(paths.sockd_conf)) {
    LOG(INFO) << paths.sockd_conf
              << " does not exist; using the embedded default access rules "
                 "(loopback clients only)";
    access = rules::ParseSockdConf(rules::kEmbeddedSockdConf,
                                   "<embedded sockd.conf>");
  } else {
    access = rules::LoadSockdConf(paths.sockd_conf);
  }
  if (!access.ok()) return access.status();
  return std::make_shared<const rules::RuleSet>(*std::move(access));
}

}  // namespace rsockd
