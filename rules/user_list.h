// This file defines `UserList`, the `*=` field of a rule
// (docs/sockd_conf.md#grammar): which claimed user ids (the SOCKS4 USERID) a
// line applies to.
//
//   *=                       every user (an empty list)
//   *=bonnie,clyde           exactly these ids (case-sensitive)
//   *=ylee,/etc/socks.users  ids listed inline and in a file
//
// An item starting with '/' names a file of user ids separated by blanks,
// tabs, commas or newlines; '#' starts a comment that runs to the end of the
// file's line. The file is read when the list is parsed, that is when the
// rule snapshot is built; an unreadable file is a config error. A list whose
// items name only files that hold no ids matches nobody (it is not the empty
// list).
//
// UserList is a regular value: copyable, comparable, thread-safe to share
// once built.

#ifndef RSOCKD_RULES_USER_LIST_H_
#define RSOCKD_RULES_USER_LIST_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rules/lexer.h"

namespace rsockd::rules {

// Largest user file read, in bytes.
inline constexpr size_t kMaxUserFileSize = 16 << 20;

class UserList {
 public:
  // The empty list: matches every user.
  UserList() = default;

  // Parse()
  //
  // Parses the items of a list: `list.text` is what follows `*=`, and
  // `list.column` is where that text starts (so errors point at the item).
  // Errors: an empty item ("a,,b"), an unreadable or oversized user file
  // (located at its item), "line:col: ..." as in lexer.h.
  static absl::StatusOr<UserList> Parse(const Token& list);

  // FromParts()
  //
  // Rebuilds a list from what `items()` and `users()` gave, without reading
  // any file: frozen files (frozen_specs.h) keep the user ids that the
  // `/file` items held when the file was frozen. Fails (InvalidArgument)
  // unless the result is a list `Parse` could have produced: items non-empty
  // and free of ',', blanks and '#'; user ids non-empty and free of the
  // user-file separators and '#'; every inline item among the users; and,
  // when no item is a file, no other users.
  static absl::StatusOr<UserList> FromParts(
      std::vector<std::string> items, absl::flat_hash_set<std::string> users);

  // True for the empty list, which matches every user.
  bool matches_everyone() const { return items_.empty(); }
  // The items as written: user ids and /file paths.
  const std::vector<std::string>& items() const { return items_; }
  // Every user id named, inline or in a file.
  const absl::flat_hash_set<std::string>& users() const { return users_; }

  // Whether `user` is in the list: exact, case-sensitive comparison.
  bool Matches(absl::string_view user) const {
    return matches_everyone() || users_.contains(user);
  }

  // "*=" followed by the items as written, comma-separated ("*=a,/f").
  std::string ToString() const;

  friend bool operator==(const UserList&, const UserList&) = default;

 private:
  std::vector<std::string> items_;
  absl::flat_hash_set<std::string> users_;
};

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_USER_LIST_H_
