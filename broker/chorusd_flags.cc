#include "broker/chorusd_flags.h"

#include <cstdint>
#include <limits>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/build_info.h"
#include "common/cli/flag_file.h"
#include "common/cli/help.h"
#include "common/cli/parse.h"
#include "common/flag_names.h"
#include "common/status_macros.h"
#include "common/string_views.h"

namespace chorus::broker {
namespace {

// Every flag's text as given, or its default; converted after parsing, so
// that the defaults help shows come from BrokerOptions itself.
struct FlagText {
  explicit FlagText(const BrokerOptions& defaults)
      : listen(absl::StrCat(defaults.listen_host, ":", defaults.listen_port)),
        data_dir(defaults.store.data_dir),
        threads(absl::StrCat(defaults.threads)),
        fsync(storage::FsyncModeName(defaults.store.fsync)),
        fsync_interval(absl::FormatDuration(defaults.store.fsync_interval)),
        max_frame_bytes(absl::StrCat(defaults.max_frame_bytes)),
        max_message_bytes(absl::StrCat(defaults.max_message_bytes)),
        auto_create_topics(defaults.auto_create_topics),
        node_id(defaults.node_id),
        retention_check_interval(
            absl::FormatDuration(defaults.retention_check_interval)),
        max_connections(absl::StrCat(defaults.max_connections)),
        max_subscriptions_per_connection(
            absl::StrCat(defaults.max_subscriptions_per_connection)),
        max_in_flight_publish_bytes(
            absl::StrCat(defaults.max_in_flight_publish_bytes)),
        handshake_timeout(absl::FormatDuration(defaults.handshake_timeout)),
        idle_timeout(absl::FormatDuration(defaults.idle_timeout)),
        frame_timeout(absl::FormatDuration(defaults.frame_timeout)),
        cluster(defaults.cluster.name),
        session_timeout(absl::FormatDuration(defaults.cluster.session_timeout)),
        join_timeout(absl::FormatDuration(defaults.cluster.join_timeout)) {}

  std::string listen;
  std::string data_dir;
  std::string threads;
  std::string fsync;
  std::string fsync_interval;
  std::string max_frame_bytes;
  std::string max_message_bytes;
  bool auto_create_topics;
  std::string node_id;
  std::string retention_check_interval;
  std::string max_connections;
  std::string max_subscriptions_per_connection;
  std::string max_in_flight_publish_bytes;
  std::string handshake_timeout;
  std::string idle_timeout;
  std::string frame_timeout;
  std::string etcd;
  std::string cluster;
  std::string advertise;
  std::string rack;
  std::string session_timeout;
  std::string join_timeout;
  bool verbose = false;
};

constexpr char kDescription[] =
    R"(The Chorus broker.

Serves publish-subscribe clients on --listen and keeps their messages in
--data-dir. Every flag has a default that starts a working single node.)";

void DefineFlags(CLI::App& app, FlagText& flags) {
  const auto option = [&app](const std::string& name, std::string& text,
                             const std::string& value_name,
                             const std::string& meaning) {
    app.add_option(name, text, meaning)
        ->type_name(value_name)
        ->default_str(text);
  };
  option("--listen", flags.listen, "HOST:PORT",
         "where to serve clients; port 0 picks a free port, and the one "
         "taken is printed as \"chorusd listening on HOST:PORT\"");
  option("--data-dir", flags.data_dir, "DIR",
         "folder of the broker's RocksDB, created if missing");
  option("--threads", flags.threads, "N",
         "shards, one thread each; 0: one per core");
  option("--fsync", flags.fsync, "always|interval|never",
         "when an append counts as stored: fsync per group commit (always); "
         "WAL written per commit and fsynced every --fsync-interval "
         "(interval); or left to the OS (never). Acks survive kill -9 in "
         "every mode, and power loss with always");
  option("--fsync-interval", flags.fsync_interval, "DURATION",
         "how often the WAL is fsynced under --fsync interval");
  option("--max-frame-bytes", flags.max_frame_bytes, "N",
         "larger frames are refused and the connection closed (at least "
         "1024)");
  option("--max-message-bytes", flags.max_message_bytes, "N",
         "larger messages (key, value and headers) are refused");
  app.add_flag("--auto-create-topics,!--no-auto-create-topics",
               flags.auto_create_topics,
               "publishing to a missing topic creates it (1 partition); "
               "--auto-create-topics=false turns it off too")
      ->default_str(flags.auto_create_topics ? "true" : "false");
  option("--node-id", flags.node_id, "NAME",
         "a single node's identity, reported to clients in Welcome (a "
         "cluster's broker takes its id from etcd on first start and keeps "
         "it in its data dir)");
  option("--retention-check-interval", flags.retention_check_interval,
         "DURATION", "how often retention limits are applied");
  option("--max-connections", flags.max_connections, "N",
         "more connections are refused with RESOURCE_EXHAUSTED");
  option("--max-subscriptions-per-connection",
         flags.max_subscriptions_per_connection, "N",
         "a Subscribe beyond this many live subscriptions of one connection "
         "fails with RESOURCE_EXHAUSTED");
  option("--max-in-flight-publish-bytes", flags.max_in_flight_publish_bytes,
         "N",
         "publish bytes of one connection awaiting storage; past it the "
         "broker stops reading that connection (TCP back-pressure)");
  option("--handshake-timeout", flags.handshake_timeout, "DURATION",
         "a connection that sends no Hello this long after connecting is "
         "closed");
  option("--idle-timeout", flags.idle_timeout, "DURATION",
         "a connection that sends nothing this long is closed; 0 disables "
         "(the client library pings every 30s while idle)");
  option("--frame-timeout", flags.frame_timeout, "DURATION",
         "a frame must arrive whole within this long of its first byte "
         "(slow loris); once a client has ended its stream, what it is "
         "owed must be written within this long");
  option("--etcd", flags.etcd, "URL[,URL...]",
         "join a cluster coordinated by these etcd members "
         "(http://HOST:PORT); empty: a single node");
  option("--cluster", flags.cluster, "NAME",
         "the cluster to join: brokers with the same name on one etcd form "
         "one cluster");
  option("--advertise", flags.advertise, "HOST:PORT",
         "where clients and other brokers reach this broker; empty: the "
         "address it listens on");
  option("--rack", flags.rack, "NAME",
         "this broker's failure domain, for spreading replicas");
  option("--session-timeout", flags.session_timeout, "DURATION",
         "a broker that has not renewed its etcd lease for this long counts "
         "as gone");
  option("--join-timeout", flags.join_timeout, "DURATION",
         "how long a starting broker retries an unreachable etcd, and waits "
         "for its previous run's registration to lapse, before it gives up");
  app.add_flag("--verbose", flags.verbose, "log debug lines");
  cli::AddFlagFileOption(app,
                         "read flags from FILE, one --name=value a line, # "
                         "for comments (deploy/chorusd.flags); the command "
                         "line wins");
  app.set_version_flag("--version", VersionLine("chorusd"),
                       "print the version and exit");
}

absl::Status BadValue(std::string_view flag, std::string_view expected,
                      std::string_view text) {
  return absl::InvalidArgumentError(absl::StrCat(AsAbsl(flag), ": expected ",
                                                 AsAbsl(expected), ", got \"",
                                                 AsAbsl(text), "\""));
}

// A decimal number of at least `min`.
template <typename T>
absl::Status ToNumber(std::string_view flag, const std::string& text,
                      int64_t min, T* out) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) {
    return BadValue(flag, "a whole number", text);
  }
  if (value < min) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(flag), " must be at least ", min, ", not ", value));
  }
  *out = static_cast<T>(value);
  return absl::OkStatus();
}

// A duration as absl::ParseDuration reads it ("50ms", "1h30m", "0"), above
// zero unless `zero_allowed`.
absl::Status ToDuration(std::string_view flag, const std::string& text,
                        bool zero_allowed, absl::Duration* out) {
  absl::Duration value;
  if (!absl::ParseDuration(text, &value)) {
    return BadValue(flag, "a duration such as 10s or 5m", text);
  }
  if (value < absl::ZeroDuration() ||
      (!zero_allowed && value == absl::ZeroDuration())) {
    return absl::InvalidArgumentError(
        absl::StrCat(AsAbsl(flag), zero_allowed ? " must not be negative"
                                                : " must be positive"));
  }
  *out = value;
  return absl::OkStatus();
}

absl::Status ToClusterOptions(const FlagText& flags, BrokerOptions* options) {
  cluster::ClusterOptions& cluster = options->cluster;
  cluster.etcd = flags.etcd;
  cluster.name = flags.cluster;
  cluster.advertise = flags.advertise;
  cluster.rack = flags.rack;
  if (cluster.name.empty() ||
      cluster.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz"
                                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789._-") != std::string::npos) {
    return BadValue("--cluster", "letters, digits, '.', '_' and '-'",
                    flags.cluster);
  }
  if (!cluster.advertise.empty() &&
      cluster.advertise.rfind(':') == std::string::npos) {
    return BadValue("--advertise", "HOST:PORT", flags.advertise);
  }
  CHORUS_RETURN_IF_ERROR(ToDuration("--session-timeout", flags.session_timeout,
                                    false, &cluster.session_timeout));
  CHORUS_RETURN_IF_ERROR(ToDuration("--join-timeout", flags.join_timeout, false,
                                    &cluster.join_timeout));
  if (cluster.session_timeout < absl::Seconds(2)) {
    return absl::InvalidArgumentError(
        "--session-timeout must be at least 2s (etcd's shortest lease)");
  }
  return absl::OkStatus();
}

absl::Status ToOptions(const FlagText& flags, BrokerOptions* options) {
  const size_t colon = flags.listen.rfind(':');
  uint32_t port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(flags.listen.substr(colon + 1), &port) ||
      port > 65535) {
    return BadValue("--listen", "HOST:PORT", flags.listen);
  }
  options->listen_host = flags.listen.substr(0, colon);
  options->listen_port = static_cast<uint16_t>(port);
  options->store.data_dir = flags.data_dir;
  options->node_id = flags.node_id;
  options->auto_create_topics = flags.auto_create_topics;
  CHORUS_RETURN_IF_ERROR(
      ToNumber("--threads", flags.threads, 0, &options->threads));
  absl::StatusOr<storage::FsyncMode> fsync =
      storage::ParseFsyncMode(flags.fsync);
  if (!fsync.ok())
    return BadValue("--fsync", "always, interval or never", flags.fsync);
  options->store.fsync = *fsync;
  CHORUS_RETURN_IF_ERROR(ToDuration("--fsync-interval", flags.fsync_interval,
                                    false, &options->store.fsync_interval));
  CHORUS_RETURN_IF_ERROR(ToNumber("--max-frame-bytes", flags.max_frame_bytes,
                                  1024, &options->max_frame_bytes));
  CHORUS_RETURN_IF_ERROR(ToNumber("--max-message-bytes",
                                  flags.max_message_bytes, 1,
                                  &options->max_message_bytes));
  CHORUS_RETURN_IF_ERROR(ToDuration("--retention-check-interval",
                                    flags.retention_check_interval, false,
                                    &options->retention_check_interval));
  CHORUS_RETURN_IF_ERROR(ToNumber("--max-connections", flags.max_connections, 1,
                                  &options->max_connections));
  CHORUS_RETURN_IF_ERROR(ToNumber("--max-subscriptions-per-connection",
                                  flags.max_subscriptions_per_connection, 1,
                                  &options->max_subscriptions_per_connection));
  CHORUS_RETURN_IF_ERROR(ToNumber("--max-in-flight-publish-bytes",
                                  flags.max_in_flight_publish_bytes, 1,
                                  &options->max_in_flight_publish_bytes));
  CHORUS_RETURN_IF_ERROR(ToDuration("--handshake-timeout",
                                    flags.handshake_timeout, false,
                                    &options->handshake_timeout));
  CHORUS_RETURN_IF_ERROR(ToDuration("--idle-timeout", flags.idle_timeout, true,
                                    &options->idle_timeout));
  CHORUS_RETURN_IF_ERROR(ToDuration("--frame-timeout", flags.frame_timeout,
                                    false, &options->frame_timeout));
  return ToClusterOptions(flags, options);
}

}  // namespace

absl::StatusOr<ChorusdCommandLine> ParseChorusdCommandLine(
    const std::vector<std::string>& args) {
  ChorusdCommandLine line;
  FlagText flags(line.options);
  CLI::App app(kDescription, "chorusd");
  cli::UseHelpStyle(app);
  DefineFlags(app, flags);
  cli::SetExamples(app, {"chorusd --listen 0.0.0.0:7400 --data-dir "
                         "/var/lib/chorus --fsync always",
                         "chorusd --flagfile /etc/chorus/chorusd.flags"});
  const cli::ParseOutcome outcome =
      cli::ParseCommandTree(app, RespellFlags(args, '_', '-'));
  switch (outcome.kind) {
    case cli::ParseOutcome::Kind::kUsageError:
      return absl::InvalidArgumentError(outcome.text);
    case cli::ParseOutcome::Kind::kHelp:
      line.action = ChorusdCommandLine::Action::kPrintHelp;
      line.text = outcome.text;
      return line;
    case cli::ParseOutcome::Kind::kVersion:
      line.action = ChorusdCommandLine::Action::kPrintVersion;
      line.text = outcome.text;
      return line;
    case cli::ParseOutcome::Kind::kRun:
      break;
  }
  CHORUS_RETURN_IF_ERROR(ToOptions(flags, &line.options));
  line.verbose = flags.verbose;
  return line;
}

}  // namespace chorus::broker
