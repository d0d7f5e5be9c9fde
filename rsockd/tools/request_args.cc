#include "rsockd/tools/request_args.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "rules/lexer.h"
#include "rules/port_spec.h"

namespace rsockd {

absl::StatusOr<RequestArgs> ParseRequestArgs(
    const std::vector<std::string>& args, bool with_source) {
  if (args.size() != (with_source ? 4u : 3u)) {
    return absl::InvalidArgumentError(
        with_source ? "expected user src_addr dst_addr port"
                    : "expected user dst_addr port");
  }
  RequestArgs request;
  auto next = args.begin();
  request.user = *next++;
  if (with_source) request.source = *next++;
  request.destination = *next++;
  const std::string& service = *next;
  absl::StatusOr<uint16_t> port =
      rules::PortSpec::ResolvePort(rules::Token{service, 0, 0});
  if (!port.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad port or service: ", service));
  }
  request.port = *port;
  return request;
}

int UsageError(absl::string_view tool, absl::string_view problem,
               absl::string_view usage) {
  if (!problem.empty()) std::cerr << tool << ": " << problem << "\n";
  std::cerr << usage;
  return kToolError;
}

int ToolError(const absl::Status& status) {
  std::cerr << status.message() << "\n";
  return kToolError;
}

}  // namespace rsockd
