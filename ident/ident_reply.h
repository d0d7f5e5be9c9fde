// This file defines `ParseIdentReply`, the parser for one line of an RFC 1413
// identd reply.
//
// Grammar (RFC 1413 §6; blanks are spaces and tabs, allowed around every
// token; the line may end with "\r\n", "\n" or nothing):
//
//   reply   = ports ":" "USERID" ":" opsys [ "," charset ] ":" user-id
//           | ports ":" "ERROR" ":" error-type
//   ports   = client-port "," server-port      ; decimal, 0..65535
//
// e.g. "6193, 23 : USERID : UNIX : stjohns" or "6195, 23 : ERROR : NO-USER".
// The keywords are case-insensitive; any opsys (UNIX, OTHER, ...) and any
// charset (US-ASCII, OCTET, ...) are accepted. The user id is everything
// after the third colon (so it may itself contain ':'), trimmed of
// surrounding blanks.
//
// Thread-safe: a pure function.

#ifndef RSOCKD_IDENT_IDENT_REPLY_H_
#define RSOCKD_IDENT_IDENT_REPLY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rsockd::ident {

// ParseIdentReply()
//
// Parses `line`, the reply to the query "`client_port` , `server_port`".
// Returns the user id of a USERID reply whose ports match the query.
// Otherwise an error whose message says why:
//   NotFound         the identd answered ERROR ("identd replied ERROR :
//                    NO-USER").
//   InvalidArgument  "ports 1,2 do not match 3,4", "malformed reply ..."
//                    (with the offending line, C-escaped and truncated), or
//                    "empty user id".
// Never crashes on any input; messages never contain raw control bytes.
absl::StatusOr<std::string> ParseIdentReply(absl::string_view line,
                                            uint16_t client_port,
                                            uint16_t server_port);

}  // namespace rsockd::ident

#endif  // RSOCKD_IDENT_IDENT_REPLY_H_
