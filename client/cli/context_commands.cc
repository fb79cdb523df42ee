// The `chorus context` commands: add, use, list, show and remove contexts.
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/commands.h"
#include "client/cli/contexts.h"
#include "common/string_views.h"

namespace chorus::cli {
namespace {

// Loads the contexts file, printing the error if that fails.
bool Load(const std::string& path, ContextFile* file) {
  absl::StatusOr<ContextFile> loaded = LoadContexts(path);
  if (!loaded.ok()) {
    PrintError(AsStd(loaded.status().message()));
    return false;
  }
  *file = *std::move(loaded);
  return true;
}

bool Save(const std::string& path, const ContextFile& file) {
  if (absl::Status saved = SaveContexts(path, file); !saved.ok()) {
    PrintError(absl::StrCat("save contexts: ", saved.message()));
    return false;
  }
  return true;
}

void PrintNoSuchContext(const std::string& name) {
  PrintError(absl::StrCat("context ", name,
                          " does not exist; `chorus context list` shows the "
                          "contexts"));
}

}  // namespace

int RunContextAdd(const std::string& path, const ContextAddCommand& command) {
  ContextFile file;
  if (!Load(path, &file)) return kExitFailure;
  const std::string& name = command.context.name;
  if (file.Find(name) != nullptr) {
    PrintError(absl::StrCat("context ", name,
                            " already exists; remove it first to replace it"));
    return kExitFailure;
  }
  file.Put(command.context);
  if (command.use) file.current = name;
  if (!Save(path, file)) return kExitFailure;
  const std::string note =
      command.use
          ? ", now in use"
          : absl::StrCat(" (select it with `chorus context use ", name, "`)");
  std::fprintf(stderr, "added context %s%s\n", name.c_str(), note.c_str());
  return kExitOk;
}

int RunContextUse(const std::string& path, const ContextUseCommand& command) {
  ContextFile file;
  if (!Load(path, &file)) return kExitFailure;
  if (file.Find(command.name) == nullptr) {
    PrintNoSuchContext(command.name);
    return kExitFailure;
  }
  file.current = command.name;
  if (!Save(path, file)) return kExitFailure;
  std::fprintf(stderr, "using context %s\n", command.name.c_str());
  return kExitOk;
}

int RunContextRemove(const std::string& path,
                     const ContextRemoveCommand& command) {
  ContextFile file;
  if (!Load(path, &file)) return kExitFailure;
  if (!file.Remove(command.name)) {
    PrintNoSuchContext(command.name);
    return kExitFailure;
  }
  if (!Save(path, file)) return kExitFailure;
  std::fprintf(stderr, "removed context %s\n", command.name.c_str());
  return kExitOk;
}

int RunContextList(const std::string& path, const ContextListCommand& command) {
  ContextFile file;
  if (!Load(path, &file)) return kExitFailure;
  std::string out;
  for (const Context& context : file.contexts) {
    absl::StrAppend(&out, context.name, "\t",
                    absl::StrJoin(context.servers, ","),
                    context.name == command.selected ? "\tselected" : "", "\n");
  }
  PrintOut(out);
  return kExitOk;
}

int RunContextShow(const std::string& path, const ContextShowCommand& command) {
  if (command.name.empty()) {
    PrintError("no context in effect; `chorus context use NAME` selects one");
    return kExitFailure;
  }
  ContextFile file;
  if (!Load(path, &file)) return kExitFailure;
  const Context* context = file.Find(command.name);
  if (context == nullptr) {
    PrintNoSuchContext(command.name);
    return kExitFailure;
  }
  std::string out =
      absl::StrCat("name: ", context->name,
                   "\nservers: ", absl::StrJoin(context->servers, ","), "\n");
  if (!context->token_file.empty()) {
    absl::StrAppend(&out, "token-file: ", context->token_file, "\n");
  }
  if (!context->client_name.empty()) {
    absl::StrAppend(&out, "client-name: ", context->client_name, "\n");
  }
  if (!context->description.empty()) {
    absl::StrAppend(&out, "description: ", context->description, "\n");
  }
  PrintOut(out);
  return kExitOk;
}

}  // namespace chorus::cli
