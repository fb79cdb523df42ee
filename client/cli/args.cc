#include "client/cli/args.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/string_views.h"

namespace chorus::cli {

bool ParsedArgs::Has(std::string_view name) const {
  return flags.find(name) != flags.end();
}

const std::string* ParsedArgs::Value(std::string_view name) const {
  auto it = flags.find(name);
  if (it == flags.end() || it->second.empty()) return nullptr;
  return &it->second.back();
}

std::vector<std::string> ParsedArgs::Values(std::string_view name) const {
  auto it = flags.find(name);
  return it == flags.end() ? std::vector<std::string>{} : it->second;
}

absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                                     const std::vector<FlagSpec>& specs) {
  ParsedArgs parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      parsed.positionals.insert(parsed.positionals.end(), args.begin() + i + 1,
                                args.end());
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      parsed.positionals.push_back(arg);
      continue;
    }
    std::string_view flag = arg;
    if (flag == "-h") {
      flag = "--help";
    } else if (flag.substr(0, 2) != "--") {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag ", arg, " (flags are spelled --name)"));
    }
    flag.remove_prefix(2);
    std::string_view name = flag;
    const std::string* inline_value = nullptr;
    std::string value_holder;
    if (const size_t eq = flag.find('='); eq != std::string_view::npos) {
      name = flag.substr(0, eq);
      value_holder = std::string(flag.substr(eq + 1));
      inline_value = &value_holder;
    }
    auto spec = std::find_if(specs.begin(), specs.end(),
                             [&](const FlagSpec& s) { return s.name == name; });
    if (spec == specs.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", AsAbsl(name)));
    }
    std::vector<std::string>& values = parsed.flags[std::string(name)];
    if (!values.empty() && !spec->repeatable) {
      return absl::InvalidArgumentError(
          absl::StrCat("flag --", AsAbsl(name), " given more than once"));
    }
    if (!spec->takes_value) {
      if (inline_value != nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("flag --", AsAbsl(name), " takes no value"));
      }
      values.emplace_back();
    } else if (inline_value != nullptr) {
      values.push_back(*inline_value);
    } else if (i + 1 < args.size()) {
      values.push_back(args[++i]);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("flag --", AsAbsl(name), " needs a value"));
    }
  }
  return parsed;
}

}  // namespace chorus::cli
