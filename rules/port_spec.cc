#include "rules/port_spec.h"

#include <array>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "net/service_names.h"
#include "rsockd/base/status_macros.h"

namespace rsockd::rules {
namespace {

struct OpWord {
  absl::string_view word;
  PortSpec::Op op;
};

constexpr std::array<OpWord, 6> kOpWords = {{
    {"eq", PortSpec::Op::kEq},
    {"neq", PortSpec::Op::kNeq},
    {"lt", PortSpec::Op::kLt},
    {"gt", PortSpec::Op::kGt},
    {"le", PortSpec::Op::kLe},
    {"ge", PortSpec::Op::kGe},
}};

}  // namespace

std::optional<PortSpec::Op> PortSpec::ParseOp(absl::string_view word) {
  for (const OpWord& entry : kOpWords) {
    if (entry.word == word) return entry.op;
  }
  return std::nullopt;
}

absl::string_view PortSpec::OpName(Op op) {
  for (const OpWord& entry : kOpWords) {
    if (entry.op == op) return entry.word;
  }
  return "?";
}

absl::StatusOr<uint16_t> PortSpec::ResolvePort(const Token& token) {
  const absl::string_view text = token.text;
  const bool numeric = !text.empty() && text.find_first_not_of("0123456789") ==
                                            absl::string_view::npos;
  if (numeric) {
    int value = 0;
    if (text.size() > 5 || !absl::SimpleAtoi(text, &value) || value > 65535) {
      return TokenError(token, absl::StrCat("port ", Quote(text),
                                            " is out of range 0..65535"));
    }
    return static_cast<uint16_t>(value);
  }
  if (std::optional<uint16_t> port = net::LookUpTcpService(text);
      port.has_value()) {
    return *port;
  }
  return TokenError(token,
                    absl::StrCat("unknown service ", Quote(text),
                                 ": expected a port number 0..65535 or a tcp "
                                 "service name from /etc/services"));
}

absl::StatusOr<PortSpec> PortSpec::Parse(TokenCursor* cursor) {
  const Token& op_token = cursor->Next();
  const std::optional<Op> op = ParseOp(op_token.text);
  if (!op.has_value()) {
    return TokenError(op_token,
                      absl::StrCat("unknown operator ", Quote(op_token.text),
                                   ": expected eq, neq, lt, gt, le or ge"));
  }
  if (cursor->AtEnd()) {
    return TokenError(op_token, absl::StrCat("operator ", Quote(op_token.text),
                                             " needs a port number or "
                                             "service name after it"));
  }
  const absl::StatusOr<uint16_t> port = ResolvePort(cursor->Next());
  if (!port.ok()) return port.status();
  return PortSpec(*op, *port);
}

absl::StatusOr<PortSpec> PortSpec::ParseText(absl::string_view text) {
  absl::StatusOr<Line> line = LexLine(text, 1);
  if (!line.ok()) return line.status();
  if (line->tokens.empty()) {
    return TokenError(Token{"", 1, 1}, "missing port test");
  }
  if (line->command.has_value()) {
    return TokenError(*line->command, "unexpected ':' in a port test");
  }
  TokenCursor cursor(line->tokens);
  absl::StatusOr<PortSpec> spec = Parse(&cursor);
  if (spec.ok() && !cursor.AtEnd()) {
    return TokenError(cursor.Peek(),
                      absl::StrCat("unexpected ", Quote(cursor.Peek().text),
                                   " after the port test"));
  }
  return spec;
}

bool PortSpec::Matches(uint16_t port) const {
  switch (op_) {
    case Op::kEq:
      return port == port_;
    case Op::kNeq:
      return port != port_;
    case Op::kLt:
      return port < port_;
    case Op::kGt:
      return port > port_;
    case Op::kLe:
      return port <= port_;
    case Op::kGe:
      return port >= port_;
  }
  return false;
}

std::string PortSpec::ToString() const {
  return absl::StrCat(OpName(op_), " ", port_);
}

absl::StatusOr<std::optional<PortSpec>> ParsePortTestAndEnd(
    TokenCursor* cursor,
    absl::FunctionRef<absl::Status(const Token&)> misplaced_field) {
  std::optional<PortSpec> port;
  if (!cursor->AtEnd() && PortSpec::IsOperator(cursor->Peek().text)) {
    RSOCKD_ASSIGN_OR_RETURN(port, PortSpec::Parse(cursor));
  }
  if (cursor->AtEnd()) return port;

  const Token& stray = cursor->Peek();
  RSOCKD_RETURN_IF_ERROR(misplaced_field(stray));
  if (port.has_value()) {
    if (PortSpec::IsOperator(stray.text)) {
      return TokenError(
          stray, absl::StrCat("duplicated port test ", Quote(stray.text)));
    }
    return TokenError(stray, absl::StrCat("unexpected ", Quote(stray.text),
                                          " after the port test"));
  }
  return TokenError(stray,
                    absl::StrCat("unexpected ", Quote(stray.text),
                                 " after the destination address: expected "
                                 "a port test (eq, neq, lt, gt, le, ge), "
                                 "':' or the end of the line"));
}

}  // namespace rsockd::rules
