#include "rsockd/server/log_field.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace rsockd {
namespace {

bool IsPlain(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  switch (c) {
    case '-':
    case '.':
    case '_':
    case '~':
    case '+':
    case '=':
    case ':':
    case ',':
    case '/':
    case '!':
    case '$':
    case '*':
    case '&':
    case '?':
    case '^':
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string EscapeLogField(absl::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (IsPlain(c)) {
      out.push_back(c);
      continue;
    }
    const unsigned char byte = static_cast<unsigned char>(c);
    out.push_back('%');
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xf]);
  }
  return out;
}

std::string PrintableLine(absl::string_view line) {
  std::string out(line);
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return out;
}

}  // namespace rsockd
