#include "rules/user_list.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "rsockd/base/files.h"

namespace rsockd::rules {
namespace {

bool IsFileSeparator(char c) {
  return c == ' ' || c == '\t' || c == ',' || c == '\n' || c == '\r' ||
         c == '\v' || c == '\f';
}

// Adds the user ids of a user file's contents to `users`.
void AddUsersFromFile(absl::string_view contents,
                      absl::flat_hash_set<std::string>* users) {
  size_t i = 0;
  while (i < contents.size()) {
    const char c = contents[i];
    if (IsFileSeparator(c)) {
      ++i;
    } else if (c == '#') {
      const size_t newline = contents.find('\n', i);
      i = newline == absl::string_view::npos ? contents.size() : newline;
    } else {
      const size_t start = i;
      while (i < contents.size() && !IsFileSeparator(contents[i]) &&
             contents[i] != '#') {
        ++i;
      }
      users->emplace(contents.substr(start, i - start));
    }
  }
}

}  // namespace

absl::StatusOr<UserList> UserList::Parse(const Token& list) {
  UserList result;
  if (list.text.empty()) return result;
  size_t start = 0;
  while (true) {
    size_t end = list.text.find(',', start);
    if (end == std::string::npos) end = list.text.size();
    const Token item{list.text.substr(start, end - start), list.line,
                     list.column + static_cast<int>(start)};
    if (item.text.empty()) {
      return TokenError(
          item, absl::StrCat("empty item in user list ", Quote(list.text)));
    }
    if (item.text[0] == '/') {
      absl::StatusOr<std::string> contents =
          ReadFile(item.text, kMaxUserFileSize);
      if (!contents.ok()) {
        return TokenError(
            item, absl::StrCat("user file: ", contents.status().message()));
      }
      AddUsersFromFile(*contents, &result.users_);
    } else {
      result.users_.insert(item.text);
    }
    result.items_.push_back(item.text);
    if (end == list.text.size()) break;
    start = end + 1;
  }
  return result;
}

absl::StatusOr<UserList> UserList::FromParts(
    std::vector<std::string> items, absl::flat_hash_set<std::string> users) {
  bool has_file = false;
  for (const std::string& item : items) {
    // What the lexer and Parse() could have made of one `*=` token.
    if (item.empty() ||
        item.find_first_of(",# \t\n\r\v\f") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid user list item ", Quote(item)));
    }
    if (item[0] == '/') {
      has_file = true;
    } else if (!users.contains(item)) {
      return absl::InvalidArgumentError(
          absl::StrCat("user list item ", Quote(item),
                       " is missing from the list's user ids"));
    }
  }
  for (const std::string& user : users) {
    // What AddUsersFromFile() could have read from a user file.
    bool valid = !user.empty() && user.find('#') == std::string::npos;
    for (char c : user) valid = valid && !IsFileSeparator(c);
    if (!valid) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid user id ", Quote(user)));
    }
  }
  // Without a file, the users are exactly the inline items (which may repeat:
  // "*=a,a" names one user).
  if (!has_file) {
    const absl::flat_hash_set<std::string> named(items.begin(), items.end());
    if (named.size() != users.size()) {
      return absl::InvalidArgumentError(
          "user ids that no item of the list names");
    }
  }
  UserList list;
  list.items_ = std::move(items);
  list.users_ = std::move(users);
  return list;
}

std::string UserList::ToString() const {
  return absl::StrCat("*=", absl::StrJoin(items_, ","));
}

}  // namespace rsockd::rules
