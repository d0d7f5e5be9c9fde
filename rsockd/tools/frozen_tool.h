// This file defines `RunFrozenTool()`, the six frozen-file tools
// (docs/frozen_files.md#tools) as one function parametrised by the tool's name,
// so that they share one implementation and differ only in the kind of file:
//
//   make_sockdfc [in [out]]   parse a sockd.conf  (/etc/sockd.conf)  and
//                             write it frozen     (/etc/sockd.fc)
//   make_socksfc [in [out]]   socks.conf  (/etc/socks.conf)  -> /etc/socks.fc
//   make_sockdfr [in [out]]   sockd.route (/etc/sockd.route) -> /etc/sockd.fr
//   dump_sockdfc [in]         print a frozen sockd.conf (/etc/sockd.fc) as
//                             normalized text that parses back to its rules
//   dump_socksfc [in]         /etc/socks.fc
//   dump_sockdfr [in]         /etc/sockd.fr
//
// `make_*` with only `in` writes the frozen file beside it, where rsockd
// looks for it (rules/frozen_path.h): `make_sockdfc /srv/a.conf` writes
// /srv/a.fc. It uses the same parser as the server; on a parse error it
// prints every error (`file:line:col: message`), writes nothing and exits 1.
// The output is written atomically (rsockd/base/files.h) with the permission
// bits of the input, so rsockd reloading at the same moment reads the old
// file or the new one, and a private config stays private.
//
// Exit status: 0 done, 1 the file could not be read, parsed, thawed or
// written, 2 usage.

#ifndef RSOCKD_RSOCKD_TOOLS_FROZEN_TOOL_H_
#define RSOCKD_RSOCKD_TOOLS_FROZEN_TOOL_H_

#include <ostream>

#include "absl/strings/string_view.h"

namespace rsockd {

// RunFrozenTool()
//
// Runs the tool named `tool` ("make_sockdfc", ...) with the command line
// `argc`/`argv` (argv[0] is ignored), writing its output and messages to
// `out` and `err`; returns the exit status. An unknown tool name is a usage
// error.
int RunFrozenTool(absl::string_view tool, int argc, const char* const* argv,
                  std::ostream& out, std::ostream& err);

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_TOOLS_FROZEN_TOOL_H_
