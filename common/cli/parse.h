// Parsing a command line with a tool's CLI11 command tree, and what came of
// it in the project's words: a command to run, its help, the version, or a
// one-line usage error that names the command it concerns.
//
//   ParseOutcome outcome = ParseCommandTree(app, {"sub", "a.>", "--cont"});
//   if (outcome.kind == ParseOutcome::Kind::kUsageError) {
//     // outcome.text: "unknown flag --cont"; *outcome.command: `sub`
//     std::fprintf(stderr, "chorus: error: %s\n%s", outcome.text.c_str(),
//                  HelpText(*outcome.command).c_str());
//   }
//
// CLI11 reports problems as exceptions; they end here, so callers see
// values only.
#ifndef CHORUS_COMMON_CLI_PARSE_H_
#define CHORUS_COMMON_CLI_PARSE_H_

#include <string>
#include <vector>

#include "CLI/CLI.hpp"

namespace chorus::cli {

struct ParseOutcome {
  enum class Kind { kRun, kHelp, kVersion, kUsageError };
  Kind kind = Kind::kRun;
  // The command the line named: the deepest subcommand it reached, also
  // when it failed. Never null; points into the parsed tree.
  const CLI::App* command = nullptr;
  // kHelp: the command's help text (HelpText). kVersion: what the tree's
  // version flag prints. kUsageError: one line without the tool's name,
  // e.g. "flag --count does not apply to pub", "expected sub FILTER",
  // "unknown topics command \"rename\" (expected create, list or delete)".
  std::string text;
};

// Parses `args` (without the program name) with `root`, a tree set up with
// UseHelpStyle. The tree holds what was parsed, for the caller to read
// through it, until the next parse.
ParseOutcome ParseCommandTree(CLI::App& root,
                              const std::vector<std::string>& args);

}  // namespace chorus::cli

#endif  // CHORUS_COMMON_CLI_PARSE_H_
