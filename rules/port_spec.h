// This file defines `PortSpec`, the optional port test of a rule
// (docs/sockd_conf.md#grammar): an operator and a port, as in `eq telnet` or
// `lt 1024`.
//
//   op   := eq | neq | lt | gt | le | ge      (lower case, as in classic sockd)
//   port := decimal 0..65535 | a tcp service name from /etc/services
//
// Service names are looked up once, when the rule is parsed, with the
// thread-safe getservbyname_r(3); the spec stores only the number, and
// `ToString()` prints the number so that a dump does not depend on the
// services database of the machine that reads it back.
//
// PortSpec is a small regular value: copyable, comparable, thread-safe to
// share once built.

#ifndef RSOCKD_RULES_PORT_SPEC_H_
#define RSOCKD_RULES_PORT_SPEC_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rules/lexer.h"

namespace rsockd::rules {

class PortSpec {
 public:
  enum class Op { kEq, kNeq, kLt, kGt, kLe, kGe };

  PortSpec(Op op, uint16_t port) : op_(op), port_(port) {}

  // Parses an operator word ("eq", ...); nullopt for anything else.
  static std::optional<Op> ParseOp(absl::string_view word);
  // True when `word` is one of the operator words.
  static bool IsOperator(absl::string_view word) {
    return ParseOp(word).has_value();
  }
  static absl::string_view OpName(Op op);

  // Resolves a port token: a decimal number 0..65535, else a tcp service
  // name. The error message is "line:col: ..." located at `token`.
  static absl::StatusOr<uint16_t> ResolvePort(const Token& token);

  // Parse()
  //
  // Reads `op port` at `cursor` and moves past both tokens. Errors: an
  // unknown operator, a missing port after the operator (a dangling
  // operator), a port out of range, an unknown service. Requires
  // !cursor->AtEnd().
  static absl::StatusOr<PortSpec> Parse(TokenCursor* cursor);

  // Parses a spec from text such as "eq telnet" (tools and tests); the whole
  // text must be one spec.
  static absl::StatusOr<PortSpec> ParseText(absl::string_view text);

  Op op() const { return op_; }
  uint16_t port() const { return port_; }

  // Whether `port` passes the test: `port <op> this->port()`.
  bool Matches(uint16_t port) const;

  // "eq 23": normalized text that parses back to an equal spec.
  std::string ToString() const;

  friend bool operator==(const PortSpec&, const PortSpec&) = default;

 private:
  Op op_;
  uint16_t port_;
};

// ParsePortTestAndEnd()
//
// Reads the end of a sockd.conf or socks.conf rule, after its destination
// address: an optional port test (`PortSpec::Parse`), then no more tokens.
// Returns the port test, nullopt when there is none. For a token left over,
// the error is `misplaced_field(token)` when that is not OK (a field of the
// caller's grammar, such as `*=`, written after the address); else it says
// what the token is doing there: a second port test, or a word after the
// port test or after the destination address.
absl::StatusOr<std::optional<PortSpec>> ParsePortTestAndEnd(
    TokenCursor* cursor,
    absl::FunctionRef<absl::Status(const Token&)> misplaced_field);

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_PORT_SPEC_H_
