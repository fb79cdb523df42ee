// The chorus tool's commands as a CLI11 tree: each command's arguments and
// flags, with the help text and examples `chorus help` shows.
//
//   std::unique_ptr<CLI::App> tree = MakeCommandTree();
//   cli::ParseOutcome outcome = cli::ParseCommandTree(*tree, args);
//
// The tree says what the command line may hold and documents it;
// command_line.cc turns what was parsed into typed commands, and
// completion.cc walks it for shell completion. Options are not bound to
// variables: read them through the tree after parsing (ParsedCommand).
#ifndef CHORUS_CLIENT_CLI_COMMAND_TREE_H_
#define CHORUS_CLIENT_CLI_COMMAND_TREE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "CLI/CLI.hpp"

namespace chorus::cli {

inline constexpr std::string_view kDefaultServer = "127.0.0.1:7400";

std::unique_ptr<CLI::App> MakeCommandTree();

// What a parse gave one command of the tree, read by flag or argument name
// ("--key", "TOPIC"). Valid while the tree lives and is not parsed again.
class ParsedCommand {
 public:
  explicit ParsedCommand(const CLI::App& command) : command_(command) {}

  bool Has(const std::string& name) const;
  // The value given (the last one), or nullptr when not given.
  const std::string* Value(const std::string& name) const;
  // Every value given, in order.
  std::vector<std::string> Values(const std::string& name) const;

 private:
  const CLI::App& command_;
};

}  // namespace chorus::cli

#endif  // CHORUS_CLIENT_CLI_COMMAND_TREE_H_
