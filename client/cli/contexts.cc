#include "client/cli/contexts.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/cli/files.h"
#include "common/string_views.h"
#include "nlohmann/json.hpp"

namespace chorus::cli {
namespace {

using Json = nlohmann::ordered_json;

absl::Status Malformed(std::string_view what) {
  return absl::InvalidArgumentError(AsAbsl(what));
}

// Reads the string field `key` of context `name` into `*out`.
absl::Status ReadString(const std::string& name, const std::string& key,
                        const Json& value, std::string* out) {
  if (!value.is_string()) {
    return Malformed(
        absl::StrCat("context ", name, ": ", key, " must be a string"));
  }
  *out = value.get<std::string>();
  return absl::OkStatus();
}

absl::StatusOr<Context> ReadContext(const std::string& name, const Json& json) {
  if (absl::Status valid = CheckContextName(name); !valid.ok()) return valid;
  if (!json.is_object()) {
    return Malformed(absl::StrCat("context ", name, " must be an object"));
  }
  Context context;
  context.name = name;
  for (const auto& [key, value] : json.items()) {
    absl::Status read;
    if (key == "servers") {
      if (!value.is_array() || value.empty()) {
        return Malformed(absl::StrCat("context ", name,
                                      ": servers must be a list of HOST:PORT"));
      }
      for (const Json& server : value) {
        std::string text;
        read = ReadString(name, key, server, &text);
        if (!read.ok()) break;
        context.servers.push_back(std::move(text));
      }
    } else if (key == "token_file") {
      read = ReadString(name, key, value, &context.token_file);
    } else if (key == "client_name") {
      read = ReadString(name, key, value, &context.client_name);
    } else if (key == "description") {
      read = ReadString(name, key, value, &context.description);
    } else {
      return Malformed(absl::StrCat("context ", name, ": unknown key \"", key,
                                    "\" (written by a newer chorus?)"));
    }
    if (!read.ok()) return read;
  }
  if (context.servers.empty()) {
    return Malformed(absl::StrCat("context ", name, " has no servers"));
  }
  return context;
}

}  // namespace

const Context* ContextFile::Find(std::string_view name) const {
  auto it = std::find_if(contexts.begin(), contexts.end(),
                         [&](const Context& c) { return c.name == name; });
  return it == contexts.end() ? nullptr : &*it;
}

void ContextFile::Put(Context context) {
  auto it = std::lower_bound(
      contexts.begin(), contexts.end(), context.name,
      [](const Context& c, const std::string& name) { return c.name < name; });
  if (it != contexts.end() && it->name == context.name) {
    *it = std::move(context);
  } else {
    contexts.insert(it, std::move(context));
  }
}

bool ContextFile::Remove(std::string_view name) {
  auto it = std::find_if(contexts.begin(), contexts.end(),
                         [&](const Context& c) { return c.name == name; });
  if (it == contexts.end()) return false;
  contexts.erase(it);
  if (current == name) current.clear();
  return true;
}

std::string ContextsPath(const char* xdg_config_home, const char* home) {
  // The XDG base directory spec: relative paths are to be ignored.
  if (xdg_config_home != nullptr && xdg_config_home[0] == '/') {
    return absl::StrCat(xdg_config_home, "/chorus/contexts.json");
  }
  if (home != nullptr && home[0] != '\0') {
    return absl::StrCat(home, "/.config/chorus/contexts.json");
  }
  return "";
}

absl::Status CheckContextName(std::string_view name) {
  const bool valid =
      !name.empty() && name[0] != '.' &&
      std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 || c == '.' || c == '_' || c == '-';
      });
  if (valid) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("context name \"", AsAbsl(name),
                   "\" must be letters, digits, '.', '_' and '-', not "
                   "starting with '.'"));
}

absl::StatusOr<ContextFile> ParseContexts(std::string_view text) {
  const Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return Malformed("not a JSON object");
  }
  ContextFile file;
  for (const auto& [key, value] : json.items()) {
    if (key == "current") {
      if (!value.is_string()) return Malformed("current must be a string");
      file.current = value.get<std::string>();
    } else if (key == "contexts") {
      if (!value.is_object()) return Malformed("contexts must be an object");
      for (const auto& [name, fields] : value.items()) {
        absl::StatusOr<Context> context = ReadContext(name, fields);
        if (!context.ok()) return context.status();
        file.Put(*std::move(context));
      }
    } else {
      return Malformed(absl::StrCat("unknown key \"", key,
                                    "\" (written by a newer chorus?)"));
    }
  }
  if (!file.current.empty() && file.Find(file.current) == nullptr) {
    return Malformed(absl::StrCat("current names context ", file.current,
                                  ", which does not exist"));
  }
  return file;
}

std::string ContextsToJson(const ContextFile& file) {
  Json contexts = Json::object();
  for (const Context& context : file.contexts) {
    Json fields = Json::object();
    fields["servers"] = context.servers;
    if (!context.token_file.empty()) fields["token_file"] = context.token_file;
    if (!context.client_name.empty()) {
      fields["client_name"] = context.client_name;
    }
    if (!context.description.empty()) {
      fields["description"] = context.description;
    }
    contexts[context.name] = std::move(fields);
  }
  Json json = Json::object();
  if (!file.current.empty()) json["current"] = file.current;
  json["contexts"] = std::move(contexts);
  // Strings that are not UTF-8 (from a command line) become U+FFFD rather
  // than an exception.
  return json.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

absl::StatusOr<ContextFile> LoadContexts(const std::string& path) {
  if (path.empty()) return ContextFile{};
  absl::StatusOr<std::string> text = ReadFile(path);
  if (absl::IsNotFound(text.status())) return ContextFile{};
  if (!text.ok()) return text.status();
  absl::StatusOr<ContextFile> file = ParseContexts(*text);
  if (!file.ok()) {
    return absl::Status(file.status().code(),
                        absl::StrCat(path, ": ", file.status().message()));
  }
  return file;
}

absl::Status SaveContexts(const std::string& path, const ContextFile& file) {
  if (path.empty()) {
    return absl::FailedPreconditionError(
        "no folder to keep contexts in: set $HOME or $XDG_CONFIG_HOME");
  }
  return WritePrivateFile(path, ContextsToJson(file));
}

}  // namespace chorus::cli
