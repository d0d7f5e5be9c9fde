// This file defines `PasswordFile`, the users and password hashes of
// --password_file that SOCKS5 username/password authentication (RFC 1929)
// checks against (docs/socks5.md, "Username/password"), and
// `PasswordVerifier`, what checks a password against one hash: the system's
// crypt(3), or a stand-in in tests.
//
// Format: one `user:hash` per line, as `htpasswd -nB` prints it; blank
// lines, and comments from '#' to the end of the line, are ignored. The
// lexical rules are those of the rule files (lexer.h): blanks around the
// line are ignored, a line holds at most `kMaxLineLength` bytes, a user name
// cannot hold a blank or a '#'.
//
//   # mkpasswd -m yescrypt (Debian package whois)
//   alice:$y$j9T$foXcy0FQq1ITB99QAs/F6/$sP4jxMaLhr.jqiVkMGW.lqOhWyis8UPxXwiyG46mzJ9
//   # htpasswd -nbB bob secret (apache2-utils)
//   bob:$2y$05$T0bPMibLlvXpZxGhNcVTsuSllZWysfEZ7WPyzXrK6tmUwrMQ9e/1K
//
// The hash is anything the system's crypt(3) can verify: yescrypt `$y$`,
// SHA-512 `$6$`, bcrypt `$2b$`/`$2y$`, and the older kinds libxcrypt still
// knows. A user name is 1 to 255 bytes (RFC 1929), without control
// characters.
//
// Errors
//
// Every bad line is reported, "file:line:col: message" as for the rule files
// (rule_lines.h, `FileErrors`), and one rejects the whole file: a missing
// ':', an empty or over-long user name, a user named twice (at the second),
// an empty hash, and a hash crypt(3) could never match (at the hash) — an
// unknown method, bad parameters, a hash cut short or a password written in
// clear. Messages never quote a hash.
//
// Checking a password
//
// `Verify()` takes the same work whether the user exists or not: a user the
// file does not name is checked against the first user's hash, and the
// answer ignored, so the time a check takes does not tell who has an
// account. (Keep one kind of hash in a file: a yescrypt check takes far
// longer than a bcrypt one at the usual costs.) The password is never
// copied but into crypt(3)'s working memory, which is wiped before it is
// freed, and never logged.
//
// Cost: crypt(3) is slow on purpose. Loading a file checks each hash once
// (each line costs a login's worth of CPU: ~20 ms for yescrypt at mkpasswd's
// default cost, ~2 ms for bcrypt at cost 5), and each Verify runs it once.
//
// Thread-safety: a PasswordFile is immutable once built; Verify may be
// called from any number of threads at once. The verifier must be too.

#ifndef RSOCKD_RULES_PASSWORD_FILE_H_
#define RSOCKD_RULES_PASSWORD_FILE_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rsockd::rules {

// Largest password file read, in bytes.
inline constexpr size_t kMaxPasswordFileSize = 16 << 20;
// The longest user name RFC 1929 can carry.
inline constexpr size_t kMaxUserNameLength = 255;

// PasswordVerifier
//
// Checks passwords against stored hashes. Implementations are thread-safe.
class PasswordVerifier {
 public:
  virtual ~PasswordVerifier() = default;

  // CheckHash()
  //
  // OK when `hash` is one that Matches() can ever accept; otherwise
  // InvalidArgument saying why, without quoting the hash (it goes to logs).
  virtual absl::Status CheckHash(absl::string_view hash) const = 0;

  // Matches()
  //
  // Whether `password` is the one `hash` (which passed CheckHash) was made
  // from. The comparison takes time independent of where the results
  // differ. A password holding a NUL byte never matches: crypt(3) would stop
  // reading it there, so "secret\0anything" would pass as "secret".
  virtual bool Matches(absl::string_view password,
                       absl::string_view hash) const = 0;
};

// SystemCrypt()
//
// The system's crypt(3): libxcrypt's crypt_r, with its 32 KiB of working
// memory on the heap (not on a worker's small stack) for each call, wiped
// before it is freed. Lives for the whole process.
const PasswordVerifier& SystemCrypt();

// PasswordFile
//
// A parsed password file. Copyable; the verifier it was built with must
// outlive it and its copies (SystemCrypt() lives for the whole process).
class PasswordFile {
 public:
  // Parse()
  //
  // Parses `text` as the file `filename` (for error messages), checking
  // every hash with `verifier`. Errors: see the file comment.
  static absl::StatusOr<PasswordFile> Parse(
      absl::string_view text, absl::string_view filename,
      const PasswordVerifier& verifier = SystemCrypt());

  // Load()
  //
  // Reads `path` (at most kMaxPasswordFileSize bytes; an unreadable file is
  // an error naming it: rsockd/base/files.h) and parses it.
  static absl::StatusOr<PasswordFile> Load(
      const std::string& path,
      const PasswordVerifier& verifier = SystemCrypt());

  // Verify()
  //
  // Whether `user` is in the file and `password` matches its hash. Always
  // exactly one check with the verifier when the file names any user (see
  // "Checking a password" above); `password` is not kept.
  bool Verify(absl::string_view user, absl::string_view password) const;

  const std::string& filename() const { return filename_; }
  // The user names, in file order.
  std::vector<std::string> users() const;

 private:
  struct Entry {
    std::string user;
    std::string hash;
    int line = 0;  // 1-based
  };

  PasswordFile(std::string filename, const PasswordVerifier& verifier)
      : filename_(std::move(filename)), verifier_(&verifier) {}

  std::string filename_;
  const PasswordVerifier* verifier_;
  // In file order; entries_[0] also stands in for users not in the file.
  std::vector<Entry> entries_;
  // User name -> index into entries_.
  absl::flat_hash_map<std::string, size_t> index_;
};

// FormatPasswordFile()
//
// What --check_config prints for `file`: "user:***" for each user, in file
// order, each line ending in '\n'. Hashes are never printed.
std::string FormatPasswordFile(const PasswordFile& file);

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_PASSWORD_FILE_H_
