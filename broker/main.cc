// chorusd: the Chorus broker process.
//
//   chorusd --listen 127.0.0.1:7400 --data-dir ./data
//
// Every flag has a default that starts a working single node; `chorusd
// --help` lists them (broker/chorusd_flags.cc). A config file with the same
// keys is read with --flagfile=FILE (one --key=value a line).
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "broker/broker.h"
#include "broker/chorusd_flags.h"
#include "broker/cluster/broker_identity.h"
#include "broker/cluster/cluster_node.h"
#include "common/log.h"
#include "google/protobuf/stubs/logging.h"

namespace {

using chorus::LogLevel;

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

// In a cluster: the node that joins it, opened before the broker starts so
// that the broker serves under the node id kept in its data dir. On a single
// node: none, and the data dir must not be a cluster broker's.
absl::StatusOr<std::unique_ptr<chorus::cluster::ClusterNode>> OpenCluster(
    chorus::broker::BrokerOptions& options) {
  if (options.cluster.etcd.empty()) {
    absl::StatusOr<std::optional<chorus::cluster::BrokerIdentity>> identity =
        chorus::cluster::ReadIdentity(options.store.data_dir);
    if (!identity.ok()) return identity.status();
    if (identity->has_value()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data dir ", options.store.data_dir, " belongs to broker ",
          (*identity)->node_id, " of cluster \"", (*identity)->cluster,
          "\": start it with --etcd and --cluster ", (*identity)->cluster));
    }
    return nullptr;
  }
  absl::StatusOr<std::unique_ptr<chorus::cluster::ClusterNode>> node =
      chorus::cluster::ClusterNode::Open(options.cluster,
                                         options.store.data_dir);
  if (node.ok()) options.node_id = (*node)->identity().node_id;
  return node;
}

// Where the cluster reaches this broker: --advertise, or where it listens.
absl::StatusOr<std::string> AdvertisedAddress(
    const chorus::broker::BrokerOptions& options, const std::string& endpoint) {
  if (!options.cluster.advertise.empty()) return options.cluster.advertise;
  if (options.listen_host == "0.0.0.0" || options.listen_host == "::") {
    return absl::InvalidArgumentError(
        "--advertise is needed when listening on every address");
  }
  return endpoint;
}

int CannotStart(const absl::Status& status) {
  std::fprintf(stderr, "chorusd: cannot start: %s\n",
               std::string(status.message()).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::StatusOr<chorus::broker::ChorusdCommandLine> line =
      chorus::broker::ParseChorusdCommandLine(
          std::vector<std::string>(argv + 1, argv + argc));
  if (!line.ok()) {
    std::fprintf(stderr,
                 "chorusd: error: %s\nRun `chorusd --help` for its flags.\n",
                 std::string(line.status().message()).c_str());
    return 2;
  }
  if (line->action != chorus::broker::ChorusdCommandLine::Action::kServe) {
    std::fputs(line->text.c_str(), stdout);
    if (line->text.empty() || line->text.back() != '\n')
      std::fputc('\n', stdout);
    return 0;
  }
  if (line->verbose) chorus::SetMinLogLevel(LogLevel::kDebug);
  chorus::broker::BrokerOptions& options = line->options;

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

  absl::StatusOr<std::unique_ptr<chorus::cluster::ClusterNode>> cluster =
      OpenCluster(options);
  if (!cluster.ok()) return CannotStart(cluster.status());
  absl::StatusOr<std::unique_ptr<chorus::broker::Broker>> broker =
      *cluster ? chorus::broker::Broker::Start(options, (*cluster)->directory(),
                                               (*cluster)->topic_admin())
               : chorus::broker::Broker::Start(options);
  if (!broker.ok()) return CannotStart(broker.status());
  if (*cluster) {
    absl::StatusOr<std::string> address =
        AdvertisedAddress(options, (*broker)->endpoint());
    if (!address.ok()) return CannotStart(address.status());
    if (absl::Status joined =
            (*cluster)->Join(*address, &(*broker)->registry());
        !joined.ok()) {
      return CannotStart(joined);
    }
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
  cluster->reset();  // leaves the cluster: resigns, revokes its lease
  return 0;
}
