// Help text in one style for the project's command-line tools (chorus,
// chorusd), made from their CLI11 command trees.
//
//   CLI::App app("Serves Chorus clients.\n\nMore about it...", "chorusd");
//   UseHelpStyle(app);  // before any subcommand or option is added
//   app.add_option("--listen", "where to listen")->type_name("HOST:PORT");
//   SetExamples(app, {"chorusd --listen 0.0.0.0:7400"});
//   std::fputs(HelpText(app).c_str(), stdout);
//
// Conventions the text relies on:
// - A command's description opens with a one-line summary, which command
//   lists show; the lines after it are the details.
// - An option's type name is how help shows its value: HOST:PORT, N, FILE.
//   A type name of lower-case words joined by '|' (text|json) lists the
//   values the option takes; Choices() returns them.
// - An option's default string is shown as "(default: ...)".
#ifndef CHORUS_COMMON_CLI_HELP_H_
#define CHORUS_COMMON_CLI_HELP_H_

#include <string>
#include <vector>

#include "CLI/CLI.hpp"

namespace chorus::cli {

// Gives `root`, and every subcommand added to it afterwards, this file's
// help text and a "-h, --help" flag.
void UseHelpStyle(CLI::App& root);

// Adds subcommand `name` to `parent`, which then needs one of its
// subcommands to run. `description` follows the conventions above.
CLI::App* AddCommand(CLI::App& parent, const std::string& name,
                     const std::string& description,
                     const std::vector<std::string>& examples);

// Sets the examples help shows at the end of `command`'s text.
void SetExamples(CLI::App& command, const std::vector<std::string>& examples);

// The full help of one command: usage, description, arguments,
// subcommands, flags, the flags of its parents, examples.
std::string HelpText(const CLI::App& command);

// What a usage error shows after its message: the command's usage line and
// where to find its flags ("Run `chorus sub --help` ...").
std::string UsageHint(const CLI::App& command);

// The command's words below the tool's name: "topics create"; "" for the
// tool itself.
std::string CommandPath(const CLI::App& command);

// The command's path and what it needs, as in "usage:" lines:
// "topics create NAME", "context add NAME --server LIST", "topics COMMAND".
std::string CommandUsage(const CLI::App& command);

// The first line of the command's description.
std::string Summary(const CLI::App& command);

// The values the option takes when its type name lists them ("text|json"),
// each cut before any upper-case placeholder ("offset:N" gives "offset:");
// empty otherwise.
std::vector<std::string> Choices(const CLI::Option& option);

// The subcommands defined under `command` (CLI11's get_subcommands()
// without a filter lists only the ones a parse selected).
std::vector<const CLI::App*> Subcommands(const CLI::App& command);

}  // namespace chorus::cli

#endif  // CHORUS_COMMON_CLI_HELP_H_
