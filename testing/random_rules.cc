#include "testing/random_rules.h"

#include <iterator>

#include "absl/strings/str_cat.h"

namespace rsockd::testing {
namespace {

// Services present in every /etc/services (Debian's netbase).
constexpr const char* kServices[] = {"telnet", "ftp", "http",  "socks",
                                     "smtp",   "ssh", "domain"};
constexpr const char* kOperators[] = {"eq", "neq", "lt", "gt", "le", "ge"};
constexpr const char* kIdentFields[] = {"?=I", "?=i", "?=n", "?="};
// Characters of hook commands beyond letters: shell syntax, '%' sequences,
// the rule file's own ':' and '#', and inner blanks.
constexpr char kCommandCharacters[] =
    "abcdefghijklmnopqrstuvwxyz0123456789 \t%%%'\"$;|&<>()/:#@!*.,=_-";

}  // namespace

std::string RandomRules::Quad() {
  return absl::StrCat(Below(256), ".", Below(256), ".", Below(256), ".",
                      Below(256));
}

std::string RandomRules::Name() {
  std::string name;
  const int labels = 1 + static_cast<int>(Below(3));
  for (int i = 0; i < labels; ++i) {
    // Mixed case: the parser keeps names in lower case.
    absl::StrAppend(&name, OneIn(2) ? "Host" : "host", Below(100),
                    OneIn(4) ? "-x" : "", ".");
  }
  absl::StrAppend(&name, OneIn(2) ? "example" : "EXAMPLE");
  return name;
}

std::string RandomRules::AddressSpec() {
  // A one-token form may carry the ignored mask.
  const char* ignored = OneIn(4) ? " 0.0.0.0" : "";
  switch (Below(7)) {
    case 0:
      return absl::StrCat("ALL", ignored);
    case 1:
    case 2:
      return absl::StrCat(Quad(), Blank(), Quad());
    case 3:
      return absl::StrCat(Quad(), "/", Below(33), ignored);
    case 4:
      switch (Below(3)) {
        case 0:
          return absl::StrCat("2001:db8:", absl::Hex(Below(0x10000)), "::/",
                              Below(129), ignored);
        case 1:
          return "::1";
        default:
          return absl::StrCat("fe80::", absl::Hex(Below(0x10000)), ":1/64");
      }
    case 5:
      return absl::StrCat(Name(), ignored);
    default:
      return absl::StrCat(".", Name(), ignored);
  }
}

std::string RandomRules::UserList() {
  std::string list = "*=";
  const int items = static_cast<int>(Below(4));
  for (int i = 0; i < items; ++i) {
    if (i > 0) list += ",";
    if (!user_files_.empty() && OneIn(3)) {
      list += user_files_[Below(user_files_.size())];
    } else {
      absl::StrAppend(&list, OneIn(2) ? "User" : "user", Below(20),
                      OneIn(5) ? ".x_y-z" : "");
    }
  }
  return list;
}

std::string RandomRules::Credential() {
  // Letters, a ':' (only the first one ends the user name), UTF-8, and
  // %-escapes of the bytes that must be escaped, in either case of hex.
  constexpr const char* kPieces[] = {"a",   "B",   "7",   ":",   "\xc3\xa9",
                                     "%40", "%2c", "%2C", "%23", "%25",
                                     "%20", "%3a", "%00", "~"};
  std::string text;
  const int pieces = 1 + static_cast<int>(Below(6));
  for (int i = 0; i < pieces; ++i) text += kPieces[Below(std::size(kPieces))];
  return text;
}

std::string RandomRules::Server() {
  const std::string port = OneIn(2) ? absl::StrCat(":", 1 + Below(65535)) : "";
  std::string endpoint;
  switch (Below(4)) {
    case 0:
      endpoint = absl::StrCat(Quad(), port);
      break;
    case 1:
      // An IPv6 server takes a port only in brackets.
      endpoint =
          port.empty() ? "2001:db8::1" : absl::StrCat("[2001:db8::1]", port);
      break;
    default:
      endpoint = absl::StrCat(Name(), port);
      break;
  }
  switch (Below(5)) {
    case 0:
      return absl::StrCat(OneIn(2) ? "socks4a" : "SOCKS4A", "://", endpoint);
    case 1:
      return absl::StrCat("socks4://", endpoint);
    case 2: {
      // The user name ends at its first ':', so it holds none.
      std::string user = Credential();
      user = user.substr(0, user.find(':'));
      if (user.empty()) user = "u";
      const std::string credentials =
          OneIn(3) ? "" : absl::StrCat(user, ":", Credential(), "@");
      return absl::StrCat(OneIn(2) ? "socks5" : "Socks5", "://", credentials,
                          endpoint);
    }
    default:
      return endpoint;
  }
}

std::string RandomRules::ServerList() {
  std::string list = Server();
  const int more = static_cast<int>(Below(3));
  for (int i = 0; i < more; ++i) absl::StrAppend(&list, ",", Server());
  return list;
}

std::string RandomRules::PortTest() {
  return absl::StrCat(kOperators[Below(std::size(kOperators))], Blank(),
                      OneIn(3)
                          ? std::string(kServices[Below(std::size(kServices))])
                          : absl::StrCat(Below(65536)));
}

std::string RandomRules::Command() {
  std::string command;
  const int length = static_cast<int>(Below(60));
  for (int i = 0; i < length; ++i) {
    command.push_back(
        kCommandCharacters[Below(sizeof(kCommandCharacters) - 1)]);
  }
  // Trimmed, as the lexer makes commands, and never empty: an empty command
  // after ':' is the same rule as no ':' at all, which is also tested.
  while (!command.empty() && (command.back() == ' ' || command.back() == '\t'))
    command.pop_back();
  while (!command.empty() &&
         (command.front() == ' ' || command.front() == '\t'))
    command.erase(0, 1);
  return command.empty() ? "logger %u" : command;
}

std::string RandomRules::Blank() {
  switch (Below(6)) {
    case 0:
      return "\t";
    case 1:
      return "  ";
    case 2:
      return " \t ";
    default:
      return " ";
  }
}

std::string RandomRules::NonRuleLine() {
  switch (Below(12)) {
    case 0:
      return "\n";
    case 1:
      return absl::StrCat("# comment ", Below(1000), ": direct ALL\n");
    case 2:
      return absl::StrCat(Blank(), "# indented comment\n");
    default:
      return "";
  }
}

std::string RandomRules::SocksConf(int lines) {
  std::string text;
  for (int i = 0; i < lines; ++i) {
    if (std::string other = NonRuleLine(); !other.empty()) {
      text += other;
      continue;
    }
    std::string line = OneIn(5) ? Blank() : "";
    std::string servers;
    switch (Below(4)) {
      case 0:
        line += "deny";
        break;
      case 1:
        line += "direct";
        break;
      case 2:
        line += "sockd";
        if (!OneIn(4)) servers = absl::StrCat("@=", ServerList());
        break;
      default:
        absl::StrAppend(&line, "sockd@", ServerList());
        break;
    }
    const bool users = OneIn(2);
    const bool users_first = OneIn(2);
    if (users && users_first) absl::StrAppend(&line, Blank(), UserList());
    if (!servers.empty()) absl::StrAppend(&line, Blank(), servers);
    if (users && !users_first) absl::StrAppend(&line, Blank(), UserList());
    absl::StrAppend(&line, Blank(), AddressSpec());
    if (OneIn(3)) absl::StrAppend(&line, Blank(), PortTest());
    if (OneIn(4)) absl::StrAppend(&line, Blank(), ":", Blank(), Command());
    absl::StrAppend(&text, line, "\n");
  }
  return text;
}

std::string RandomRules::SockdRoute(int lines) {
  std::string text;
  for (int i = 0; i < lines; ++i) {
    if (std::string other = NonRuleLine(); !other.empty()) {
      text += other;
      continue;
    }
    std::string interface;
    switch (Below(3)) {
      case 0:
        interface = absl::StrCat("127.0.", Below(256), ".", 1 + Below(254));
        break;
      case 1:
        interface = absl::StrCat("2001:db8::", absl::Hex(1 + Below(0xFFFF)));
        break;
      default:
        interface = Quad();
        // The parser refuses the unspecified address.
        if (interface == "0.0.0.0") interface = "10.0.0.1";
        break;
    }
    absl::StrAppend(&text, OneIn(5) ? Blank() : "", interface, Blank(),
                    AddressSpec(), OneIn(5) ? " # route" : "", "\n");
  }
  return text;
}

std::string RandomRules::SockdConf(int lines) {
  std::string text;
  for (int i = 0; i < lines; ++i) {
    switch (Below(20)) {
      case 0:
        text += "\n";
        continue;
      case 1:
        absl::StrAppend(&text, "# comment ", Below(1000), ": permit ALL\n");
        continue;
      case 2:
        absl::StrAppend(&text, "#NO_IDENTD:", OneIn(2) ? " " : "", Command(),
                        "\n");
        continue;
      case 3:
        absl::StrAppend(&text, "#BAD_ID: ", Command(), "\n");
        continue;
      default:
        break;
    }
    std::string line = OneIn(5) ? Blank() : "";
    line += OneIn(2) ? "permit" : "deny";
    // The two fields, in either order.
    const bool ident = OneIn(3);
    const bool users = OneIn(2);
    const bool users_first = OneIn(2);
    if (users && users_first) absl::StrAppend(&line, Blank(), UserList());
    if (ident) {
      absl::StrAppend(&line, Blank(),
                      kIdentFields[Below(std::size(kIdentFields))]);
    }
    if (users && !users_first) absl::StrAppend(&line, Blank(), UserList());
    const std::string source = AddressSpec();
    absl::StrAppend(&line, Blank(), source);
    if (OneIn(3) == false) {
      std::string destination = AddressSpec();
      // After a one-token source, a leading 0.0.0.0 would be read as the
      // source's ignored mask: write that mask first, as the dump does.
      const bool one_token_source =
          source.find_first_of(" \t") == std::string::npos;
      if (one_token_source && destination.rfind("0.0.0.0", 0) == 0) {
        destination = "0.0.0.0 " + destination;
      }
      absl::StrAppend(&line, Blank(), destination);
    }
    if (OneIn(3)) absl::StrAppend(&line, Blank(), PortTest());
    switch (Below(4)) {
      case 0:
        absl::StrAppend(&line, Blank(), ":", Blank(), Command());
        break;
      case 1:
        absl::StrAppend(&line, Blank(), "# trailing comment");
        break;
      default:
        break;
    }
    absl::StrAppend(&text, line, "\n");
  }
  return text;
}

}  // namespace rsockd::testing
