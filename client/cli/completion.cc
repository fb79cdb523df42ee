#include "client/cli/completion.h"

#include <algorithm>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "client/cli/command_tree.h"
#include "client/cli/commands.h"
#include "common/cli/help.h"

namespace chorus::cli {
namespace {

std::vector<std::string> Names(const CLI::Option& option) {
  std::vector<std::string> names;
  for (const std::string& name : option.get_snames()) {
    names.push_back(absl::StrCat("-", name));
  }
  for (const std::string& name : option.get_lnames()) {
    names.push_back(absl::StrCat("--", name));
  }
  return names;
}

// How a value of this type completes, as a line of bash; "" for not at all.
std::string ValueCompletion(const CLI::Option& option,
                            const std::string& program) {
  const std::string type = option.get_type_name();
  if (const std::vector<std::string> choices = Choices(option);
      !choices.empty()) {
    return absl::StrCat("COMPREPLY=($(compgen -W \"",
                        absl::StrJoin(choices, " "), "\" -- \"$cur\"))");
  }
  if (type == "FILE") return "COMPREPLY=($(compgen -f -- \"$cur\"))";
  if (type == "DIR") return "COMPREPLY=($(compgen -d -- \"$cur\"))";
  if (type == "CONTEXT") {
    return absl::StrCat("COMPREPLY=($(compgen -W \"$(\"${COMP_WORDS[0]:-",
                        program,
                        "}\" context list 2>/dev/null | cut -f1)\" -- "
                        "\"$cur\"))");
  }
  return "";
}

// What the script knows of each command, by its path.
struct CommandTable {
  std::map<std::string, std::vector<std::string>> commands;
  std::map<std::string, std::vector<std::string>> flags;
  std::map<std::string, std::vector<std::string>> valued_flags;
  std::map<std::string, std::string> argument;     // path -> bash line
  std::map<std::string, std::string> flag_values;  // flag -> bash line
};

void Collect(const CLI::App& command, const std::string& program,
             std::vector<std::string> flags,
             std::vector<std::string> valued_flags, CommandTable* table) {
  const std::string path = CommandPath(command);
  for (const CLI::Option* option : command.get_options()) {
    if (option->get_positional()) {
      if (!table->argument.count(path)) {
        const std::string line = ValueCompletion(*option, program);
        if (!line.empty()) table->argument[path] = line;
      }
      continue;
    }
    for (const std::string& name : Names(*option)) {
      // A command's own flag may share its name with one of a parent's.
      if (std::find(flags.begin(), flags.end(), name) != flags.end()) continue;
      flags.push_back(name);
      if (option->get_expected_max() > 0) {
        valued_flags.push_back(name);
        const std::string line = ValueCompletion(*option, program);
        if (!line.empty()) table->flag_values.emplace(name, line);
      }
    }
  }
  for (const CLI::App* sub : Subcommands(command)) {
    table->commands[path].push_back(sub->get_name());
    Collect(*sub, program, flags, valued_flags, table);
  }
  table->flags[path] = std::move(flags);
  table->valued_flags[path] = std::move(valued_flags);
}

// A bash function printing the words of `table` for the path in $1.
std::string WordsFunction(
    const std::string& name,
    const std::map<std::string, std::vector<std::string>>& table) {
  std::string out = absl::StrCat(name, "() {\n  case \"$1\" in\n");
  for (const auto& [path, words] : table) {
    absl::StrAppend(&out, "    \"", path, "\") echo \"",
                    absl::StrJoin(words, " "), "\" ;;\n");
  }
  absl::StrAppend(&out, "  esac\n}\n");
  return out;
}

std::string CaseFunction(const std::string& name,
                         const std::map<std::string, std::string>& table) {
  std::string out = absl::StrCat(name, "() {\n  case \"$1\" in\n");
  for (const auto& [key, line] : table) {
    absl::StrAppend(&out, "    \"", key, "\") ", line, " ;;\n");
  }
  absl::StrAppend(&out, "  esac\n}\n");
  return out;
}

constexpr char kMain[] = R"bash(__P_complete() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  # bash splits "--flag=value" at '=': complete the value of the flag.
  if [[ $cur == = ]]; then
    cur=""
  elif [[ $prev == = && $COMP_CWORD -ge 2 ]]; then
    prev=${COMP_WORDS[COMP_CWORD-2]}
  fi
  local path="" word i skip=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    if ((skip)); then [[ $word == = ]] || skip=0; continue; fi
    case $word in
      -*) [[ " $(__P_valued "$path") " == *" $word "* ]] && skip=1 ;;
      *) [[ " $(__P_commands "$path") " == *" $word "* ]] &&
           path=${path:+$path }$word ;;
    esac
  done
  COMPREPLY=()
  if [[ $prev == -* && " $(__P_valued "$path") " == *" $prev "* ]]; then
    __P_flag_value "$prev"
  elif [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(__P_flags "$path")" -- "$cur"))
  elif [[ -n $(__P_commands "$path") ]]; then
    COMPREPLY=($(compgen -W "$(__P_commands "$path")" -- "$cur"))
  else
    __P_argument "$path"
  fi
}
complete -F __P_complete PROGRAM
)bash";

}  // namespace

std::string BashCompletion(const CLI::App& tool) {
  const std::string program = tool.get_name();
  CommandTable table;
  Collect(tool, program, {}, {}, &table);
  const std::string prefix = absl::StrCat("__", program);
  return absl::StrCat(
      "# bash completion for ", program, ", generated by `", program,
      " completion bash`.\n",
      WordsFunction(absl::StrCat(prefix, "_commands"), table.commands),
      WordsFunction(absl::StrCat(prefix, "_flags"), table.flags),
      WordsFunction(absl::StrCat(prefix, "_valued"), table.valued_flags),
      CaseFunction(absl::StrCat(prefix, "_argument"), table.argument),
      CaseFunction(absl::StrCat(prefix, "_flag_value"), table.flag_values),
      absl::StrReplaceAll(
          kMain, {{"__P_", absl::StrCat(prefix, "_")}, {"PROGRAM", program}}));
}

std::string ZshCompletion(const CLI::App& tool) {
  return absl::StrCat(
      "# zsh completion for ", tool.get_name(), ", generated by `",
      tool.get_name(),
      " completion zsh`: the bash completion through bashcompinit.\n",
      "autoload -U +X bashcompinit && bashcompinit\n", BashCompletion(tool));
}

int RunCompletion(const CompletionCommand& command) {
  const std::unique_ptr<CLI::App> tool = MakeCommandTree();
  PrintOut(command.shell == CompletionCommand::Shell::kZsh
               ? ZshCompletion(*tool)
               : BashCompletion(*tool));
  return kExitOk;
}

}  // namespace chorus::cli
