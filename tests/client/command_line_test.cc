#include "client/cli/command_line.h"

#include <filesystem>
#include <functional>

#include "client/cli/command_tree.h"
#include "common/cli/help.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chorus::cli {
namespace {

absl::StatusOr<CommandLine> Parse(std::vector<std::string> args,
                                  std::string_view env = "") {
  Environment environment;
  environment.server = std::string(env);
  return ParseCommandLine(args, environment);
}

void ExpectUsageError(std::vector<std::string> args,
                      const std::string& message_part) {
  absl::StatusOr<CommandLine> line = Parse(args);
  ASSERT_FALSE(line.ok());
  EXPECT_EQ(line.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(line.status().message()).find(message_part),
            std::string::npos)
      << line.status();
}

TEST(CommandLineTest, ServerComesFromFlagThenEnvironmentThenDefault) {
  EXPECT_EQ(Parse({"topics", "list"})->server, "127.0.0.1:7400");
  EXPECT_EQ(Parse({"topics", "list"}, "env:1")->server, "env:1");
  EXPECT_EQ(Parse({"topics", "list", "--server=flag:2"}, "env:1")->server,
            "flag:2");
  EXPECT_EQ(Parse({"--server", "flag:2", "topics", "list"})->server, "flag:2");
}

TEST(CommandLineTest, HelpWinsOverEverythingElse) {
  EXPECT_TRUE(std::holds_alternative<HelpCommand>(Parse({"--help"})->command));
  EXPECT_TRUE(
      std::holds_alternative<HelpCommand>(Parse({"pub", "-h"})->command));
  EXPECT_TRUE(std::holds_alternative<HelpCommand>(Parse({"help"})->command));
}

TEST(CommandLineTest, PubWithMessageKeyAndHeaders) {
  auto line = Parse({"pub", "--key", "eu-1", "acme.x", "--header", "a=1",
                     "up now", "--header=b=x=y"});
  ASSERT_TRUE(line.ok()) << line.status();
  const auto& pub = std::get<PubCommand>(line->command);
  EXPECT_EQ(pub.topic, "acme.x");
  EXPECT_EQ(pub.key, "eu-1");
  ASSERT_TRUE(pub.message.has_value());
  EXPECT_EQ(*pub.message, "up now");
  EXPECT_EQ(pub.headers, (std::vector<Header>{{"a", "1"}, {"b", "x=y"}}));
}

TEST(CommandLineTest, PubWithoutMessageReadsStdin) {
  auto line = Parse({"pub", "acme.x"});
  ASSERT_TRUE(line.ok());
  EXPECT_FALSE(std::get<PubCommand>(line->command).message.has_value());
}

TEST(CommandLineTest, PubErrors) {
  ExpectUsageError({"pub"}, "pub TOPIC");
  ExpectUsageError({"pub", "t", "a", "b"}, "pub TOPIC");
  ExpectUsageError({"pub", "t", "--header", "novalue"}, "--header");
  ExpectUsageError({"pub", "t", "--header", "=v"}, "--header");
  ExpectUsageError({"pub", "t", "--count", "1"}, "--count does not apply");
}

TEST(CommandLineTest, SubDefaultsAndOptions) {
  auto plain = Parse({"sub", "acme.>"});
  ASSERT_TRUE(plain.ok());
  const auto& sub = std::get<SubCommand>(plain->command);
  EXPECT_EQ(sub.filter, "acme.>");
  EXPECT_EQ(sub.start.kind, StartPosition::Kind::kLatest);
  EXPECT_FALSE(sub.count.has_value());
  EXPECT_FALSE(sub.timeout.has_value());
  EXPECT_EQ(sub.format, SubCommand::Format::kText);

  auto full = Parse({"sub", "--from=last:5", "a.*", "--count", "3", "--timeout",
                     "1.5", "--format", "json"});
  ASSERT_TRUE(full.ok()) << full.status();
  const auto& s = std::get<SubCommand>(full->command);
  EXPECT_EQ(s.start.kind, StartPosition::Kind::kLast);
  EXPECT_EQ(s.start.value, 5);
  EXPECT_EQ(s.count, 3u);
  EXPECT_EQ(s.timeout, absl::Milliseconds(1500));
  EXPECT_EQ(s.format, SubCommand::Format::kJson);
}

TEST(CommandLineTest, SubErrorsNameTheFlag) {
  ExpectUsageError({"sub"}, "sub FILTER");
  ExpectUsageError({"sub", "a", "--from", "soon"}, "--from:");
  ExpectUsageError({"sub", "a", "--count", "0"}, "--count:");
  ExpectUsageError({"sub", "a", "--timeout", "-1"}, "--timeout:");
  ExpectUsageError({"sub", "a", "--format", "xml"}, "--format:");
  ExpectUsageError({"sub", "a", "--key", "k"}, "--key does not apply to sub");
}

TEST(CommandLineTest, TopicsCreateWithConfig) {
  auto line = Parse({"topics", "create", "acme.x", "--partitions", "4",
                     "--retention-age=7d", "--retention-bytes", "1000",
                     "--retention-messages", "50"});
  ASSERT_TRUE(line.ok()) << line.status();
  const auto& create = std::get<TopicsCreateCommand>(line->command);
  EXPECT_EQ(create.name, "acme.x");
  EXPECT_EQ(create.config.partitions, 4u);
  EXPECT_EQ(create.config.retention_age, absl::Hours(168));
  EXPECT_EQ(create.config.retention_bytes, 1000u);
  EXPECT_EQ(create.config.retention_messages, 50u);
}

TEST(CommandLineTest, TopicsCreateDefaultsToOnePartitionUnlimited) {
  auto line = Parse({"topics", "create", "t"});
  ASSERT_TRUE(line.ok());
  const auto& create = std::get<TopicsCreateCommand>(line->command);
  EXPECT_EQ(create.config.partitions, 1u);
  EXPECT_EQ(create.config.retention_age, absl::ZeroDuration());
  EXPECT_EQ(create.config.retention_bytes, 0u);
}

TEST(CommandLineTest, TopicsOtherVerbs) {
  EXPECT_TRUE(std::holds_alternative<TopicsListCommand>(
      Parse({"topics", "list"})->command));
  EXPECT_EQ(std::get<TopicsDescribeCommand>(
                Parse({"topics", "describe", "a.b"})->command)
                .name,
            "a.b");
  EXPECT_EQ(
      std::get<TopicsDeleteCommand>(Parse({"topics", "delete", "a"})->command)
          .name,
      "a");
}

TEST(CommandLineTest, TopicsErrors) {
  ExpectUsageError({"topics"}, "topics create|list|describe|delete");
  ExpectUsageError({"topics", "rename", "a"}, "unknown topics command");
  ExpectUsageError({"topics", "create"}, "topics create NAME");
  ExpectUsageError({"topics", "create", "t", "--partitions", "0"},
                   "--partitions:");
  ExpectUsageError({"topics", "create", "t", "--retention-age", "soon"},
                   "--retention-age:");
  ExpectUsageError({"topics", "list", "extra"}, "topics list");
  ExpectUsageError({"topics", "describe"}, "topics describe NAME");
  ExpectUsageError({"topics", "delete", "a", "--partitions", "2"},
                   "does not apply to topics delete");
}

TEST(CommandLineTest, UnknownOrMissingCommand) {
  ExpectUsageError({}, "no command given");
  ExpectUsageError({"publish", "x"}, "unknown command \"publish\"");
  ExpectUsageError({"--server"}, "--server needs a value");
}

TEST(CommandLineTest, SubDurableGroupAndAckFlags) {
  auto durable = Parse({"sub", "acme.>", "--durable", "billing", "--ack-wait",
                        "2s", "--max-deliveries", "5", "--dead-letter",
                        "acme.dead", "--from-publisher", "svc-a"});
  ASSERT_TRUE(durable.ok()) << durable.status();
  const SubscribeOptions& options =
      std::get<SubCommand>(durable->command).options;
  EXPECT_EQ(options.name, "billing");
  EXPECT_FALSE(options.group);
  EXPECT_EQ(options.ack, AckMode::kExplicit);
  EXPECT_EQ(options.ack_wait, absl::Seconds(2));
  EXPECT_EQ(options.max_deliveries, 5u);
  EXPECT_EQ(options.dead_letter_topic, "acme.dead");
  EXPECT_EQ(options.from_publisher, "svc-a");

  auto group = Parse({"sub", "jobs", "--group", "crew", "--ack", "auto"});
  ASSERT_TRUE(group.ok()) << group.status();
  const SubscribeOptions& shared = std::get<SubCommand>(group->command).options;
  EXPECT_EQ(shared.name, "crew");
  EXPECT_TRUE(shared.group);
  EXPECT_EQ(shared.ack, AckMode::kAuto);

  auto plain = Parse({"sub", "jobs", "--from", "snapshot"});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(std::get<SubCommand>(plain->command).options.ack, AckMode::kNone);
  EXPECT_EQ(std::get<SubCommand>(plain->command).start.kind,
            StartPosition::Kind::kSnapshot);
}

TEST(CommandLineTest, SubsStatusAndBindingCommands) {
  EXPECT_TRUE(std::holds_alternative<SubsListCommand>(
      Parse({"subs", "list"})->command));
  EXPECT_EQ(std::get<SubsDescribeCommand>(
                Parse({"subs", "describe", "billing"})->command)
                .name,
            "billing");
  EXPECT_EQ(
      std::get<SubsDeleteCommand>(Parse({"subs", "delete", "b"})->command).name,
      "b");
  auto status = Parse({"status", "acme.health", "--watch"});
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(std::get<StatusCommand>(status->command).topic, "acme.health");
  EXPECT_TRUE(std::get<StatusCommand>(status->command).watch);
  auto pub = Parse({"pub", "h", "--key", "k", "--lease-ttl", "10s", "--bind",
                    "up", "--client-name", "svc"});
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_TRUE(std::get<PubCommand>(pub->command).bind);
  EXPECT_EQ(std::get<PubCommand>(pub->command).lease_ttl, absl::Seconds(10));
  EXPECT_EQ(pub->client_name, "svc");
  EXPECT_TRUE(Parse({"topics", "create", "h", "--status"}).ok());
  EXPECT_TRUE(std::get<TopicsCreateCommand>(
                  Parse({"topics", "create", "h", "--status"})->command)
                  .config.status);
}

TEST(CommandLineTest, SubscriptionFlagErrors) {
  ExpectUsageError({"sub", "x", "--durable", "a", "--group", "b"},
                   "exclude each other");
  ExpectUsageError({"sub", "x", "--ack", "maybe"}, "--ack");
  ExpectUsageError({"sub", "x", "--max-deliveries", "0"}, "--max-deliveries");
  ExpectUsageError({"pub", "x", "--bind", "v"}, "need --key");
  ExpectUsageError({"subs"}, "subs list");
  ExpectUsageError({"subs", "describe"}, "subs describe NAME");
  ExpectUsageError({"status", "a", "b"}, "status TOPIC");
  ExpectUsageError({"status", "x", "--durable", "d"}, "does not apply");
  ExpectUsageError({"--client-name=", "topics", "list"}, "--client-name");
}

// prod and dev, dev selected.
Environment WithContexts() {
  ContextFile file;
  file.Put({.name = "prod",
            .servers = {"b1:7400", "b2:7400"},
            .token_file = "/t/prod.token",
            .client_name = "ops"});
  file.Put({.name = "dev", .servers = {"dev:7400"}});
  file.current = "dev";
  Environment environment;
  environment.contexts = file;
  return environment;
}

TEST(CommandLineTest, SelectedContextFillsInWhatTheCommandLineLeavesOut) {
  Environment environment = WithContexts();
  auto line = ParseCommandLine({"topics", "list"}, environment);
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->server, "dev:7400");
  EXPECT_EQ(line->client_name, "chorus-cli");
  EXPECT_EQ(line->token_file, "");

  line = ParseCommandLine({"--context", "prod", "topics", "list"}, environment);
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->server, "b1:7400,b2:7400");
  EXPECT_EQ(line->client_name, "ops");
  EXPECT_EQ(line->token_file, "/t/prod.token");

  // Flags win over the context, field by field.
  line = ParseCommandLine({"topics", "list", "--context=prod", "--server",
                           "x:1", "--client-name", "me"},
                          environment);
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->server, "x:1");
  EXPECT_EQ(line->client_name, "me");
  EXPECT_EQ(line->token_file, "/t/prod.token");
}

TEST(CommandLineTest, EnvironmentSitsBetweenNamedAndSelectedContexts) {
  Environment environment = WithContexts();
  environment.server = "env:1";
  environment.auth_token = "env-token";
  auto line = ParseCommandLine({"topics", "list"}, environment);
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->server, "env:1");  // over the selected dev
  EXPECT_EQ(line->auth_token, "env-token");
  EXPECT_EQ(line->token_file, "");

  line = ParseCommandLine({"--context", "prod", "topics", "list"}, environment);
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->server, "b1:7400,b2:7400");  // --context over $CHORUS_SERVER
  EXPECT_EQ(line->token_file, "/t/prod.token");

  // $CHORUS_CONTEXT replaces the selected context, below $CHORUS_SERVER.
  environment.context = "prod";
  line = ParseCommandLine({"topics", "list"}, environment);
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->server, "env:1");
  EXPECT_EQ(line->client_name, "ops");
  environment.server.clear();
  line = ParseCommandLine({"topics", "list"}, environment);
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->server, "b1:7400,b2:7400");
}

TEST(CommandLineTest, ContextThatDoesNotExistIsAFailure) {
  Environment environment = WithContexts();
  auto line =
      ParseCommandLine({"--context", "nope", "topics", "list"}, environment);
  ASSERT_FALSE(line.ok());
  EXPECT_EQ(line.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(line.status().message()),
              ::testing::HasSubstr("context nope (--context) does not exist"));
  environment.context = "gone";
  line = ParseCommandLine({"topics", "list"}, environment);
  ASSERT_FALSE(line.ok());
  EXPECT_THAT(
      std::string(line.status().message()),
      ::testing::HasSubstr("context gone ($CHORUS_CONTEXT) does not exist"));
}

TEST(CommandLineTest, UnreadableContextsFailOnlyCommandsThatNeedThem) {
  Environment environment;
  environment.contexts = absl::InvalidArgumentError("contexts.json: broken");
  auto line = ParseCommandLine({"topics", "list"}, environment);
  ASSERT_FALSE(line.ok());
  EXPECT_EQ(line.status().message(), "contexts.json: broken");
  EXPECT_TRUE(ParseCommandLine({"--help"}, environment).ok());
  EXPECT_TRUE(ParseCommandLine({"completion", "bash"}, environment).ok());
  EXPECT_TRUE(
      ParseCommandLine({"context", "add", "a", "--server", "x:1"}, environment)
          .ok());
}

TEST(CommandLineTest, ServerListIsCommaSeparated) {
  auto line = Parse({"topics", "list", "--server", "a:1,b:2"});
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->server, "a:1,b:2");
  ExpectUsageError({"topics", "list", "--server", "a:1,,b:2"},
                   "--server: expected HOST:PORT[,HOST:PORT...]");
}

TEST(CommandLineTest, ContextCommands) {
  auto add = Parse({"context", "add", "prod", "--server", "b1:7400,b2:7400",
                    "--token-file", "tokens/../prod.token", "--client-name",
                    "ops", "--description", "the real one", "--use"});
  ASSERT_TRUE(add.ok()) << add.status();
  const Context& context = std::get<ContextAddCommand>(add->command).context;
  EXPECT_EQ(context.name, "prod");
  EXPECT_EQ(context.servers, (std::vector<std::string>{"b1:7400", "b2:7400"}));
  EXPECT_EQ(context.token_file,
            (std::filesystem::current_path() / "prod.token").string());
  EXPECT_EQ(context.client_name, "ops");
  EXPECT_EQ(context.description, "the real one");
  EXPECT_TRUE(std::get<ContextAddCommand>(add->command).use);
  ExpectUsageError(
      {"context", "add", "prod"},
      "expected context add NAME --server HOST:PORT[,HOST:PORT...]");
  ExpectUsageError({"context", "add", "a/b", "--server", "x:1"},
                   "context name \"a/b\"");

  Environment environment = WithContexts();
  auto list = ParseCommandLine({"context", "list"}, environment);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(std::get<ContextListCommand>(list->command).selected, "dev");
  auto show =
      ParseCommandLine({"--context", "prod", "context", "show"}, environment);
  ASSERT_TRUE(show.ok());
  EXPECT_EQ(std::get<ContextShowCommand>(show->command).name, "prod");
  EXPECT_EQ(
      std::get<ContextUseCommand>(Parse({"context", "use", "x"})->command).name,
      "x");
  EXPECT_EQ(
      std::get<ContextRemoveCommand>(Parse({"context", "remove", "x"})->command)
          .name,
      "x");
}

TEST(CommandLineTest, VersionAndCompletion) {
  auto version = Parse({"--version"});
  ASSERT_TRUE(version.ok());
  EXPECT_THAT(std::get<VersionCommand>(version->command).text,
              ::testing::StartsWith("chorus "));
  EXPECT_EQ(
      std::get<CompletionCommand>(Parse({"completion", "zsh"})->command).shell,
      CompletionCommand::Shell::kZsh);
  ExpectUsageError({"completion", "fish"}, "expected bash or zsh");
  ExpectUsageError({"completion"}, "expected completion SHELL");
}

// Every command of the tree, by its words.
std::vector<std::vector<std::string>> AllCommands() {
  std::vector<std::vector<std::string>> commands;
  const std::unique_ptr<CLI::App> tree = MakeCommandTree();
  std::function<void(const CLI::App&, std::vector<std::string>)> walk =
      [&](const CLI::App& command, std::vector<std::string> words) {
        commands.push_back(words);
        for (const CLI::App* sub : Subcommands(command)) {
          std::vector<std::string> more = words;
          more.push_back(sub->get_name());
          walk(*sub, more);
        }
      };
  walk(*tree, {});
  return commands;
}

TEST(CommandLineTest, EveryCommandHasItsOwnHelpWithFlagsAndExamples) {
  const std::vector<std::vector<std::string>> commands = AllCommands();
  ASSERT_GE(commands.size(), 20u);
  for (const std::vector<std::string>& words : commands) {
    std::vector<std::string> with_flag = words;
    with_flag.push_back("--help");
    auto line = Parse(with_flag);
    ASSERT_TRUE(line.ok()) << line.status();
    const std::string& help = std::get<HelpCommand>(line->command).text;
    std::string path;
    for (const std::string& word : words) path += " " + word;
    EXPECT_THAT(help, ::testing::StartsWith("usage: chorus" + path)) << path;
    EXPECT_THAT(help, ::testing::HasSubstr("\nExamples:\n  ")) << path;
    EXPECT_THAT(help, ::testing::HasSubstr("  -h, --help")) << path;

    std::vector<std::string> asked = {"help"};
    asked.insert(asked.end(), words.begin(), words.end());
    auto help_command = Parse(asked);
    ASSERT_TRUE(help_command.ok()) << help_command.status();
    EXPECT_EQ(std::get<HelpCommand>(help_command->command).text, help) << path;
  }
  const std::string sub =
      std::get<HelpCommand>(Parse({"sub", "-h"})->command).text;
  EXPECT_THAT(sub, ::testing::HasSubstr("(default: latest)"));
  EXPECT_THAT(sub, ::testing::HasSubstr("--durable NAME"));
  EXPECT_THAT(sub, ::testing::HasSubstr("Global flags:\n  --server"));
  ExpectUsageError({"help", "topics", "rename"},
                   "help: no command \"topics rename\"");
}

}  // namespace
}  // namespace chorus::cli
