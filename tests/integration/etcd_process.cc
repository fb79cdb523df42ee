#include "tests/integration/etcd_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

namespace chorus::testing {
namespace {

// A loopback port that is free now, drawn at random below Linux's ephemeral
// range (32768-60999), where the kernel picks ports for outgoing connections
// and for bind(0): a port from there, released until etcd binds it, can be
// taken in between by any connection on the machine. `taken` holds the ports
// already drawn for this cluster.
absl::StatusOr<int> FreeLoopbackPort(std::set<int>* taken) {
  thread_local std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> below_ephemeral(20000, 32767);
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int port = below_ephemeral(random);
    if (taken->contains(port)) continue;
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return absl::InternalError("socket failed");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(port));
    const bool free =
        bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    close(fd);
    if (free) {
      taken->insert(port);
      return port;
    }
  }
  return absl::UnavailableError("no free loopback port below 32768");
}

// GET /health of the member on `port`: true when it says it is healthy.
bool Healthy(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  timeval timeout{.tv_sec = 1, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  std::string reply;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) ==
      0) {
    const std::string request =
        "GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(fd, request.data(), request.size()) ==
        static_cast<ssize_t>(request.size())) {
      char buffer[512];
      ssize_t n;
      while ((n = read(fd, buffer, sizeof(buffer))) > 0)
        reply.append(buffer, n);
    }
  }
  close(fd);
  return absl::StrContains(reply, "\"health\":\"true\"");
}

}  // namespace

const char* EtcdPath() { return CHORUS_ETCD_PATH; }
const char* EtcdctlPath() { return CHORUS_ETCDCTL_PATH; }

absl::StatusOr<std::unique_ptr<EtcdCluster>> EtcdCluster::Start(int members) {
  // A member that cannot bind its ports (taken since they were drawn) exits;
  // the cluster then starts afresh on new ones.
  absl::Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<std::unique_ptr<EtcdCluster>> cluster = TryStart(members);
    if (cluster.ok()) return cluster;
    last = cluster.status();
  }
  return last;
}

absl::StatusOr<std::unique_ptr<EtcdCluster>> EtcdCluster::TryStart(
    int members) {
  auto cluster = std::unique_ptr<EtcdCluster>(new EtcdCluster());
  std::string pattern =
      (std::filesystem::temp_directory_path() / "chorus-etcd-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError("mkdtemp failed");
  }
  cluster->root_ = pattern;
  cluster->token_ = std::filesystem::path(pattern).filename().string();
  std::set<int> taken;
  for (int i = 0; i < members; ++i) {
    absl::StatusOr<int> client_port = FreeLoopbackPort(&taken);
    absl::StatusOr<int> peer_port = FreeLoopbackPort(&taken);
    if (!client_port.ok()) return client_port.status();
    if (!peer_port.ok()) return peer_port.status();
    cluster->members_.push_back(Member{.name = absl::StrCat("m", i),
                                       .client_port = *client_port,
                                       .peer_port = *peer_port});
  }
  for (int i = 0; i < members; ++i) {
    if (absl::Status launched = cluster->Launch(i); !launched.ok()) {
      return launched;
    }
  }
  for (int i = 0; i < members; ++i) {
    if (absl::Status healthy = cluster->WaitHealthy(i, absl::Seconds(30));
        !healthy.ok()) {
      return healthy;
    }
  }
  return cluster;
}

EtcdCluster::~EtcdCluster() {
  members_.clear();  // each Subprocess kills and reaps its member
  std::error_code ignored;
  std::filesystem::remove_all(root_, ignored);
}

std::string EtcdCluster::endpoint(int member) const {
  return absl::StrCat("http://127.0.0.1:", members_[member].client_port);
}

std::string EtcdCluster::endpoints() const {
  std::vector<std::string> all;
  for (int i = 0; i < size(); ++i) all.push_back(endpoint(i));
  return absl::StrJoin(all, ",");
}

absl::Status EtcdCluster::Launch(int member) {
  const Member& m = members_[member];
  std::vector<std::string> initial;
  for (const Member& peer : members_) {
    initial.push_back(
        absl::StrCat(peer.name, "=http://127.0.0.1:", peer.peer_port));
  }
  // One member can run etcd's fastest timings; three share two cores with
  // brokers and tests, so they get slower ones that do not elect spuriously.
  const bool alone = members_.size() == 1;
  const std::string peer_url = absl::StrCat("http://127.0.0.1:", m.peer_port);
  std::vector<std::string> argv = {EtcdPath(),
                                   "--name",
                                   m.name,
                                   "--data-dir",
                                   absl::StrCat(root_, "/", m.name),
                                   "--listen-client-urls",
                                   endpoint(member),
                                   "--advertise-client-urls",
                                   endpoint(member),
                                   "--listen-peer-urls",
                                   peer_url,
                                   "--initial-advertise-peer-urls",
                                   peer_url,
                                   "--initial-cluster",
                                   absl::StrJoin(initial, ","),
                                   "--initial-cluster-token",
                                   token_,
                                   "--heartbeat-interval",
                                   alone ? "10" : "50",
                                   "--election-timeout",
                                   alone ? "100" : "500",
                                   "--log-level",
                                   "warn"};
  Subprocess::Options options;
  options.stderr_path = absl::StrCat(root_, "/", m.name, ".log");
  absl::StatusOr<std::unique_ptr<Subprocess>> process =
      Subprocess::Start(argv, options);
  if (!process.ok()) return process.status();
  members_[member].process = *std::move(process);
  return absl::OkStatus();
}

absl::Status EtcdCluster::WaitHealthy(int member, absl::Duration timeout) {
  const Member& m = members_[member];
  const absl::Time deadline = absl::Now() + timeout;
  while (!Healthy(m.client_port)) {
    if (m.process->Wait(absl::ZeroDuration()).ok()) {
      return absl::UnavailableError(absl::StrCat("etcd member ", m.name,
                                                 " exited (log in ", root_, "/",
                                                 m.name, ".log)"));
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("etcd member ", m.name, " is not healthy after ",
                       absl::FormatDuration(timeout), " (log in ", root_, ")"));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::OkStatus();
}

void EtcdCluster::Kill(int member) {
  members_[member].process->Signal(SIGKILL);
  (void)members_[member].process->Wait(absl::Seconds(20));
}

void EtcdCluster::Pause(int member) {
  members_[member].process->Signal(SIGSTOP);
}

void EtcdCluster::Resume(int member) {
  members_[member].process->Signal(SIGCONT);
}

absl::Status EtcdCluster::Restart(int member) {
  members_[member].process.reset();
  if (absl::Status launched = Launch(member); !launched.ok()) return launched;
  return WaitHealthy(member, absl::Seconds(30));
}

}  // namespace chorus::testing
