#include "client/cli/command_line.h"

#include <limits>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/args.h"
#include "client/cli/values.h"
#include "common/status_macros.h"
#include "common/string_views.h"

namespace chorus::cli {

const char kUsage[] =
    R"(usage: chorus [--server HOST:PORT] COMMAND ...

  chorus pub TOPIC [--key K] [--header NAME=VALUE]... [MESSAGE]
      Publish MESSAGE, or each line of standard input as one message.
  chorus sub FILTER [--from latest|earliest|offset:N|time:RFC3339|last:N]
                    [--count N] [--timeout SECONDS] [--format text|json]
      Print messages as they arrive, until --count messages, --timeout
      seconds without one, or SIGINT/SIGTERM.
  chorus topics create NAME [--partitions N] [--retention-age DURATION]
                            [--retention-bytes N] [--retention-messages N]
  chorus topics list
  chorus topics describe NAME
  chorus topics delete NAME

The server is --server, else $CHORUS_SERVER, else 127.0.0.1:7400.
)";

namespace {

const std::vector<FlagSpec>& AllFlags() {
  static const auto* const kFlags = new std::vector<FlagSpec>{
      {"server"},
      {"help", false},
      {"key"},
      {"header", true, true},
      {"from"},
      {"count"},
      {"timeout"},
      {"format"},
      {"partitions"},
      {"retention-age"},
      {"retention-bytes"},
      {"retention-messages"},
  };
  return *kFlags;
}

absl::Status Usage(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

// Fails if a flag was given that `command` does not take.
absl::Status CheckFlags(const ParsedArgs& args, absl::string_view command,
                        const std::set<std::string_view>& allowed) {
  for (const auto& [name, values] : args.flags) {
    if (name == "server" || name == "help" || allowed.count(name) > 0) {
      continue;
    }
    return Usage(absl::StrCat("flag --", name, " does not apply to ", command));
  }
  return absl::OkStatus();
}

absl::Status CheckPositionals(const ParsedArgs& args, size_t min, size_t max,
                              absl::string_view what) {
  const size_t n = args.positionals.size();
  if (n < min || n > max) {
    return Usage(absl::StrCat("expected ", what));
  }
  return absl::OkStatus();
}

// Prefixes a value parser's error with the flag's name.
template <typename T>
absl::StatusOr<T> FlagValue(absl::string_view flag, absl::StatusOr<T> value) {
  if (value.ok()) return value;
  return Usage(absl::StrCat("--", flag, ": ", value.status().message()));
}

absl::StatusOr<PubCommand> ParsePub(const ParsedArgs& args) {
  CHORUS_RETURN_IF_ERROR(CheckFlags(args, "pub", {"key", "header"}));
  CHORUS_RETURN_IF_ERROR(
      CheckPositionals(args, 2, 3, "pub TOPIC [MESSAGE] (quote the message)"));
  PubCommand pub;
  pub.topic = args.positionals[1];
  if (args.positionals.size() == 3) pub.message = args.positionals[2];
  if (const std::string* key = args.Value("key")) pub.key = *key;
  for (const std::string& header : args.Values("header")) {
    const size_t eq = header.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Usage(
          absl::StrCat("--header: expected NAME=VALUE, got \"", header, "\""));
    }
    pub.headers.emplace_back(header.substr(0, eq), header.substr(eq + 1));
  }
  return pub;
}

absl::StatusOr<SubCommand> ParseSub(const ParsedArgs& args) {
  CHORUS_RETURN_IF_ERROR(
      CheckFlags(args, "sub", {"from", "count", "timeout", "format"}));
  CHORUS_RETURN_IF_ERROR(CheckPositionals(args, 2, 2, "sub FILTER"));
  SubCommand sub;
  sub.filter = args.positionals[1];
  if (const std::string* from = args.Value("from")) {
    CHORUS_ASSIGN_OR_RETURN(sub.start,
                            FlagValue("from", ParseStartPosition(*from)));
  }
  if (const std::string* count = args.Value("count")) {
    CHORUS_ASSIGN_OR_RETURN(
        sub.count,
        FlagValue(
            "count",
            ParseUnsigned(*count, 1, std::numeric_limits<uint64_t>::max())));
  }
  if (const std::string* timeout = args.Value("timeout")) {
    CHORUS_ASSIGN_OR_RETURN(sub.timeout,
                            FlagValue("timeout", ParseTimeout(*timeout)));
  }
  if (const std::string* format = args.Value("format")) {
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

absl::StatusOr<TopicsCreateCommand> ParseTopicsCreate(const ParsedArgs& args) {
  CHORUS_RETURN_IF_ERROR(CheckFlags(args, "topics create",
                                    {"partitions", "retention-age",
                                     "retention-bytes", "retention-messages"}));
  CHORUS_RETURN_IF_ERROR(CheckPositionals(args, 3, 3, "topics create NAME"));
  TopicsCreateCommand create;
  create.name = args.positionals[2];
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  if (const std::string* value = args.Value("partitions")) {
    CHORUS_ASSIGN_OR_RETURN(
        const uint64_t partitions,
        FlagValue(
            "partitions",
            ParseUnsigned(*value, 1, std::numeric_limits<uint32_t>::max())));
    create.config.partitions = static_cast<uint32_t>(partitions);
  }
  if (const std::string* value = args.Value("retention-age")) {
    CHORUS_ASSIGN_OR_RETURN(
        create.config.retention_age,
        FlagValue("retention-age", ParseRetentionAge(*value)));
  }
  if (const std::string* value = args.Value("retention-bytes")) {
    CHORUS_ASSIGN_OR_RETURN(
        create.config.retention_bytes,
        FlagValue("retention-bytes", ParseUnsigned(*value, 0, kMax)));
  }
  if (const std::string* value = args.Value("retention-messages")) {
    CHORUS_ASSIGN_OR_RETURN(
        create.config.retention_messages,
        FlagValue("retention-messages", ParseUnsigned(*value, 0, kMax)));
  }
  return create;
}

absl::StatusOr<Command> ParseTopics(const ParsedArgs& args) {
  if (args.positionals.size() < 2) {
    return Usage("expected topics create|list|describe|delete");
  }
  const std::string& verb = args.positionals[1];
  if (verb == "create") return ParseTopicsCreate(args);
  if (verb == "list") {
    CHORUS_RETURN_IF_ERROR(CheckFlags(args, "topics list", {}));
    CHORUS_RETURN_IF_ERROR(CheckPositionals(args, 2, 2, "topics list"));
    return TopicsListCommand{};
  }
  if (verb == "describe" || verb == "delete") {
    const std::string command = absl::StrCat("topics ", verb);
    CHORUS_RETURN_IF_ERROR(CheckFlags(args, command, {}));
    CHORUS_RETURN_IF_ERROR(
        CheckPositionals(args, 3, 3, absl::StrCat(command, " NAME")));
    if (verb == "describe") return TopicsDescribeCommand{args.positionals[2]};
    return TopicsDeleteCommand{args.positionals[2]};
  }
  return Usage(absl::StrCat("unknown topics command \"", verb,
                            "\" (expected create, list, describe or delete)"));
}

}  // namespace

absl::StatusOr<CommandLine> ParseCommandLine(
    const std::vector<std::string>& args, std::string_view env_server) {
  CHORUS_ASSIGN_OR_RETURN(ParsedArgs parsed, ParseArgs(args, AllFlags()));
  CommandLine line;
  if (const std::string* server = parsed.Value("server")) {
    line.server = *server;
  } else if (!env_server.empty()) {
    line.server = std::string(env_server);
  } else {
    line.server = std::string(kDefaultServer);
  }
  if (parsed.Has("help")) {
    line.command = HelpCommand{};
    return line;
  }
  if (parsed.positionals.empty()) return Usage("no command given");
  const std::string& command = parsed.positionals[0];
  if (command == "pub") {
    CHORUS_ASSIGN_OR_RETURN(line.command, ParsePub(parsed));
  } else if (command == "sub") {
    CHORUS_ASSIGN_OR_RETURN(line.command, ParseSub(parsed));
  } else if (command == "topics") {
    CHORUS_ASSIGN_OR_RETURN(line.command, ParseTopics(parsed));
  } else if (command == "help") {
    line.command = HelpCommand{};
  } else {
    return Usage(absl::StrCat("unknown command \"", command,
                              "\" (expected pub, sub or topics)"));
  }
  return line;
}

}  // namespace chorus::cli
