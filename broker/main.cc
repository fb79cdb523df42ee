// chorusd: the Chorus broker process.
//
//   chorusd --listen 127.0.0.1:7400 --data-dir ./data
//
// Every flag has a default that starts a working single node. A config file
// with the same keys is read with --flagfile=FILE (one --key=value a line).
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "broker/broker.h"
#include "common/flag_names.h"
#include "common/log.h"
#include "google/protobuf/stubs/logging.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:7400",
          "HOST:PORT to listen on; port 0 picks a free port");
ABSL_FLAG(std::string, data_dir, "./data", "folder of the broker's storage");
ABSL_FLAG(int, threads, 0, "shards (one thread each); 0 means one per core");
ABSL_FLAG(std::string, fsync, "interval",
          "when an append counts as stored: always | interval | never");
ABSL_FLAG(absl::Duration, fsync_interval, absl::Milliseconds(50),
          "WAL fsync period under --fsync=interval");
ABSL_FLAG(int64_t, max_frame_bytes, 8 << 20,
          "largest frame accepted; larger ones close the connection");
ABSL_FLAG(int64_t, max_message_bytes, 1 << 20,
          "largest message (key + value + headers) accepted");
ABSL_FLAG(bool, auto_create_topics, true,
          "publishing to a missing topic creates it");
ABSL_FLAG(std::string, node_id, "chorus-1", "identity reported to clients");
ABSL_FLAG(absl::Duration, retention_check_interval, absl::Seconds(10),
          "how often retention limits are applied");
ABSL_FLAG(int64_t, max_connections, 10000,
          "connections beyond this are refused (RESOURCE_EXHAUSTED)");
ABSL_FLAG(int64_t, max_subscriptions_per_connection, 1000,
          "live subscriptions one connection may hold");
ABSL_FLAG(int64_t, max_in_flight_publish_bytes, 32 << 20,
          "publish bytes of one connection awaiting storage before the "
          "broker stops reading it (back-pressure)");
ABSL_FLAG(absl::Duration, handshake_timeout, absl::Seconds(10),
          "a connection without Hello this long after accept is closed");
ABSL_FLAG(absl::Duration, idle_timeout, absl::Minutes(5),
          "a connection that sends nothing this long is closed; 0 disables");
ABSL_FLAG(absl::Duration, frame_timeout, absl::Seconds(30),
          "a frame must arrive whole within this long of its first byte; "
          "once a client ended its stream, what it is owed must be written "
          "within this long");
ABSL_FLAG(bool, verbose, false, "log debug lines");

namespace {

using chorus::LogLevel;

// Parses the flags into options; returns an error message or "".
std::string ParseOptions(chorus::broker::BrokerOptions* options) {
  const std::string listen = absl::GetFlag(FLAGS_listen);
  const size_t colon = listen.rfind(':');
  uint32_t port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &port) || port > 65535) {
    return absl::StrCat("--listen wants HOST:PORT, not '", listen, "'");
  }
  options->listen_host = listen.substr(0, colon);
  options->listen_port = static_cast<uint16_t>(port);
  options->threads = absl::GetFlag(FLAGS_threads);
  options->node_id = absl::GetFlag(FLAGS_node_id);
  options->store.data_dir = absl::GetFlag(FLAGS_data_dir);
  absl::StatusOr<chorus::storage::FsyncMode> fsync =
      chorus::storage::ParseFsyncMode(absl::GetFlag(FLAGS_fsync));
  if (!fsync.ok()) return std::string(fsync.status().message());
  options->store.fsync = *fsync;
  options->store.fsync_interval = absl::GetFlag(FLAGS_fsync_interval);
  if (absl::GetFlag(FLAGS_max_frame_bytes) < 1024 ||
      absl::GetFlag(FLAGS_max_message_bytes) < 1) {
    return "--max-frame-bytes must be at least 1024 and "
           "--max-message-bytes at least 1";
  }
  options->max_frame_bytes = absl::GetFlag(FLAGS_max_frame_bytes);
  options->max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  options->auto_create_topics = absl::GetFlag(FLAGS_auto_create_topics);
  options->retention_check_interval =
      absl::GetFlag(FLAGS_retention_check_interval);
  if (absl::GetFlag(FLAGS_max_connections) < 1 ||
      absl::GetFlag(FLAGS_max_subscriptions_per_connection) < 1 ||
      absl::GetFlag(FLAGS_max_in_flight_publish_bytes) < 1) {
    return "--max-connections, --max-subscriptions-per-connection and "
           "--max-in-flight-publish-bytes must be at least 1";
  }
  if (absl::GetFlag(FLAGS_handshake_timeout) <= absl::ZeroDuration() ||
      absl::GetFlag(FLAGS_frame_timeout) <= absl::ZeroDuration() ||
      absl::GetFlag(FLAGS_idle_timeout) < absl::ZeroDuration()) {
    return "--handshake-timeout and --frame-timeout must be positive and "
           "--idle-timeout not negative";
  }
  options->max_connections = absl::GetFlag(FLAGS_max_connections);
  options->max_subscriptions_per_connection =
      absl::GetFlag(FLAGS_max_subscriptions_per_connection);
  options->max_in_flight_publish_bytes =
      absl::GetFlag(FLAGS_max_in_flight_publish_bytes);
  options->handshake_timeout = absl::GetFlag(FLAGS_handshake_timeout);
  options->idle_timeout = absl::GetFlag(FLAGS_idle_timeout);
  options->frame_timeout = absl::GetFlag(FLAGS_frame_timeout);
  return "";
}

// Each connection takes a descriptor, and the default soft limit (often
// 1024) is far below what a broker serves: raise it to the hard limit.
void RaiseFileLimit() {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 ||
      limit.rlim_cur >= limit.rlim_max) {
    return;
  }
  const rlim_t was = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    chorus::Log(LogLevel::kWarning, "server",
                absl::StrCat("cannot raise the open file limit from ", was));
  }
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "chorusd [--listen HOST:PORT] [--data-dir DIR] [--fsync MODE] ...");
  chorus::DashedFlags flags(argc, argv);
  std::vector<char*> rest = absl::ParseCommandLine(flags.argc(), flags.argv());
  if (rest.size() > 1) {
    std::fprintf(stderr, "chorusd: unexpected argument '%s'\n", rest[1]);
    return 2;
  }
  if (absl::GetFlag(FLAGS_verbose)) chorus::SetMinLogLevel(LogLevel::kDebug);
  chorus::broker::BrokerOptions options;
  if (std::string error = ParseOptions(&options); !error.empty()) {
    std::fprintf(stderr, "chorusd: %s\n", error.c_str());
    return 2;
  }

  // Signals are taken synchronously by this thread; block them before any
  // other thread starts so none of those receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  // Protobuf logs an ERROR line for each string field that is not UTF-8.
  // The broker refuses such a frame with INVALID_ARGUMENT anyway; the line
  // would only let any client flood our log, one per frame.
  google::protobuf::SetLogHandler(nullptr);
  RaiseFileLimit();

  absl::StatusOr<std::unique_ptr<chorus::broker::Broker>> broker =
      chorus::broker::Broker::Start(options);
  if (!broker.ok()) {
    std::fprintf(stderr, "chorusd: cannot start: %s\n",
                 std::string(broker.status().message()).c_str());
    return 1;
  }
  std::printf("chorusd listening on %s\n", (*broker)->endpoint().c_str());
  std::fflush(stdout);
  chorus::Log(
      LogLevel::kInfo, "server",
      absl::StrCat(
          "serving ", options.store.data_dir, " with fsync=",
          std::string(chorus::storage::FsyncModeName(options.store.fsync))));

  int received = 0;
  sigwait(&signals, &received);
  chorus::Log(LogLevel::kInfo, "server",
              absl::StrCat("signal ", received, ": shutting down"));
  (*broker)->Shutdown();
  return 0;
}
