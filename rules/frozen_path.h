// This file defines where frozen configuration files live and which file
// rsockd loads (docs/frozen_files.md): the frozen file beside a configured
// text file, when it exists, is preferred; and `NewerSource` finds the file
// that makes a frozen file stale (its text file, or a user file it froze,
// modified after it).
//
//   FrozenPathFor("/etc/sockd.conf", ".fc")   == "/etc/sockd.fc"
//   FrozenPathFor("/etc/sockd.route", ".fr")  == "/etc/sockd.fr"
//   FrozenPathFor("/etc/rsockd/access", ".fc") == "/etc/rsockd/access.fc"
//
// Thread-safe (stat(2) only).

#ifndef RSOCKD_RULES_FROZEN_PATH_H_
#define RSOCKD_RULES_FROZEN_PATH_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace rsockd::rules {

// FrozenPathFor()
//
// `text_path` with the extension of its last component replaced by
// `extension` (".fc"), or `extension` appended when it has none. A leading
// dot of the file name does not start an extension (".sockdrc" ->
// ".sockdrc.fc"), nor does a dot in a directory name. A path that already
// ends in `extension` is returned unchanged, so naming the frozen file
// itself works too.
std::string FrozenPathFor(absl::string_view text_path,
                          absl::string_view extension);

// ConfigFileChoice
//
// Which file to load for one configured rule file.
struct ConfigFileChoice {
  // The file to load: the frozen file when it exists, else the text file.
  std::string path;
  bool frozen = false;
  // False when neither file exists (then `path` is the text file, whose
  // loading reports the error).
  bool exists = false;
};

// ChooseConfigFile()
//
// Applies the rule above to the configured `text_path`.
ConfigFileChoice ChooseConfigFile(const std::string& text_path,
                                  absl::string_view frozen_extension);

// NewerSource()
//
// The first of `sources` — the files a frozen file was made from: its text
// file and the `/file` user lists it froze — that was modified after the
// frozen file at `frozen_path`, comparing modification times to the
// nanosecond; nullopt when none is (equal times are not newer). A source
// that does not exist is not newer: a frozen file holds everything it needs
// and may be deployed without them.
std::optional<std::string> NewerSource(const std::string& frozen_path,
                                       absl::Span<const std::string> sources);

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_FROZEN_PATH_H_
