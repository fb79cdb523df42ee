// Contexts: named settings for reaching a broker (servers, token file,
// client name), kept for the user as the nats CLI keeps its own.
//
//   const std::string path =
//       ContextsPath(getenv("XDG_CONFIG_HOME"), getenv("HOME"));
//   absl::StatusOr<ContextFile> file = LoadContexts(path);
//   const Context* prod = file->Find("prod");  // prod->servers...
//   file->current = "prod";
//   absl::Status saved = SaveContexts(path, *file);
//
// The file, $XDG_CONFIG_HOME/chorus/contexts.json, is JSON readable by its
// owner only (files.h: WritePrivateFile); a token is kept as the path of
// the file that holds it, never copied in:
//
//   {"current": "prod",
//    "contexts": {"prod": {"servers": ["broker-1:7400", "broker-2:7400"],
//                          "token_file": "/home/me/.chorus/prod.token",
//                          "client_name": "ops", "description": "..."}}}
//
// Unknown keys are refused rather than dropped on the next save, so that
// a context written by a newer chorus is not silently stripped.
#ifndef CHORUS_CLIENT_CLI_CONTEXTS_H_
#define CHORUS_CLIENT_CLI_CONTEXTS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace chorus::cli {

struct Context {
  std::string name;
  // Tried in order; never empty.
  std::vector<std::string> servers;
  // Absolute path of the file holding the auth token; "" for none.
  std::string token_file;
  // "" leaves the default (or what else gives it).
  std::string client_name;
  std::string description;
};

struct ContextFile {
  // The context `chorus context use` selected; "" for none.
  std::string current;
  // Sorted by name; names are unique.
  std::vector<Context> contexts;

  const Context* Find(std::string_view name) const;
  // Adds or replaces the context of that name, keeping the order.
  void Put(Context context);
  // Whether there was one; clears `current` if it named it.
  bool Remove(std::string_view name);
};

// Where the contexts live: $XDG_CONFIG_HOME/chorus/contexts.json when
// `xdg_config_home` is an absolute path, else
// $HOME/.config/chorus/contexts.json; "" when neither is usable. Either
// argument may be null.
std::string ContextsPath(const char* xdg_config_home, const char* home);

// Letters, digits, '.', '_' and '-', not starting with '.';
// kInvalidArgument otherwise.
absl::Status CheckContextName(std::string_view name);

// The file's JSON text and back. kInvalidArgument says what is malformed.
absl::StatusOr<ContextFile> ParseContexts(std::string_view json);
std::string ContextsToJson(const ContextFile& file);

// A missing file, or an empty `path`, reads as no contexts. Errors name
// the path: kInvalidArgument for a malformed file, others from reading.
absl::StatusOr<ContextFile> LoadContexts(const std::string& path);
// kFailedPrecondition for an empty `path` (no $HOME to keep them in).
absl::Status SaveContexts(const std::string& path, const ContextFile& file);

}  // namespace chorus::cli

#endif  // CHORUS_CLIENT_CLI_CONTEXTS_H_
