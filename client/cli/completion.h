// Shell completion for the chorus tool, generated from its command tree, so
// that each command and flag completes as soon as the tree has it.
//
//   std::fputs(BashCompletion(*MakeCommandTree()).c_str(), stdout);
//
// Commands and flags complete by name. Values of flags and arguments
// complete by their type name: choices ("text|json", help.h's Choices),
// FILE and DIR as paths, CONTEXT as the names `chorus context list`
// prints.
#ifndef CHORUS_CLIENT_CLI_COMPLETION_H_
#define CHORUS_CLIENT_CLI_COMPLETION_H_

#include <string>

#include "CLI/CLI.hpp"

namespace chorus::cli {

// A bash script that registers completion for `tool`'s name.
std::string BashCompletion(const CLI::App& tool);

// The bash script for zsh, through bashcompinit; meant for
// `source <(chorus completion zsh)` in ~/.zshrc, after compinit.
std::string ZshCompletion(const CLI::App& tool);

}  // namespace chorus::cli

#endif  // CHORUS_CLIENT_CLI_COMPLETION_H_
