#include "rsockd/tools/frozen_tool.h"

#include <sys/stat.h>

#include <cstddef>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rsockd/base/files.h"
#include "rsockd/base/status_macros.h"
#include "rules/frozen_path.h"
#include "rules/frozen_sockd_conf.h"
#include "rules/frozen_sockd_route.h"
#include "rules/frozen_socks_conf.h"
#include "rules/secrets.h"
#include "rules/sockd_conf.h"
#include "rules/sockd_route.h"
#include "rules/socks_conf.h"

namespace rsockd {
namespace {

// A frozen file's bytes, how many rules it holds, for the summary line, and
// whether it holds secrets (socks5:// credentials).
struct Frozen {
  std::string bytes;
  size_t rules = 0;
  bool secret = false;
};

// What distinguishes the three kinds of file for the tools.
struct FileKind {
  // The tools' names without "make_" or "dump_".
  absl::string_view suffix;
  absl::string_view text_name;
  absl::string_view default_text_path;
  absl::string_view frozen_extension;
  // Whether the rules may hold secrets, which the dump masks unless given
  // --show_secrets (that option exists only then).
  bool has_secrets;
  absl::StatusOr<Frozen> (*load_and_freeze)(const std::string& path);
  absl::StatusOr<std::string> (*load_frozen_and_format)(const std::string& path,
                                                        rules::Secrets secrets);
};

// Whether `rules` hold secrets: socks5:// credentials.
bool HoldsSecrets(const rules::SockdConf&) { return false; }
bool HoldsSecrets(const rules::SockdRoute&) { return false; }
bool HoldsSecrets(const rules::SocksConf& conf) {
  return rules::HoldsCredentials(conf);
}

// The two directions, written once for every kind of file: `Load` is the
// server's own loader of the text file, `Format` its normalized dump, which
// takes the Secrets to print when the rules may hold any.
template <typename Rules, auto Load, auto Freeze>
absl::StatusOr<Frozen> LoadAndFreeze(const std::string& path) {
  RSOCKD_ASSIGN_OR_RETURN(const Rules rules, Load(path));
  RSOCKD_ASSIGN_OR_RETURN(std::string bytes, Freeze(rules));
  return Frozen{std::move(bytes), rules.rules.size(), HoldsSecrets(rules)};
}

template <typename Rules, auto LoadFrozen, auto Format>
absl::StatusOr<std::string> LoadFrozenAndFormat(const std::string& path,
                                                rules::Secrets secrets) {
  RSOCKD_ASSIGN_OR_RETURN(const Rules rules, LoadFrozen(path));
  std::string text;
  if constexpr (std::is_invocable_v<decltype(Format), const Rules&,
                                    rules::Secrets>) {
    text = Format(rules, secrets);
  } else {
    text = Format(rules);
  }
  // A comment, so the dump still parses; it says where the rules came from.
  return absl::StrCat("# ", rules.filename, ", frozen in ", path, "\n", text);
}

const FileKind kKinds[] = {
    {"sockdfc", "sockd.conf", "/etc/sockd.conf",
     rules::kFrozenSockdConfExtension, /*has_secrets=*/false,
     LoadAndFreeze<rules::SockdConf, rules::LoadSockdConf,
                   rules::FreezeSockdConf>,
     LoadFrozenAndFormat<rules::SockdConf, rules::LoadFrozenSockdConf,
                         rules::FormatSockdConf>},
    {"socksfc", "socks.conf", "/etc/socks.conf",
     rules::kFrozenSocksConfExtension, /*has_secrets=*/true,
     LoadAndFreeze<rules::SocksConf, rules::LoadSocksConf,
                   rules::FreezeSocksConf>,
     LoadFrozenAndFormat<rules::SocksConf, rules::LoadFrozenSocksConf,
                         rules::FormatSocksConf>},
    {"sockdfr", "sockd.route", "/etc/sockd.route",
     rules::kFrozenSockdRouteExtension, /*has_secrets=*/false,
     LoadAndFreeze<rules::SockdRoute, rules::LoadSockdRoute,
                   rules::FreezeSockdRoute>,
     LoadFrozenAndFormat<rules::SockdRoute, rules::LoadFrozenSockdRoute,
                         rules::FormatSockdRoute>},
};

constexpr absl::string_view kMakePrefix = "make_";
constexpr absl::string_view kDumpPrefix = "dump_";

void PrintUsage(absl::string_view tool, bool make, const FileKind& kind,
                std::ostream& stream) {
  const std::string frozen = rules::FrozenPathFor(
      std::string(kind.default_text_path), kind.frozen_extension);
  if (make) {
    stream << "usage: " << tool << " [in [out]]\n"
           << "  Parses a " << kind.text_name << " (default "
           << kind.default_text_path << ") and writes its rules frozen to out\n"
           << "  (default: beside in, with the extension "
           << kind.frozen_extension << ": " << frozen << ").\n"
           << "  On an error nothing is written.\n"
           << "exit status: 0 written, 1 error, 2 usage\n";
  } else if (kind.has_secrets) {
    stream << "usage: " << tool << " [--show_secrets] [in]\n"
           << "  Prints the frozen " << kind.text_name << " in (default "
           << frozen << ") as " << kind.text_name << " text.\n"
           << "  Upstream credentials are printed as *** unless "
              "--show_secrets is given.\n"
           << "exit status: 0 printed, 1 error, 2 usage\n";
  } else {
    stream << "usage: " << tool << " [in]\n"
           << "  Prints the frozen " << kind.text_name << " in (default "
           << frozen << ") as " << kind.text_name << " text.\n"
           << "exit status: 0 printed, 1 error, 2 usage\n";
  }
}

// Same file: by name, or (when both exist) by device and inode.
bool SameFile(const std::string& a, const std::string& b) {
  if (a == b) return true;
  struct stat sa;
  struct stat sb;
  return stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 &&
         sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int Make(absl::string_view tool, const FileKind& kind,
         const std::vector<std::string>& args, std::ostream& out,
         std::ostream& err) {
  if (args.size() > 2) {
    err << tool << ": too many arguments\n";
    PrintUsage(tool, /*make=*/true, kind, err);
    return 2;
  }
  const std::string in =
      args.empty() ? std::string(kind.default_text_path) : args[0];
  const std::string output =
      args.size() == 2 ? args[1]
                       : rules::FrozenPathFor(in, kind.frozen_extension);
  if (SameFile(in, output)) {
    err << tool << ": the output " << output
        << " is the input file; name a different output\n";
    return 2;
  }
  absl::StatusOr<Frozen> frozen = kind.load_and_freeze(in);
  if (!frozen.ok()) {
    // Parse errors are already one `file:line:col: message` per line.
    err << frozen.status().message() << "\n"
        << tool << ": " << output << " not written\n";
    return 1;
  }
  // The frozen file holds the same rules (and user ids): no wider access
  // than the text file, no execute bits, and the same owner and group where
  // the writer may give them (rsockd may read its config through its group).
  // Upstream credentials are never for others, whatever the text file
  // allows.
  struct stat info;
  const bool have_info = stat(in.c_str(), &info) == 0;
  mode_t mode = have_info ? info.st_mode & 0666 : 0644;
  if (frozen->secret && (mode & 0007) != 0) {
    err << tool << ": warning: " << in
        << " holds upstream credentials and others may read it; " << output
        << " is written without access for others\n";
    mode &= 0660;
  }
  std::optional<FileOwner> owner;
  if (have_info) owner = FileOwner{info.st_uid, info.st_gid};
  if (absl::Status written =
          WriteFileAtomically(output, frozen->bytes, mode, owner);
      !written.ok()) {
    err << tool << ": " << written.message() << "\n";
    return 1;
  }
  out << tool << ": wrote " << output << " (" << frozen->rules
      << (frozen->rules == 1 ? " rule" : " rules") << ", "
      << frozen->bytes.size() << " bytes) from " << in << "\n";
  return 0;
}

int Dump(absl::string_view tool, const FileKind& kind,
         const std::vector<std::string>& args, rules::Secrets secrets,
         std::ostream& out, std::ostream& err) {
  if (args.size() > 1) {
    err << tool << ": too many arguments\n";
    PrintUsage(tool, /*make=*/false, kind, err);
    return 2;
  }
  const std::string in =
      args.empty() ? rules::FrozenPathFor(std::string(kind.default_text_path),
                                          kind.frozen_extension)
                   : args[0];
  absl::StatusOr<std::string> text = kind.load_frozen_and_format(in, secrets);
  if (!text.ok()) {
    err << tool << ": " << text.status().message() << "\n";
    return 1;
  }
  out << *text;
  return 0;
}

}  // namespace

int RunFrozenTool(absl::string_view tool, int argc, const char* const* argv,
                  std::ostream& out, std::ostream& err) {
  const bool make = absl::StartsWith(tool, kMakePrefix);
  if (!make && !absl::StartsWith(tool, kDumpPrefix)) {
    err << "unknown frozen-file tool " << tool << "\n";
    return 2;
  }
  const absl::string_view suffix = tool.substr(kMakePrefix.size());
  const FileKind* kind = nullptr;
  for (const FileKind& candidate : kKinds) {
    if (candidate.suffix == suffix) kind = &candidate;
  }
  if (kind == nullptr) {
    err << "unknown frozen-file tool " << tool << "\n";
    return 2;
  }
  std::vector<std::string> args;
  rules::Secrets secrets = rules::Secrets::kMasked;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      PrintUsage(tool, make, *kind, out);
      return 0;
    }
    if (!make && kind->has_secrets &&
        (arg == "--show_secrets" || arg == "-show_secrets")) {
      secrets = rules::Secrets::kShown;
      continue;
    }
    // No options: anything like one is a mistake rather than a file name
    // (a file named "-x" can be given as ./-x).
    if (absl::StartsWith(arg, "-")) {
      err << tool << ": unknown option " << arg << "\n";
      PrintUsage(tool, make, *kind, err);
      return 2;
    }
    args.emplace_back(arg);
  }
  return make ? Make(tool, *kind, args, out, err)
              : Dump(tool, *kind, args, secrets, out, err);
}

}  // namespace rsockd
