#include "rules/password_file.h"

#include <crypt.h>
#include <string.h>

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rsockd/base/files.h"
#include "rsockd/base/status_macros.h"
#include "rules/lexer.h"
#include "rules/rule_lines.h"

namespace rsockd::rules {
namespace {

// What CheckHash hashes to see what crypt(3) makes of a hash: any phrase
// does, only the shape of the result counts.
constexpr char kProbePassword[] = "rsockd: is this a hash?";

// Equality of two byte strings in a time that depends on their length only,
// not on where they differ. The lengths are not secret: the length of a
// crypt(3) result is fixed by the hash it was made with.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  // volatile: the compiler must not stop at the first difference.
  volatile unsigned char differences = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    differences = differences | static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return differences == 0;
}

// crypt_r's working memory, which holds the phrase and what was derived
// from it: wiped before it is freed.
struct WipeCryptData {
  void operator()(crypt_data* data) const {
    explicit_bzero(data, sizeof(*data));
    delete data;
  }
};
using CryptData = std::unique_ptr<crypt_data, WipeCryptData>;

// Runs crypt_r(`phrase`, `setting`) in `data` (zeroed, as crypt_r wants it
// on first use), with both strings copied into the fields crypt_r provides
// for them. Returns the result, which lives in `data`, or nullptr when
// crypt(3) refuses the setting (it returns a string starting with '*') or
// either string cannot be passed to it whole.
const char* Crypt(absl::string_view phrase, absl::string_view setting,
                  crypt_data& data) {
  if (phrase.size() >= sizeof(data.input) ||
      setting.size() >= sizeof(data.setting) ||
      phrase.find('\0') != absl::string_view::npos ||
      setting.find('\0') != absl::string_view::npos) {
    return nullptr;
  }
  memcpy(data.input, phrase.data(), phrase.size());
  data.input[phrase.size()] = '\0';
  memcpy(data.setting, setting.data(), setting.size());
  data.setting[setting.size()] = '\0';
  const char* result = crypt_r(data.input, data.setting, &data);
  if (result == nullptr || result[0] == '*') return nullptr;
  return result;
}

class CryptVerifier : public PasswordVerifier {
 public:
  absl::Status CheckHash(absl::string_view hash) const override {
    const CryptData data(new crypt_data());
    const char* result = Crypt(kProbePassword, hash, *data);
    if (result == nullptr) {
      return absl::InvalidArgumentError(
          "not a hash crypt(3) can check: unknown method or bad parameters "
          "(make one with mkpasswd -m yescrypt, or htpasswd -nB)");
    }
    // crypt(3) reads the method, the parameters and the salt from the
    // front of the hash and ignores the rest, so a hash cut short, or a
    // password written in clear, still gives a result; but never one of
    // the same length, and only a result of the same length can match.
    const size_t length = strlen(result);
    if (length != hash.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("not a whole crypt(3) hash: ", hash.size(),
                       " bytes, where a hash of this kind has ", length,
                       " (a password written in clear, or a hash cut short?)"));
    }
    return absl::OkStatus();
  }

  bool Matches(absl::string_view password,
               absl::string_view hash) const override {
    const CryptData data(new crypt_data());
    const char* result = Crypt(password, hash, *data);
    return result != nullptr && ConstantTimeEquals(result, hash);
  }
};

bool IsControl(char c) {
  return static_cast<unsigned char>(c) < 0x20 || c == '\x7f';
}

// The one `user:hash` of a line that is not blank or a comment; `user` and
// `hash` of the result are located tokens for the caller's messages.
struct ParsedLine {
  Token user;
  Token hash;
};

// The column of a ':' with a blank beside it, where `user:hash` was meant
// ("alice : hash", "alice: hash", "alice :hash"); 0 when there is none.
int ColonWithBlankBeside(const Line& line) {
  // "alice : hash": the lexer took the ':' for a hook separator.
  if (line.command.has_value()) return line.colon_column;
  if (line.tokens.size() < 2) return 0;
  const Token& first = line.tokens[0];
  const Token& second = line.tokens[1];
  if (absl::EndsWith(first.text, ":")) {
    return first.column + static_cast<int>(first.text.size()) - 1;
  }
  if (!absl::StrContains(first.text, ':') &&
      absl::StartsWith(second.text, ":")) {
    return second.column;
  }
  return 0;
}

absl::StatusOr<ParsedLine> ParseLine(const Line& line,
                                     const PasswordVerifier& verifier) {
  if (line.tokens.empty()) {  // ": x"
    return TokenError(Token{"", line.number, line.colon_column},
                      "missing user name before ':'");
  }
  if (const int colon = ColonWithBlankBeside(line); colon != 0) {
    return TokenError(Token{"", line.number, colon},
                      "blank beside ':': write user:hash as one word");
  }
  if (line.tokens.size() > 1) {
    return TokenError(line.tokens[1],
                      absl::StrCat("unexpected ", Quote(line.tokens[1].text),
                                   ": one user:hash a line"));
  }
  const Token& word = line.tokens[0];
  const size_t colon = word.text.find(':');
  if (colon == std::string::npos) {
    return TokenError(word,
                      absl::StrCat("missing ':' after the user name in ",
                                   Quote(word.text), ": write user:hash"));
  }
  ParsedLine parsed{
      .user = Token{word.text.substr(0, colon), word.line, word.column},
      .hash = Token{word.text.substr(colon + 1), word.line,
                    word.column + static_cast<int>(colon) + 1}};
  if (parsed.user.text.empty()) {
    return TokenError(parsed.user, "missing user name before ':'");
  }
  if (parsed.user.text.size() > kMaxUserNameLength) {
    return TokenError(
        parsed.user,
        absl::StrCat("user name is ", parsed.user.text.size(),
                     " bytes; RFC 1929 allows 1 to ", kMaxUserNameLength));
  }
  for (size_t i = 0; i < parsed.user.text.size(); ++i) {
    if (IsControl(parsed.user.text[i])) {
      return TokenError(Token{"", word.line, word.column + static_cast<int>(i)},
                        absl::StrCat("control character ",
                                     Quote(parsed.user.text.substr(i, 1)),
                                     " in the user name"));
    }
  }
  if (parsed.hash.text.empty()) {
    return TokenError(parsed.hash, "missing hash after ':'");
  }
  // Most likely a line of /etc/shadow, whose fields go on after the hash.
  if (const size_t extra = parsed.hash.text.find(':');
      extra != std::string::npos) {
    return TokenError(
        Token{"", word.line, parsed.hash.column + static_cast<int>(extra)},
        "':' after the hash: a line holds only user:hash (not the other "
        "fields of /etc/shadow)");
  }
  if (absl::Status usable = verifier.CheckHash(parsed.hash.text);
      !usable.ok()) {
    return TokenError(parsed.hash, usable.message());
  }
  return parsed;
}

}  // namespace

const PasswordVerifier& SystemCrypt() {
  static const CryptVerifier* const verifier = new CryptVerifier();
  return *verifier;
}

absl::StatusOr<PasswordFile> PasswordFile::Parse(
    absl::string_view text, absl::string_view filename,
    const PasswordVerifier& verifier) {
  PasswordFile file(std::string(filename), verifier);
  FileErrors errors(filename);
  for (absl::StatusOr<Line>& lexed : Lex(text)) {
    if (!lexed.ok()) {
      errors.Add(lexed.status());
      continue;
    }
    // sockd.conf's special lines (#NO_IDENTD:) are comments here.
    if (lexed->kind != Line::Kind::kRule || lexed->IsEmpty()) continue;
    absl::StatusOr<ParsedLine> parsed = ParseLine(*lexed, verifier);
    if (!parsed.ok()) {
      errors.Add(parsed.status());
      continue;
    }
    const auto [at, inserted] =
        file.index_.try_emplace(parsed->user.text, file.entries_.size());
    if (!inserted) {
      errors.Add(
          TokenError(parsed->user,
                     absl::StrCat("duplicate user ", Quote(parsed->user.text),
                                  " (first on line ",
                                  file.entries_[at->second].line, ")")));
      continue;
    }
    file.entries_.push_back({.user = std::move(parsed->user.text),
                             .hash = std::move(parsed->hash.text),
                             .line = lexed->number});
  }
  RSOCKD_RETURN_IF_ERROR(errors.ToStatus());
  return file;
}

absl::StatusOr<PasswordFile> PasswordFile::Load(
    const std::string& path, const PasswordVerifier& verifier) {
  RSOCKD_ASSIGN_OR_RETURN(const std::string text,
                          ReadFile(path, kMaxPasswordFileSize));
  return Parse(text, path, verifier);
}

bool PasswordFile::Verify(absl::string_view user,
                          absl::string_view password) const {
  // No account to hide, nothing to check.
  if (entries_.empty()) return false;
  const auto found = index_.find(user);
  const bool known = found != index_.end();
  // Checked whether the user is known or not, and only then ignored for an
  // unknown one: the same work either way.
  const bool matches =
      verifier_->Matches(password, entries_[known ? found->second : 0].hash);
  return known && matches;
}

std::vector<std::string> PasswordFile::users() const {
  std::vector<std::string> users;
  users.reserve(entries_.size());
  for (const Entry& entry : entries_) users.push_back(entry.user);
  return users;
}

std::string FormatPasswordFile(const PasswordFile& file) {
  std::string text;
  for (const std::string& user : file.users()) {
    absl::StrAppend(&text, user, ":***\n");
  }
  return text;
}

}  // namespace rsockd::rules
