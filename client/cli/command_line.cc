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
    R"(usage: chorus [--server HOST:PORT] [--client-name NAME] COMMAND ...

  chorus pub TOPIC [--key K] [--header NAME=VALUE]... [--bind]
                   [--lease-ttl DURATION] [MESSAGE]
      Publish MESSAGE, or each line of standard input as one message.
      On a status topic, --bind makes the key go stale when the command
      ends; --lease-ttl when its lease runs out after the command ended.
  chorus sub FILTER [--from latest|earliest|offset:N|time:RFC3339|last:N|
                            snapshot]
                    [--count N] [--timeout SECONDS] [--format text|json]
                    [--durable NAME | --group NAME] [--ack none|auto|explicit]
                    [--ack-wait DURATION] [--max-deliveries N]
                    [--dead-letter TOPIC] [--from-publisher NAME]
      Print messages as they arrive, until --count messages, --timeout
      seconds without one, or SIGINT/SIGTERM. --durable keeps the position
      in the broker; --group shares the messages among its members. Both
      ack each message once printed (--ack explicit, their default).
  chorus subs list
  chorus subs describe NAME
  chorus subs delete NAME
      Durable subscriptions: filter, position, lag.
  chorus status TOPIC [--watch]
      The current value of every key of a status topic; --watch stays and
      prints each change.
  chorus topics create NAME [--partitions N] [--retention-age DURATION]
                            [--retention-bytes N] [--retention-messages N]
                            [--status]
  chorus topics list
  chorus topics describe NAME
  chorus topics delete NAME

The server is --server, else $CHORUS_SERVER, else 127.0.0.1:7400.
)";

namespace {

const std::vector<FlagSpec>& AllFlags() {
  static const auto* const kFlags = new std::vector<FlagSpec>{
      {"server"},
      {"client-name"},
      {"help", false},
      {"key"},
      {"header", true, true},
      {"bind", false},
      {"lease-ttl"},
      {"from"},
      {"count"},
      {"timeout"},
      {"format"},
      {"durable"},
      {"group"},
      {"ack"},
      {"ack-wait"},
      {"max-deliveries"},
      {"dead-letter"},
      {"from-publisher"},
      {"watch", false},
      {"partitions"},
      {"retention-age"},
      {"retention-bytes"},
      {"retention-messages"},
      {"status", false},
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
    if (name == "server" || name == "client-name" || name == "help" ||
        allowed.count(name) > 0) {
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
  CHORUS_RETURN_IF_ERROR(
      CheckFlags(args, "pub", {"key", "header", "bind", "lease-ttl"}));
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
  pub.bind = args.Has("bind");
  if (const std::string* ttl = args.Value("lease-ttl")) {
    CHORUS_ASSIGN_OR_RETURN(pub.lease_ttl,
                            FlagValue("lease-ttl", ParseTimeout(*ttl)));
  }
  if ((pub.bind || pub.lease_ttl.has_value()) && pub.key.empty()) {
    return Usage("--bind and --lease-ttl need --key (they bind a key)");
  }
  return pub;
}

// --durable, --group, --ack, --ack-wait, --max-deliveries, --dead-letter
// and --from-publisher.
absl::Status ParseSubscriptionFlags(const ParsedArgs& args,
                                    SubscribeOptions* options) {
  const std::string* durable = args.Value("durable");
  const std::string* group = args.Value("group");
  if (durable != nullptr && group != nullptr) {
    return Usage("--durable and --group exclude each other");
  }
  if (durable != nullptr || group != nullptr) {
    options->name = durable != nullptr ? *durable : *group;
    options->group = group != nullptr;
    options->ack = AckMode::kExplicit;
  }
  if (const std::string* ack = args.Value("ack")) {
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
  if (const std::string* wait = args.Value("ack-wait")) {
    CHORUS_ASSIGN_OR_RETURN(options->ack_wait,
                            FlagValue("ack-wait", ParseTimeout(*wait)));
  }
  if (const std::string* n = args.Value("max-deliveries")) {
    CHORUS_ASSIGN_OR_RETURN(
        const uint64_t max,
        FlagValue("max-deliveries",
                  ParseUnsigned(*n, 1, std::numeric_limits<uint32_t>::max())));
    options->max_deliveries = static_cast<uint32_t>(max);
  }
  if (const std::string* topic = args.Value("dead-letter")) {
    options->dead_letter_topic = *topic;
  }
  if (const std::string* publisher = args.Value("from-publisher")) {
    options->from_publisher = *publisher;
  }
  return absl::OkStatus();
}

absl::StatusOr<SubCommand> ParseSub(const ParsedArgs& args) {
  CHORUS_RETURN_IF_ERROR(CheckFlags(
      args, "sub",
      {"from", "count", "timeout", "format", "durable", "group", "ack",
       "ack-wait", "max-deliveries", "dead-letter", "from-publisher"}));
  CHORUS_RETURN_IF_ERROR(CheckPositionals(args, 2, 2, "sub FILTER"));
  SubCommand sub;
  sub.filter = args.positionals[1];
  if (const std::string* from = args.Value("from")) {
    CHORUS_ASSIGN_OR_RETURN(sub.start,
                            FlagValue("from", ParseStartPosition(*from)));
  }
  CHORUS_RETURN_IF_ERROR(ParseSubscriptionFlags(args, &sub.options));
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
  CHORUS_RETURN_IF_ERROR(
      CheckFlags(args, "topics create",
                 {"partitions", "retention-age", "retention-bytes",
                  "retention-messages", "status"}));
  CHORUS_RETURN_IF_ERROR(CheckPositionals(args, 3, 3, "topics create NAME"));
  TopicsCreateCommand create;
  create.name = args.positionals[2];
  create.config.status = args.Has("status");
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

absl::StatusOr<Command> ParseSubs(const ParsedArgs& args) {
  if (args.positionals.size() < 2) {
    return Usage("expected subs list|describe|delete");
  }
  const std::string& verb = args.positionals[1];
  const std::string command = absl::StrCat("subs ", verb);
  CHORUS_RETURN_IF_ERROR(CheckFlags(args, command, {}));
  if (verb == "list") {
    CHORUS_RETURN_IF_ERROR(CheckPositionals(args, 2, 2, "subs list"));
    return SubsListCommand{};
  }
  if (verb == "describe" || verb == "delete") {
    CHORUS_RETURN_IF_ERROR(
        CheckPositionals(args, 3, 3, absl::StrCat(command, " NAME")));
    if (verb == "describe") return SubsDescribeCommand{args.positionals[2]};
    return SubsDeleteCommand{args.positionals[2]};
  }
  return Usage(absl::StrCat("unknown subs command \"", verb,
                            "\" (expected list, describe or delete)"));
}

absl::StatusOr<StatusCommand> ParseStatus(const ParsedArgs& args) {
  CHORUS_RETURN_IF_ERROR(CheckFlags(args, "status", {"watch"}));
  CHORUS_RETURN_IF_ERROR(CheckPositionals(args, 2, 2, "status TOPIC"));
  return StatusCommand{args.positionals[1], args.Has("watch")};
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
  if (const std::string* name = parsed.Value("client-name")) {
    if (name->empty()) return Usage("--client-name must not be empty");
    line.client_name = *name;
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
  } else if (command == "subs") {
    CHORUS_ASSIGN_OR_RETURN(line.command, ParseSubs(parsed));
  } else if (command == "status") {
    CHORUS_ASSIGN_OR_RETURN(line.command, ParseStatus(parsed));
  } else if (command == "help") {
    line.command = HelpCommand{};
  } else {
    return Usage(
        absl::StrCat("unknown command \"", command,
                     "\" (expected pub, sub, subs, status or topics)"));
  }
  return line;
}

}  // namespace chorus::cli
