#include "client/cli/command_line.h"

#include <filesystem>
#include <limits>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/connect.h"
#include "client/cli/values.h"
#include "common/cli/help.h"
#include "common/cli/parse.h"
#include "common/status_macros.h"
#include "common/string_views.h"

namespace chorus::cli {
namespace {

absl::Status Usage(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

// Prefixes a value parser's error with the flag's name.
template <typename T>
absl::StatusOr<T> FlagValue(absl::string_view flag, absl::StatusOr<T> value) {
  if (value.ok()) return value;
  return Usage(absl::StrCat(flag, ": ", value.status().message()));
}

absl::StatusOr<PubCommand> ParsePub(const ParsedCommand& args) {
  PubCommand pub;
  pub.topic = *args.Value("TOPIC");
  if (const std::string* message = args.Value("MESSAGE")) {
    pub.message = *message;
  }
  if (const std::string* key = args.Value("--key")) pub.key = *key;
  for (const std::string& header : args.Values("--header")) {
    const size_t eq = header.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Usage(
          absl::StrCat("--header: expected NAME=VALUE, got \"", header, "\""));
    }
    pub.headers.emplace_back(header.substr(0, eq), header.substr(eq + 1));
  }
  pub.bind = args.Has("--bind");
  if (const std::string* ttl = args.Value("--lease-ttl")) {
    CHORUS_ASSIGN_OR_RETURN(pub.lease_ttl,
                            FlagValue("--lease-ttl", ParseTimeout(*ttl)));
  }
  if ((pub.bind || pub.lease_ttl.has_value()) && pub.key.empty()) {
    return Usage("--bind and --lease-ttl need --key (they bind a key)");
  }
  return pub;
}

// --durable, --group, --ack, --ack-wait, --max-deliveries, --dead-letter
// and --from-publisher.
absl::Status ParseSubscriptionFlags(const ParsedCommand& args,
                                    SubscribeOptions* options) {
  const std::string* durable = args.Value("--durable");
  const std::string* group = args.Value("--group");
  if (durable != nullptr && group != nullptr) {
    return Usage("--durable and --group exclude each other");
  }
  if (durable != nullptr || group != nullptr) {
    options->name = durable != nullptr ? *durable : *group;
    options->group = group != nullptr;
    options->ack = AckMode::kExplicit;
  }
  if (const std::string* ack = args.Value("--ack")) {
    if (*ack == "none") {
      options->ack = AckMode::kNone;
    } else if (*ack == "auto") {
      options->ack = AckMode::kAuto;
    } else if (*ack == "explicit") {
      options->ack = AckMode::kExplicit;
    } else {
      return Usage(absl::StrCat(
          "--ack: expected none, auto or explicit, got \"", *ack, "\""));
    }
  }
  if (const std::string* wait = args.Value("--ack-wait")) {
    CHORUS_ASSIGN_OR_RETURN(options->ack_wait,
                            FlagValue("--ack-wait", ParseTimeout(*wait)));
  }
  if (const std::string* n = args.Value("--max-deliveries")) {
    CHORUS_ASSIGN_OR_RETURN(
        const uint64_t max,
        FlagValue("--max-deliveries",
                  ParseUnsigned(*n, 1, std::numeric_limits<uint32_t>::max())));
    options->max_deliveries = static_cast<uint32_t>(max);
  }
  if (const std::string* topic = args.Value("--dead-letter")) {
    options->dead_letter_topic = *topic;
  }
  if (const std::string* publisher = args.Value("--from-publisher")) {
    options->from_publisher = *publisher;
  }
  return absl::OkStatus();
}

absl::StatusOr<SubCommand> ParseSub(const ParsedCommand& args) {
  SubCommand sub;
  sub.filter = *args.Value("FILTER");
  if (const std::string* from = args.Value("--from")) {
    CHORUS_ASSIGN_OR_RETURN(sub.start,
                            FlagValue("--from", ParseStartPosition(*from)));
  }
  CHORUS_RETURN_IF_ERROR(ParseSubscriptionFlags(args, &sub.options));
  if (const std::string* count = args.Value("--count")) {
    CHORUS_ASSIGN_OR_RETURN(
        sub.count,
        FlagValue(
            "--count",
            ParseUnsigned(*count, 1, std::numeric_limits<uint64_t>::max())));
  }
  if (const std::string* timeout = args.Value("--timeout")) {
    CHORUS_ASSIGN_OR_RETURN(sub.timeout,
                            FlagValue("--timeout", ParseTimeout(*timeout)));
  }
  if (const std::string* format = args.Value("--format")) {
    if (*format == "text") {
      sub.format = SubCommand::Format::kText;
    } else if (*format == "json") {
      sub.format = SubCommand::Format::kJson;
    } else {
      return Usage(absl::StrCat("--format: expected text or json, got \"",
                                *format, "\""));
    }
  }
  return sub;
}

absl::StatusOr<TopicsCreateCommand> ParseTopicsCreate(
    const ParsedCommand& args) {
  TopicsCreateCommand create;
  create.name = *args.Value("NAME");
  create.config.status = args.Has("--status");
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  if (const std::string* value = args.Value("--partitions")) {
    CHORUS_ASSIGN_OR_RETURN(
        const uint64_t partitions,
        FlagValue(
            "--partitions",
            ParseUnsigned(*value, 1, std::numeric_limits<uint32_t>::max())));
    create.config.partitions = static_cast<uint32_t>(partitions);
  }
  if (const std::string* value = args.Value("--retention-age")) {
    CHORUS_ASSIGN_OR_RETURN(
        create.config.retention_age,
        FlagValue("--retention-age", ParseRetentionAge(*value)));
  }
  if (const std::string* value = args.Value("--retention-bytes")) {
    CHORUS_ASSIGN_OR_RETURN(
        create.config.retention_bytes,
        FlagValue("--retention-bytes", ParseUnsigned(*value, 0, kMax)));
  }
  if (const std::string* value = args.Value("--retention-messages")) {
    CHORUS_ASSIGN_OR_RETURN(
        create.config.retention_messages,
        FlagValue("--retention-messages", ParseUnsigned(*value, 0, kMax)));
  }
  return create;
}

absl::StatusOr<ContextAddCommand> ParseContextAdd(const ParsedCommand& args) {
  ContextAddCommand add;
  add.context.name = *args.Value("NAME");
  CHORUS_RETURN_IF_ERROR(CheckContextName(add.context.name));
  CHORUS_ASSIGN_OR_RETURN(
      add.context.servers,
      FlagValue("--server", ParseServerList(*args.Value("--server"))));
  if (const std::string* file = args.Value("--token-file")) {
    // Later commands run from other folders.
    std::error_code error;
    const std::filesystem::path path = std::filesystem::absolute(*file, error);
    if (error || file->empty()) {
      return Usage(absl::StrCat("--token-file: bad path \"", *file, "\""));
    }
    add.context.token_file = path.lexically_normal().string();
  }
  if (const std::string* name = args.Value("--client-name")) {
    add.context.client_name = *name;
  }
  if (const std::string* text = args.Value("--description")) {
    add.context.description = *text;
  }
  add.use = args.Has("--use");
  return add;
}

// The context --context names, else $CHORUS_CONTEXT, else the selected one;
// "" for none.
absl::StatusOr<std::string> ContextInEffect(const ParsedCommand& tool,
                                            const Environment& environment) {
  if (const std::string* name = tool.Value("--context")) return *name;
  if (!environment.context.empty()) return environment.context;
  if (!environment.contexts.ok()) return environment.contexts.status();
  return environment.contexts->current;
}

absl::StatusOr<Command> ParseContext(const std::string& verb,
                                     const ParsedCommand& args,
                                     const ParsedCommand& tool,
                                     const Environment& environment) {
  if (verb == "add") return ParseContextAdd(args);
  if (verb == "use") return ContextUseCommand{*args.Value("NAME")};
  if (verb == "remove") return ContextRemoveCommand{*args.Value("NAME")};
  if (const std::string* name = args.Value("NAME")) {
    return ContextShowCommand{*name};
  }
  CHORUS_ASSIGN_OR_RETURN(std::string in_effect,
                          ContextInEffect(tool, environment));
  if (verb == "list") return ContextListCommand{std::move(in_effect)};
  return ContextShowCommand{std::move(in_effect)};
}

absl::StatusOr<HelpCommand> ParseHelp(const CLI::App& tool,
                                      const ParsedCommand& args) {
  const CLI::App* command = &tool;
  for (const std::string& word : args.Values("COMMAND")) {
    const CLI::App* next = nullptr;
    for (const CLI::App* sub : Subcommands(*command)) {
      if (sub->get_name() == word) next = sub;
    }
    if (next == nullptr) {
      return Usage(absl::StrCat("help: no command \"", CommandPath(*command),
                                command == &tool ? "" : " ", word, "\""));
    }
    command = next;
  }
  return HelpCommand{HelpText(*command)};
}

absl::StatusOr<CompletionCommand> ParseCompletion(const ParsedCommand& args) {
  const std::string& shell = *args.Value("SHELL");
  if (shell == "bash")
    return CompletionCommand{CompletionCommand::Shell::kBash};
  if (shell == "zsh") return CompletionCommand{CompletionCommand::Shell::kZsh};
  return Usage(
      absl::StrCat("completion: expected bash or zsh, got \"", shell, "\""));
}

absl::StatusOr<Command> ParseCommand(const CLI::App& tool,
                                     const CLI::App& command,
                                     const Environment& environment) {
  const ParsedCommand args(command);
  const std::string path = CommandPath(command);
  if (path == "pub") return ParsePub(args);
  if (path == "sub") return ParseSub(args);
  if (path == "subs list") return SubsListCommand{};
  if (path == "subs describe") return SubsDescribeCommand{*args.Value("NAME")};
  if (path == "subs delete") return SubsDeleteCommand{*args.Value("NAME")};
  if (path == "status") {
    return StatusCommand{*args.Value("TOPIC"), args.Has("--watch")};
  }
  if (path == "topics create") return ParseTopicsCreate(args);
  if (path == "topics list") return TopicsListCommand{};
  if (path == "topics describe") {
    return TopicsDescribeCommand{*args.Value("NAME")};
  }
  if (path == "topics delete") return TopicsDeleteCommand{*args.Value("NAME")};
  if (path == "cluster status") return ClusterStatusCommand{};
  if (path.rfind("context ", 0) == 0) {
    return ParseContext(path.substr(std::string_view("context ").size()), args,
                        ParsedCommand(tool), environment);
  }
  if (path == "completion") return ParseCompletion(args);
  if (path == "help") return ParseHelp(tool, args);
  // A command in the tree without a parser here is a bug.
  return absl::InternalError(absl::StrCat("no parser for command ", path));
}

// The settings of `*line` from the sources of the header's comment.
absl::Status ResolveConnection(const ParsedCommand& tool,
                               const Environment& environment,
                               CommandLine* line) {
  if (!environment.contexts.ok()) return environment.contexts.status();
  const ContextFile& file = *environment.contexts;
  const auto find =
      [&file](const std::string& name,
              std::string_view source) -> absl::StatusOr<const Context*> {
    if (name.empty()) return nullptr;
    const Context* context = file.Find(name);
    if (context == nullptr) {
      return absl::NotFoundError(absl::StrCat(
          "context ", name, " (", AsAbsl(source),
          ") does not exist; `chorus context list` shows the contexts"));
    }
    return context;
  };
  const std::string* flag_context = tool.Value("--context");
  CHORUS_ASSIGN_OR_RETURN(
      const Context* named,
      find(flag_context != nullptr ? *flag_context : "", "--context"));
  CHORUS_ASSIGN_OR_RETURN(const Context* ambient,
                          environment.context.empty()
                              ? find(file.current, "selected")
                              : find(environment.context, "$CHORUS_CONTEXT"));

  if (const std::string* server = tool.Value("--server")) {
    line->server = *server;
  } else if (named != nullptr) {
    line->server = absl::StrJoin(named->servers, ",");
  } else if (!environment.server.empty()) {
    line->server = environment.server;
  } else if (ambient != nullptr) {
    line->server = absl::StrJoin(ambient->servers, ",");
  } else {
    line->server = std::string(kDefaultServer);
  }
  CHORUS_RETURN_IF_ERROR(
      FlagValue("--server", ParseServerList(line->server)).status());

  if (const std::string* file_name = tool.Value("--token-file")) {
    line->token_file = *file_name;
  } else if (named != nullptr && !named->token_file.empty()) {
    line->token_file = named->token_file;
  } else if (!environment.auth_token.empty()) {
    line->auth_token = environment.auth_token;
  } else if (ambient != nullptr) {
    line->token_file = ambient->token_file;
  }

  if (const std::string* name = tool.Value("--client-name")) {
    if (name->empty()) return Usage("--client-name must not be empty");
    line->client_name = *name;
  } else if (named != nullptr && !named->client_name.empty()) {
    line->client_name = named->client_name;
  } else if (ambient != nullptr && !ambient->client_name.empty()) {
    line->client_name = ambient->client_name;
  }
  return absl::OkStatus();
}

}  // namespace

bool ConnectsToBroker(const Command& command) {
  return !std::holds_alternative<HelpCommand>(command) &&
         !std::holds_alternative<VersionCommand>(command) &&
         !std::holds_alternative<ContextAddCommand>(command) &&
         !std::holds_alternative<ContextUseCommand>(command) &&
         !std::holds_alternative<ContextRemoveCommand>(command) &&
         !std::holds_alternative<ContextListCommand>(command) &&
         !std::holds_alternative<ContextShowCommand>(command) &&
         !std::holds_alternative<CompletionCommand>(command);
}

absl::StatusOr<CommandLine> ParseCommandLine(
    const std::vector<std::string>& args, const Environment& environment) {
  const std::unique_ptr<CLI::App> tool = MakeCommandTree();
  const ParseOutcome outcome = ParseCommandTree(*tool, args);
  CommandLine line;
  switch (outcome.kind) {
    case ParseOutcome::Kind::kUsageError:
      return Usage(outcome.text);
    case ParseOutcome::Kind::kHelp:
      line.command = HelpCommand{outcome.text};
      return line;
    case ParseOutcome::Kind::kVersion:
      line.command = VersionCommand{outcome.text};
      return line;
    case ParseOutcome::Kind::kRun:
      break;
  }
  CHORUS_ASSIGN_OR_RETURN(line.command,
                          ParseCommand(*tool, *outcome.command, environment));
  if (ConnectsToBroker(line.command)) {
    CHORUS_RETURN_IF_ERROR(
        ResolveConnection(ParsedCommand(*tool), environment, &line));
  }
  return line;
}

std::string UsageForCommandLine(const std::vector<std::string>& args) {
  const std::unique_ptr<CLI::App> tool = MakeCommandTree();
  return UsageHint(*ParseCommandTree(*tool, args).command);
}

}  // namespace chorus::cli
