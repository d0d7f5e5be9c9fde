// This file defines what test_sockd_conf and test_socks_conf share of their
// command lines (test_sockd_conf(8), docs/socks_conf.md#test_socks_conf):
// the made-up request of the positional arguments,
//
//   user [src_addr] dst_addr {service|port}
//
// (src_addr only for test_sockd_conf), and how both end on a usage or
// configuration error: the message on stderr and exit status 2.
//
// Example:
//
//   absl::StatusOr<RequestArgs> args = ParseRequestArgs(
//       std::vector<std::string>(argv + optind, argv + argc),
//       /*with_source=*/false);
//   if (!args.ok()) {
//     return UsageError("test_socks_conf", args.status().message(), kUsage);
//   }

#ifndef RSOCKD_RSOCKD_TOOLS_REQUEST_ARGS_H_
#define RSOCKD_RSOCKD_TOOLS_REQUEST_ARGS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rsockd {

// The exit status of both tools for a usage or configuration error.
inline constexpr int kToolError = 2;

// The request of the positional arguments, as given.
struct RequestArgs {
  std::string user;
  // src_addr: an address or a name; empty without `with_source`.
  std::string source;
  // dst_addr: an address, or a name judged as a SOCKS4A request for it.
  std::string destination;
  // {service|port}: a number, or a tcp service name resolved here.
  uint16_t port = 0;
};

// Parses `args`, exactly the positional arguments, src_addr among them when
// `with_source`. InvalidArgument, with the problem for the usage message,
// when their number is wrong or the port is neither a number nor a service
// name.
absl::StatusOr<RequestArgs> ParseRequestArgs(
    const std::vector<std::string>& args, bool with_source);

// Prints "`tool`: `problem`" (when there is a problem) and `usage` to stderr;
// returns kToolError.
int UsageError(absl::string_view tool, absl::string_view problem,
               absl::string_view usage);

// Prints the message of `status` (a configuration file that cannot be read,
// a resolver that cannot start) to stderr; returns kToolError.
int ToolError(const absl::Status& status);

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_TOOLS_REQUEST_ARGS_H_
