#include "common/cli/parse.h"

#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/cli/help.h"
#include "common/string_views.h"

namespace chorus::cli {
namespace {

// The deepest subcommand the parse selected.
const CLI::App& SelectedCommand(const CLI::App& root) {
  const CLI::App* command = &root;
  while (!command->get_subcommands().empty()) {
    command = command->get_subcommands().front();
  }
  return *command;
}

bool DefinedAnywhere(const CLI::App& command, const std::string& flag) {
  if (command.get_option_no_throw(flag) != nullptr) return true;
  for (const CLI::App* sub : Subcommands(command)) {
    if (DefinedAnywhere(*sub, flag)) return true;
  }
  return false;
}

std::string Alternatives(const CLI::App& command) {
  std::vector<std::string> names;
  for (const CLI::App* sub : Subcommands(command)) {
    names.push_back(sub->get_name());
  }
  if (names.size() < 2) return absl::StrJoin(names, "");
  const std::string last = names.back();
  names.pop_back();
  return absl::StrCat(absl::StrJoin(names, ", "), " or ", last);
}

// The message for an argument nothing took, or "" if there is none.
std::string LeftoverMessage(const CLI::App& root, const CLI::App& command) {
  for (const std::string& arg : root.remaining(true)) {
    if (arg == "--") continue;  // CLI11 keeps the end-of-flags mark
    if (arg.size() > 1 && arg[0] == '-') {
      const std::string flag = arg.substr(0, arg.find('='));
      if (DefinedAnywhere(root, flag)) {
        return absl::StrCat("flag ", flag, " does not apply to ",
                            CommandPath(command));
      }
      return absl::StrCat("unknown flag ", flag);
    }
    if (!Subcommands(command).empty()) {
      const std::string path = CommandPath(command);
      return absl::StrCat("unknown ", path, path.empty() ? "" : " ",
                          "command \"", arg, "\" (expected ",
                          Alternatives(command), ")");
    }
    if (command
            .get_options([](const CLI::Option* option) {
              return option->get_positional();
            })
            .empty()) {
      const std::string path = CommandPath(command);
      return absl::StrCat(path.empty() ? root.get_name() : path,
                          " takes no arguments, got \"", arg, "\"");
    }
    return absl::StrCat("expected ", CommandUsage(command));
  }
  return "";
}

// CLI11 2.1 starts each ArgumentMismatch message with the option's name:
// "--count: 1 required N missing", "--count: At Most 1 required but
// received 2", "help was given a disallowed flag override".
std::string ArgumentMismatchMessage(std::string_view what) {
  std::string flag(what.substr(0, what.find_first_of(": ")));
  if (flag.empty() || flag[0] != '-') flag = absl::StrCat("--", flag);
  const absl::string_view message = AsAbsl(what);
  if (absl::StrContains(message, " missing")) {
    return absl::StrCat("flag ", flag, " needs a value");
  }
  if (absl::StrContains(message, "At Most")) {
    return absl::StrCat("flag ", flag, " given more than once");
  }
  if (absl::StrContains(message, "flag override")) {
    return absl::StrCat("flag ", flag, " takes no value");
  }
  return std::string(what);
}

std::string UsageErrorMessage(const CLI::App& root, const CLI::App& command,
                              const CLI::ParseError& error) {
  if (std::string leftover = LeftoverMessage(root, command);
      !leftover.empty()) {
    return leftover;
  }
  const std::string what = error.what();
  if (dynamic_cast<const CLI::RequiredError*>(&error) != nullptr) {
    if (&command == &root && !Subcommands(root).empty()) {
      return absl::StrCat("no command given (expected ", Alternatives(root),
                          ")");
    }
    std::string usage = CommandUsage(command);
    if (!Subcommands(command).empty()) {
      // "topics COMMAND" reads "topics create|list|describe|delete".
      std::vector<std::string> names;
      for (const CLI::App* sub : Subcommands(command)) {
        names.push_back(sub->get_name());
      }
      usage =
          absl::StrCat(CommandPath(command), " ", absl::StrJoin(names, "|"));
    }
    return absl::StrCat("expected ", usage);
  }
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) != nullptr) {
    return ArgumentMismatchMessage(what);
  }
  // A flag file (chorusd --flagfile) naming a flag that does not exist.
  constexpr absl::string_view kUnknownInFile = "INI was not able to parse ";
  if (absl::StartsWith(what, kUnknownInFile)) {
    return absl::StrCat("unknown flag --", what.substr(kUnknownInFile.size()),
                        " in the flag file");
  }
  return what;
}

// CLI11 in reverse order, as it takes them, with "--flag=" as "--flag" ""
// (CLI11 would take the next argument as the value instead of "").
std::vector<std::string> Cli11Arguments(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  bool flags_done = false;
  for (const std::string& arg : args) {
    flags_done |= arg == "--";
    if (!flags_done && arg.size() > 3 && arg.rfind("--", 0) == 0 &&
        arg.find('=') == arg.size() - 1) {
      out.push_back(arg.substr(0, arg.size() - 1));
      out.emplace_back();
    } else {
      out.push_back(arg);
    }
  }
  return std::vector<std::string>(out.rbegin(), out.rend());
}

}  // namespace

ParseOutcome ParseCommandTree(CLI::App& root,
                              const std::vector<std::string>& args) {
  ParseOutcome outcome;
  try {
    root.parse(Cli11Arguments(args));
    outcome.command = &SelectedCommand(root);
  } catch (const CLI::CallForHelp&) {
    outcome.command = &SelectedCommand(root);
    outcome.kind = ParseOutcome::Kind::kHelp;
    outcome.text = HelpText(*outcome.command);
  } catch (const CLI::CallForVersion& version) {
    outcome.command = &root;
    outcome.kind = ParseOutcome::Kind::kVersion;
    outcome.text = version.what();
  } catch (const CLI::ParseError& error) {
    outcome.command = &SelectedCommand(root);
    outcome.kind = ParseOutcome::Kind::kUsageError;
    outcome.text = UsageErrorMessage(root, *outcome.command, error);
  }
  return outcome;
}

}  // namespace chorus::cli
