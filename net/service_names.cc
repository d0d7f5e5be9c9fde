#include "net/service_names.h"

#include <netdb.h>
#include <netinet/in.h>

#include <cerrno>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace rsockd::net {
namespace {

// Longest service name tried; longer names cannot be in the database and
// are not worth a lookup.
constexpr size_t kMaxServiceName = 256;

using ServiceTable = absl::flat_hash_map<uint16_t, std::string>;

const ServiceTable& Table() {
  // Built by the first caller; C++ guarantees the others wait for it.
  static const ServiceTable* const table = [] {
    auto* names = new ServiceTable;
    servent entry;
    servent* result = nullptr;
    char buffer[4096];
    setservent(/*stayopen=*/1);
    while (getservent_r(&entry, buffer, sizeof(buffer), &result) == 0 &&
           result != nullptr) {
      // The first tcp entry of a port wins, as with getservbyport(3).
      if (std::string_view(result->s_proto) == "tcp") {
        names->try_emplace(ntohs(static_cast<uint16_t>(result->s_port)),
                           result->s_name);
      }
    }
    endservent();
    return names;
  }();
  return *table;
}

}  // namespace

std::string ServiceName(uint16_t port) {
  const ServiceTable& table = Table();
  if (auto it = table.find(port); it != table.end()) return it->second;
  return absl::StrCat(port);
}

std::optional<uint16_t> LookUpTcpService(absl::string_view name) {
  if (name.empty() || name.size() > kMaxServiceName) return std::nullopt;
  const std::string name_string(name);
  // getservbyname_r needs a caller-provided buffer; ERANGE means it was too
  // small.
  std::vector<char> buffer(1024);
  while (true) {
    servent entry;
    servent* result = nullptr;
    const int error = getservbyname_r(name_string.c_str(), "tcp", &entry,
                                      buffer.data(), buffer.size(), &result);
    if (error == ERANGE && buffer.size() < (1u << 20)) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (error != 0 || result == nullptr) return std::nullopt;
    return ntohs(static_cast<uint16_t>(result->s_port));
  }
}

}  // namespace rsockd::net
