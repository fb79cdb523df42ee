#include "common/cli/help.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/string_views.h"

namespace chorus::cli {
namespace {

constexpr size_t kWidth = 80;
// The widest first column of a two-column list; longer entries put their
// text on the next line.
constexpr size_t kMaxColumn = 30;

// Appends `text` word-wrapped to the page width, as if it began at
// `column` (the caller already wrote that much of the first line); later
// lines are indented to `column`.
void AppendWrapped(std::string_view text, size_t column, std::string* out) {
  size_t at = column;
  bool first = true;
  for (absl::string_view word :
       absl::StrSplit(AsAbsl(text), ' ', absl::SkipEmpty())) {
    if (!first && at + 1 + word.size() > kWidth) {
      absl::StrAppend(out, "\n", std::string(column, ' '));
      at = column;
      first = true;
    }
    if (!first) {
      out->push_back(' ');
      ++at;
    }
    absl::StrAppend(out, word);
    at += word.size();
    first = false;
  }
  out->push_back('\n');
}

// Paragraphs (separated by blank lines) wrapped to the page width.
void AppendParagraphs(std::string_view text, std::string* out) {
  bool first = true;
  for (absl::string_view paragraph :
       absl::StrSplit(AsAbsl(text), "\n\n", absl::SkipWhitespace())) {
    if (!first) out->push_back('\n');
    std::string joined(paragraph);
    std::replace(joined.begin(), joined.end(), '\n', ' ');
    AppendWrapped(joined, 0, out);
    first = false;
  }
}

using Row = std::pair<std::string, std::string>;

void AppendSection(std::string_view title, const std::vector<Row>& rows,
                   std::string* out) {
  if (rows.empty()) return;
  size_t column = 0;
  for (const Row& row : rows) column = std::max(column, row.first.size() + 2);
  column = std::min(column, kMaxColumn);
  absl::StrAppend(out, "\n", AsAbsl(title), ":\n");
  for (const auto& [left, right] : rows) {
    out->append(left);
    if (left.size() + 2 > column) {
      absl::StrAppend(out, "\n", std::string(column, ' '));
    } else {
      out->append(column - left.size(), ' ');
    }
    AppendWrapped(right, column, out);
  }
}

bool IsFlag(const CLI::Option& option) {
  return option.get_expected_max() == 0;
}

std::string OptionNames(const CLI::Option& option) {
  std::vector<std::string> names;
  for (const std::string& name : option.get_snames()) {
    names.push_back(absl::StrCat("-", name));
  }
  for (const std::string& name : option.get_lnames()) {
    names.push_back(absl::StrCat("--", name));
  }
  std::string text = absl::StrJoin(names, ", ");
  if (!IsFlag(option) && !option.get_type_name().empty()) {
    absl::StrAppend(&text, " ", option.get_type_name());
  }
  return text;
}

std::string OptionText(const CLI::Option& option) {
  std::string text = option.get_description();
  if (!option.get_default_str().empty()) {
    absl::StrAppend(&text, " (default: ", option.get_default_str(), ")");
  }
  return text;
}

// Options help lists: named, not hidden (CLI11 hides the empty group).
std::vector<const CLI::Option*> ListedOptions(const CLI::App& command,
                                              bool positional) {
  return command.get_options([positional](const CLI::Option* option) {
    return option->get_positional() == positional &&
           !option->get_group().empty();
  });
}

bool Defines(const CLI::App& command, const CLI::Option& option) {
  for (const std::string& name : option.get_lnames()) {
    if (command.get_option_no_throw("--" + name) != nullptr) return true;
  }
  return false;
}

// The leaf commands under `command`, by their path below it.
void AppendLeafCommands(const CLI::App& command, const std::string& prefix,
                        std::vector<Row>* rows) {
  for (const CLI::App* sub : Subcommands(command)) {
    const std::string path = absl::StrCat(prefix, sub->get_name());
    if (Subcommands(*sub).empty()) {
      rows->emplace_back(absl::StrCat("  ", path), Summary(*sub));
    } else {
      AppendLeafCommands(*sub, absl::StrCat(path, " "), rows);
    }
  }
}

const CLI::App& Root(const CLI::App& command) {
  const CLI::App* root = &command;
  while (root->get_parent() != nullptr) root = root->get_parent();
  return *root;
}

class Formatter : public CLI::FormatterBase {
 public:
  std::string make_help(const CLI::App* command, std::string,
                        CLI::AppFormatMode) const override {
    return HelpText(*command);
  }
};

// "usage: chorus sub FILTER [flags]"
std::string UsageLine(const CLI::App& command) {
  const std::string usage = CommandUsage(command);
  return absl::StrCat("usage: ", Root(command).get_name(),
                      usage.empty() ? "" : " ", usage, " [flags]\n");
}

}  // namespace

void UseHelpStyle(CLI::App& root) {
  root.formatter(std::make_shared<Formatter>());
  root.set_help_flag("-h,--help", "print this help")->disable_flag_override();
}

CLI::App* AddCommand(CLI::App& parent, const std::string& name,
                     const std::string& description,
                     const std::vector<std::string>& examples) {
  parent.require_subcommand(1);
  CLI::App* command = parent.add_subcommand(name, description);
  command->get_help_ptr()->disable_flag_override();
  SetExamples(*command, examples);
  return command;
}

void SetExamples(CLI::App& command, const std::vector<std::string>& examples) {
  command.footer(absl::StrJoin(examples, "\n"));
}

std::string UsageHint(const CLI::App& command) {
  const std::string path = CommandPath(command);
  return absl::StrCat(UsageLine(command), "Run `", Root(command).get_name(),
                      path.empty() ? "" : " ", path,
                      " --help` for its flags and examples.\n");
}

std::string HelpText(const CLI::App& command) {
  const std::string usage = CommandUsage(command);
  std::string out = UsageLine(command);
  if (!command.get_description().empty()) {
    out.push_back('\n');
    AppendParagraphs(command.get_description(), &out);
  }

  std::vector<Row> arguments;
  for (const CLI::Option* option : ListedOptions(command, true)) {
    arguments.emplace_back(absl::StrCat("  ", option->get_name(true)),
                           OptionText(*option));
  }
  AppendSection("Arguments", arguments, &out);

  std::vector<Row> commands;
  AppendLeafCommands(command, "", &commands);
  AppendSection("Commands", commands, &out);

  std::vector<Row> flags;
  for (const CLI::Option* option : ListedOptions(command, false)) {
    if (option == command.get_help_ptr()) continue;  // listed last
    flags.emplace_back(absl::StrCat("  ", OptionNames(*option)),
                       OptionText(*option));
  }
  if (command.get_help_ptr() != nullptr) {
    flags.emplace_back(absl::StrCat("  ", OptionNames(*command.get_help_ptr())),
                       command.get_help_ptr()->get_description());
  }
  AppendSection("Flags", flags, &out);

  std::vector<Row> global_flags;
  for (const CLI::App* parent = command.get_parent(); parent != nullptr;
       parent = parent->get_parent()) {
    for (const CLI::Option* option : ListedOptions(*parent, false)) {
      if (option == parent->get_help_ptr() ||
          option == parent->get_version_ptr() || Defines(command, *option)) {
        continue;
      }
      global_flags.emplace_back(absl::StrCat("  ", OptionNames(*option)),
                                OptionText(*option));
    }
  }
  AppendSection("Global flags", global_flags, &out);

  if (!command.get_footer().empty()) {
    out.append("\nExamples:\n");
    for (absl::string_view example :
         absl::StrSplit(command.get_footer(), '\n')) {
      absl::StrAppend(&out, "  ", example, "\n");
    }
  }
  if (!commands.empty()) {
    absl::StrAppend(&out, "\nRun `", Root(command).get_name(), " ", usage,
                    " --help` for a command's flags and examples.\n");
  }
  return out;
}

std::string CommandPath(const CLI::App& command) {
  std::vector<std::string> words;
  for (const CLI::App* app = &command; app->get_parent() != nullptr;
       app = app->get_parent()) {
    words.push_back(app->get_name());
  }
  std::reverse(words.begin(), words.end());
  return absl::StrJoin(words, " ");
}

std::string CommandUsage(const CLI::App& command) {
  std::vector<std::string> words;
  if (const std::string path = CommandPath(command); !path.empty()) {
    words.push_back(path);
  }
  if (!Subcommands(command).empty()) {
    words.push_back("COMMAND");
    return absl::StrJoin(words, " ");
  }
  for (const CLI::Option* option : ListedOptions(command, true)) {
    std::string name = option->get_name(true);
    if (option->get_items_expected_max() > 1) absl::StrAppend(&name, "...");
    words.push_back(option->get_required() ? name
                                           : absl::StrCat("[", name, "]"));
  }
  for (const CLI::Option* option : ListedOptions(command, false)) {
    if (option->get_required()) words.push_back(OptionNames(*option));
  }
  return absl::StrJoin(words, " ");
}

std::string Summary(const CLI::App& command) {
  const std::string& description = command.get_description();
  return description.substr(0, description.find('\n'));
}

std::vector<std::string> Choices(const CLI::Option& option) {
  const std::vector<std::string> parts =
      absl::StrSplit(option.get_type_name(), '|');
  if (parts.size() < 2) return {};
  std::vector<std::string> choices;
  for (const std::string& part : parts) {
    if (part.empty() || !std::islower(static_cast<unsigned char>(part[0]))) {
      return {};
    }
    const auto placeholder =
        std::find_if(part.begin(), part.end(),
                     [](unsigned char c) { return std::isupper(c) != 0; });
    choices.emplace_back(part.begin(), placeholder);
  }
  return choices;
}

std::vector<const CLI::App*> Subcommands(const CLI::App& command) {
  return command.get_subcommands(
      [](const CLI::App* sub) { return !sub->get_name().empty(); });
}

}  // namespace chorus::cli
