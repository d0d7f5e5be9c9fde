#include "net/service_names.h"

#include <netdb.h>
#include <netinet/in.h>

#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace rsockd::net {
namespace {

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

}  // namespace rsockd::net
