// Flag files for CLI11 in the format Abseil's --flagfile reads: one
// "--name=value" a line ("--name" alone for a true boolean), blank lines
// and lines starting with '#' ignored. Names may be spelled with '_' or '-'.
//
//   AddFlagFileOption(app, "read flags from FILE");  // --flagfile FILE
//
// Flags given on the command line win over the file; within a file the
// last line for a flag wins. Errors reach the parse as CLI::ConfigError
// (a line that is not a flag, or a flag the tool does not have).
#ifndef CHORUS_COMMON_CLI_FLAG_FILE_H_
#define CHORUS_COMMON_CLI_FLAG_FILE_H_

#include <istream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"

namespace chorus::cli {

// Gives `app` the option --flagfile FILE, reading this format and refusing
// flags `app` does not have.
CLI::Option* AddFlagFileOption(CLI::App& app, const std::string& description);

// The format itself, as CLI11 reads config files.
class FlagFileFormat : public CLI::ConfigBase {
 public:
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;
};

}  // namespace chorus::cli

#endif  // CHORUS_COMMON_CLI_FLAG_FILE_H_
