// This file defines how outside text goes into a request-log line
// (docs/operations.md, "The request log"): `EscapeLogField` for one field,
// `PrintableLine` for a whole line.
//
// The request log is read by people and by scripts, so its lines must stay
// parseable: `connected -- Connect from USER(IDENT)@CLIENT to DEST (SERVICE)`
// has fields that come from strangers — the claimed user id, identd's
// answer, a SOCKS4A host name — and a user id such as
// `ceo(ceo)@10.20.30.40 to payroll` must not make a line read as another
// request. So each such field is escaped: every byte other than an ASCII
// letter, digit or one of `- . _ ~ + = : , / ! $ * & ? ^` becomes `%HH`
// (upper-case hex), '%' itself included, as in a URL. Blanks, parentheses,
// '@', brackets and quotes can then never appear inside a field, and the
// original bytes can be recovered exactly.
//
//   EscapeLogField("ceo(ceo)@10.20.30.40 to payroll")
//       == "ceo%28ceo%29%4010.20.30.40%20to%20payroll"
//
// Pure functions: thread-safe.

#ifndef RSOCKD_RSOCKD_SERVER_LOG_FIELD_H_
#define RSOCKD_RSOCKD_SERVER_LOG_FIELD_H_

#include <string>

#include "absl/strings/string_view.h"

namespace rsockd {

// EscapeLogField()
//
// `value` with every byte outside the set above written as `%HH`.
std::string EscapeLogField(absl::string_view value);

// PrintableLine()
//
// `line` with every byte outside printable ASCII replaced by '?': the last
// guard for text that is not a field (an error message that quotes what a
// peer sent), so that no line can end early and start a forged one.
std::string PrintableLine(absl::string_view line);

}  // namespace rsockd

#endif  // RSOCKD_RSOCKD_SERVER_LOG_FIELD_H_
