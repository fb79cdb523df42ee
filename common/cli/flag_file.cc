#include "common/cli/flag_file.h"

#include <algorithm>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/flag_names.h"

namespace chorus::cli {

CLI::Option* AddFlagFileOption(CLI::App& app, const std::string& description) {
  app.config_formatter(std::make_shared<FlagFileFormat>());
  // CLI11 ignores unknown names in config files unless told otherwise.
  app.allow_config_extras(CLI::config_extras_mode::error);
  return app.set_config("--flagfile", "", description)->type_name("FILE");
}

std::vector<CLI::ConfigItem> FlagFileFormat::from_config(
    std::istream& input) const {
  std::vector<CLI::ConfigItem> items;
  std::string line;
  for (int number = 1; std::getline(input, line); ++number) {
    const std::string text(absl::StripAsciiWhitespace(line));
    if (text.empty() || text[0] == '#') continue;
    if (text.size() < 3 || text.rfind("--", 0) != 0) {
      throw CLI::ConfigError(absl::StrCat("flag file line ", number,
                                          ": expected --name=value, got \"",
                                          text, "\""));
    }
    const std::string flag = RespellFlag(text, '_', '-');
    const size_t equals = flag.find('=');
    CLI::ConfigItem item;
    item.name = flag.substr(
        2, equals == std::string::npos ? std::string::npos : equals - 2);
    item.inputs = {equals == std::string::npos ? "true"
                                               : flag.substr(equals + 1)};
    auto same = std::find_if(items.begin(), items.end(),
                             [&](const CLI::ConfigItem& earlier) {
                               return earlier.name == item.name;
                             });
    if (same != items.end()) items.erase(same);
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace chorus::cli
