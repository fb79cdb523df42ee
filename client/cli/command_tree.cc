#include "client/cli/command_tree.h"

#include "absl/strings/str_cat.h"
#include "common/build_info.h"
#include "common/cli/help.h"

namespace chorus::cli {
namespace {

// A flag that takes a value, given at most once.
CLI::Option* ValueFlag(CLI::App& command, const std::string& name,
                       const std::string& value_name,
                       const std::string& description) {
  return command.add_option(name)
      ->description(description)
      ->type_name(value_name);
}

// A flag that takes a value and may be given again for more.
CLI::Option* RepeatedFlag(CLI::App& command, const std::string& name,
                          const std::string& value_name,
                          const std::string& description) {
  return ValueFlag(command, name, value_name, description)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

CLI::Option* Flag(CLI::App& command, const std::string& name,
                  const std::string& description) {
  return command.add_flag(name)->description(description);
}

CLI::Option* Argument(CLI::App& command, const std::string& name,
                      const std::string& description, bool required = true) {
  return command.add_option(name)->description(description)->required(required);
}

constexpr char kToolDescription[] =
    R"(The command-line client of the Chorus broker

Publish and subscribe, and manage topics, durable subscriptions and the
contexts that say which broker to talk to.

Where to connect, each setting from the first place that has it: the
command line (--server, --token-file, --client-name); the context named by
--context; the environment ($CHORUS_SERVER, $CHORUS_AUTH_TOKEN); the
context named by $CHORUS_CONTEXT, else the one `chorus context use`
selected; the defaults (127.0.0.1:7400, no token, chorus-cli).

Messages go to stdout, progress and errors to stderr. Exit codes: 0
success, 1 failure, 2 usage error.)";

void AddGlobalFlags(CLI::App& tool) {
  ValueFlag(tool, "--server", "HOST:PORT[,HOST:PORT...]",
            "brokers to connect to, tried in order until one accepts; "
            "until clustering lands, list addresses of one broker")
      ->default_str(std::string(kDefaultServer));
  ValueFlag(tool, "--context", "CONTEXT",
            "take the settings of this context (see `chorus context`)");
  ValueFlag(tool, "--client-name", "NAME",
            "the identity the broker stamps on what this command publishes")
      ->default_str("chorus-cli");
  ValueFlag(tool, "--token-file", "FILE",
            "file whose content is the auth token sent to the broker (chorusd "
            "does not check tokens until authentication lands)");
  tool.set_version_flag("--version", VersionLine("chorus"),
                        "print the version and exit");
}

void AddPub(CLI::App& tool) {
  CLI::App* pub = AddCommand(
      tool, "pub",
      R"(Publish a message, or each line of standard input

Without MESSAGE, each line of standard input (without its newline) is one
message, published asynchronously and batched; the command exits 0 only
once the broker acknowledged every one. On a status topic, --bind makes the
key go stale when the command ends, --lease-ttl when its lease runs out
after the command ended.)",
      {"chorus pub acme.payments.status --key eu-1 up",
       "printf 'degraded\\nup\\n' | chorus pub acme.search.status --header "
       "region=eu",
       "chorus pub acme.health --key payments --lease-ttl 30s green"});
  Argument(*pub, "TOPIC", "the topic, e.g. acme.payments.status");
  Argument(*pub, "MESSAGE", "the message (quote it if it has spaces)", false);
  ValueFlag(*pub, "--key", "K",
            "the message's key: the same key goes to the same partition, and "
            "status topics keep the last value of each");
  RepeatedFlag(*pub, "--header", "NAME=VALUE",
               "a header; give the flag again for more");
  Flag(*pub, "--bind",
       "status topics: the key goes stale when this command ends (needs "
       "--key)");
  ValueFlag(*pub, "--lease-ttl", "DURATION",
            "status topics: the key goes stale this long after the command "
            "stopped renewing its lease (needs --key)");
}

void AddSub(CLI::App& tool) {
  CLI::App* sub = AddCommand(
      tool, "sub",
      R"(Print the messages of a topic or filter as they arrive

Prints each message on its own line until --count messages, --timeout
without one, SIGINT or SIGTERM. --durable keeps the position in the broker,
so that the next run resumes after the last message printed; --group shares
the messages among the members of a group. Both ack each message once it is
printed.)",
      {"chorus sub 'acme.>' --from earliest --count 10",
       "chorus sub acme.orders --durable billing --format json",
       "chorus sub acme.jobs --group crew --ack-wait 1m --max-deliveries 5"});
  Argument(*sub, "FILTER",
           "a topic, or a filter where * matches one token and > the rest: "
           "acme.*.status, acme.>");
  ValueFlag(*sub, "--from",
            "latest|earliest|offset:N|time:RFC3339|last:N|snapshot",
            "where a new subscription starts; snapshot gives the current value "
            "of every key of a status topic, then live changes")
      ->default_str("latest");
  ValueFlag(*sub, "--count", "N", "exit after N messages");
  ValueFlag(*sub, "--timeout", "SECONDS",
            "exit after this long without a message: seconds (2.5) or a "
            "duration (500ms, 1m)");
  ValueFlag(*sub, "--format", "text|json",
            "text: each value on its own line; json: one object per line with "
            "every field")
      ->default_str("text");
  ValueFlag(*sub, "--durable", "NAME",
            "a durable subscription: the broker keeps its position under NAME");
  ValueFlag(*sub, "--group", "NAME",
            "a shared subscription: each message goes to one member of NAME");
  ValueFlag(
      *sub, "--ack", "none|auto|explicit",
      "how messages are acknowledged; explicit acks each one once printed "
      "(default: explicit with --durable or --group, else none)");
  ValueFlag(*sub, "--ack-wait", "DURATION",
            "an unacked message is delivered again after this long (default: "
            "the broker's, 30s)");
  ValueFlag(*sub, "--max-deliveries", "N",
            "after N deliveries an unacked message goes to the dead-letter "
            "topic (default: unlimited)");
  ValueFlag(*sub, "--dead-letter", "TOPIC",
            "where messages past --max-deliveries go (default: "
            "<topic>.dead-letter)");
  ValueFlag(*sub, "--from-publisher", "NAME",
            "only messages whose publisher is NAME");
}

void AddSubs(CLI::App& tool) {
  CLI::App* subs = AddCommand(
      tool, "subs",
      "Durable and shared subscriptions: their filters, positions and lag",
      {"chorus subs list", "chorus subs describe billing"});
  AddCommand(*subs, "list",
             R"(List the durable and shared subscriptions

One line each: NAME, FILTER, durable or group, members N, lag N, separated
by tabs.)",
             {"chorus subs list"});
  CLI::App* describe = AddCommand(
      *subs, "describe",
      "Show a subscription's settings and its position in each partition",
      {"chorus subs describe billing"});
  Argument(*describe, "NAME", "the subscription");
  CLI::App* remove = AddCommand(
      *subs, "delete", "Delete a subscription and its stored positions",
      {"chorus subs delete billing"});
  Argument(*remove, "NAME", "the subscription");
}

void AddStatus(CLI::App& tool) {
  CLI::App* status = AddCommand(
      tool, "status",
      R"(Show the current value of every key of a status topic

One row per key: KEY, STATE (live, or stale and why), AGE and VALUE.
--watch then prints each change as a row until SIGINT or SIGTERM.)",
      {"chorus status acme.health", "chorus status acme.health --watch"});
  Argument(*status, "TOPIC", "a status topic (topics create --status)");
  Flag(*status, "--watch", "keep running and print each change");
}

void AddTopics(CLI::App& tool) {
  CLI::App* topics = AddCommand(
      tool, "topics", "Create, list, describe and delete topics",
      {"chorus topics create acme.orders --partitions 4 --retention-age 7d",
       "chorus topics list"});
  CLI::App* create = AddCommand(
      *topics, "create",
      R"(Create a topic

Retention limits drop the oldest messages past an age, a size or a count;
each is unlimited unless given. A status topic keeps the last value of
every key beyond them and marks keys stale when their publisher goes
away.)",
      {"chorus topics create acme.orders --partitions 4 --retention-age 7d",
       "chorus topics create acme.health --status"});
  Argument(*create, "NAME", "the topic's name, e.g. acme.orders");
  ValueFlag(
      *create, "--partitions", "N",
      "partitions: order holds within each; a key always goes to the same")
      ->default_str("1");
  ValueFlag(*create, "--retention-age", "DURATION",
            "drop messages older than this: 7d, 1.5d, 12h, 90m")
      ->default_str("unlimited");
  ValueFlag(*create, "--retention-bytes", "N",
            "drop the oldest messages past this many bytes per partition")
      ->default_str("unlimited");
  ValueFlag(*create, "--retention-messages", "N",
            "drop the oldest messages past this many per partition")
      ->default_str("unlimited");
  Flag(*create, "--status", "make it a status topic");
  AddCommand(*topics, "list",
             "List the topics: NAME and PARTITIONS, tab-separated, sorted",
             {"chorus topics list"});
  CLI::App* describe = AddCommand(
      *topics, "describe",
      "Show a topic's settings and each partition's offsets and size",
      {"chorus topics describe acme.orders"});
  Argument(*describe, "NAME", "the topic");
  CLI::App* remove =
      AddCommand(*topics, "delete", "Delete a topic and all its messages",
                 {"chorus topics delete acme.orders"});
  Argument(*remove, "NAME", "the topic");
}

void AddCluster(CLI::App& tool) {
  CLI::App* cluster = AddCommand(
      tool, "cluster", "The brokers of the cluster and its controller",
      {"chorus cluster status"});
  AddCommand(
      *cluster, "status",
      R"(Show the cluster's brokers and its controller

The cluster's name, the controller and its epoch, then one line per broker:
NODE, ADDRESS, RACK, alive, and the partitions the broker holds and leads,
tab-separated. A single node shows itself.)",
      {"chorus cluster status", "chorus --server b2:7400 cluster status"});
}

void AddContext(CLI::App& tool) {
  CLI::App* context = AddCommand(
      tool, "context",
      R"(Named settings for reaching a broker: servers, token file, client name

A context fills in what a command does not give on its command line (see
`chorus --help` for the order). Contexts are kept in
$XDG_CONFIG_HOME/chorus/contexts.json (default ~/.config/chorus), a file
only its owner can read; a token is referred to by its file, never copied
into it.)",
      {"chorus context add prod --server broker-1:7400 --token-file "
       "~/.chorus/prod.token",
       "chorus context use prod", "chorus --context dev topics list"});
  CLI::App* add = AddCommand(
      *context, "add", "Save a new context",
      {"chorus context add prod --server broker-1:7400,broker-2:7400 --use",
       "chorus context add dev --server 127.0.0.1:7400 --description "
       "'my laptop'"});
  Argument(*add, "NAME", "letters, digits, '.', '_' and '-'");
  ValueFlag(*add, "--server", "HOST:PORT[,HOST:PORT...]",
            "brokers to connect to, tried in order")
      ->required();
  ValueFlag(*add, "--token-file", "FILE",
            "file whose content is the auth token (kept as a path, made "
            "absolute)");
  ValueFlag(*add, "--client-name", "NAME", "the identity to publish as");
  ValueFlag(*add, "--description", "TEXT", "a note for `context list` readers");
  Flag(*add, "--use", "select it, as `chorus context use NAME` does");
  CLI::App* use = AddCommand(
      *context, "use", "Select the context commands use when none is named",
      {"chorus context use prod"});
  Argument(*use, "NAME", "the context")->type_name("CONTEXT");
  AddCommand(*context, "list",
             R"(List the contexts

One line each: NAME and SERVERS, tab-separated, and a third column
"selected" on the one in effect.)",
             {"chorus context list"});
  CLI::App* show = AddCommand(
      *context, "show",
      "Show a context's settings, by default those of the one in effect",
      {"chorus context show", "chorus context show prod"});
  Argument(*show, "NAME", "the context", false)->type_name("CONTEXT");
  CLI::App* remove = AddCommand(*context, "remove", "Delete a context",
                                {"chorus context remove dev"});
  Argument(*remove, "NAME", "the context")->type_name("CONTEXT");
}

void AddCompletion(CLI::App& tool) {
  CLI::App* completion =
      AddCommand(tool, "completion",
                 R"(Print a shell completion script

For bash, load it in the running shell with `source <(chorus completion
bash)`, or install it for the shells to come: `chorus completion bash >
~/.local/share/bash-completion/completions/chorus` (or, for every user,
/usr/share/bash-completion/completions/chorus). For zsh, add `source
<(chorus completion zsh)` to ~/.zshrc, after compinit.)",
                 {"source <(chorus completion bash)",
                  "chorus completion bash > "
                  "~/.local/share/bash-completion/completions/chorus"});
  Argument(*completion, "SHELL", "bash or zsh")->type_name("bash|zsh");
}

void AddHelp(CLI::App& tool) {
  CLI::App* help =
      AddCommand(tool, "help", "Show the help of the tool or of a command",
                 {"chorus help sub", "chorus help topics create"});
  Argument(*help, "COMMAND", "the command's words", false)
      ->expected(0, 8)
      ->allow_extra_args();
}

}  // namespace

std::unique_ptr<CLI::App> MakeCommandTree() {
  auto tool = std::make_unique<CLI::App>(kToolDescription, "chorus");
  UseHelpStyle(*tool);
  // Flags given after a command may be the tool's own (--server).
  tool->fallthrough();
  // Flags take no value in their own argument: `--watch=yes` is a mistake.
  tool->option_defaults()->disable_flag_override();
  AddGlobalFlags(*tool);
  AddPub(*tool);
  AddSub(*tool);
  AddSubs(*tool);
  AddStatus(*tool);
  AddTopics(*tool);
  AddCluster(*tool);
  AddContext(*tool);
  AddCompletion(*tool);
  AddHelp(*tool);
  SetExamples(*tool, {"chorus sub 'acme.>' --from earliest --count 2",
                      "chorus pub acme.payments.status --key eu-1 up",
                      "chorus --context prod topics list"});
  return tool;
}

bool ParsedCommand::Has(const std::string& name) const {
  const CLI::Option* option = command_.get_option_no_throw(name);
  return option != nullptr && option->count() > 0;
}

const std::string* ParsedCommand::Value(const std::string& name) const {
  const CLI::Option* option = command_.get_option_no_throw(name);
  if (option == nullptr || option->results().empty()) return nullptr;
  return &option->results().back();
}

std::vector<std::string> ParsedCommand::Values(const std::string& name) const {
  const CLI::Option* option = command_.get_option_no_throw(name);
  return option == nullptr ? std::vector<std::string>{} : option->results();
}

}  // namespace chorus::cli
