// This file defines where frozen configuration files live and which file
// rsockd loads (SPEC §9): the frozen file beside a configured text file, when
// it exists, is preferred, and a text file modified after it is reported.
//
//   FrozenPathFor("/etc/sockd.conf", ".fc")   == "/etc/sockd.fc"
//   FrozenPathFor("/etc/sockd.route", ".fr")  == "/etc/sockd.fr"
//   FrozenPathFor("/etc/rsockd/access", ".fc") == "/etc/rsockd/access.fc"
//
// Thread-safe (stat(2) only).

#ifndef RSOCKD_RULES_FROZEN_PATH_H_
#define RSOCKD_RULES_FROZEN_PATH_H_

#include <string>

#include "absl/strings/string_view.h"

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
  // The frozen file is used, and the text file beside it was modified after
  // it: the frozen rules may be out of date.
  bool text_is_newer = false;
};

// ChooseConfigFile()
//
// Applies the rule above to the configured `text_path`. Modification times
// are compared to the nanosecond.
ConfigFileChoice ChooseConfigFile(const std::string& text_path,
                                  absl::string_view frozen_extension);

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_FROZEN_PATH_H_
