#include "rules/rule_fields.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rsockd/base/status_macros.h"

namespace rsockd::rules {

RuleFields::RuleFields(std::initializer_list<absl::string_view> names) {
  for (absl::string_view name : names) fields_.emplace_back(name, std::nullopt);
}

const std::pair<absl::string_view, std::optional<Token>>* RuleFields::Find(
    const Token& token) const {
  for (const auto& field : fields_) {
    if (absl::StartsWith(token.text, field.first)) return &field;
  }
  return nullptr;
}

bool RuleFields::IsField(const Token& token) const {
  return Find(token) != nullptr;
}

void RuleFields::Give(absl::string_view name, const Token& token) {
  for (auto& field : fields_) {
    if (field.first == name) field.second = token;
  }
}

absl::Status RuleFields::CheckNotGiven(const Token& token) const {
  const auto* field = Find(token);
  if (field == nullptr || !field->second.has_value()) return absl::OkStatus();
  return TokenError(
      token, absl::StrCat("duplicated field ", Quote(field->first),
                          " (first at column ", field->second->column, ")"));
}

absl::Status RuleFields::Misplaced(const Token& token,
                                   absl::string_view place) {
  return TokenError(token, absl::StrCat("field ", Quote(token.text),
                                        " must come before ", place));
}

absl::Status RuleFields::Parse(
    TokenCursor* cursor,
    absl::FunctionRef<absl::Status(absl::string_view name, const Token& field,
                                   const Token& value)>
        parse) {
  while (!cursor->AtEnd() && IsField(cursor->Peek())) {
    const Token& token = cursor->Next();
    RSOCKD_RETURN_IF_ERROR(CheckNotGiven(token));
    const absl::string_view name = Find(token)->first;
    Give(name, token);
    const Token value{token.text.substr(name.size()), token.line,
                      token.column + static_cast<int>(name.size())};
    RSOCKD_RETURN_IF_ERROR(parse(name, token, value));
  }
  return absl::OkStatus();
}

}  // namespace rsockd::rules
