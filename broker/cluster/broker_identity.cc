#include "broker/cluster/broker_identity.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace chorus::cluster {
namespace {

constexpr char kFileName[] = "CLUSTER";

std::string PathOf(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / kFileName).string();
}

absl::Status ErrnoError(absl::string_view what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

// Writes `text` to `path` so that it is there whole after a crash, or not
// at all: aside, synced, renamed, and the folder synced.
absl::Status WriteDurably(const std::string& path, const std::string& text) {
  const std::string aside = path + ".new";
  int fd = open(aside.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("cannot create", aside);
  const bool written = write(fd, text.data(), text.size()) ==
                           static_cast<ssize_t>(text.size()) &&
                       fsync(fd) == 0;
  close(fd);
  if (!written) return ErrnoError("cannot write", aside);
  if (rename(aside.c_str(), path.c_str()) != 0) {
    return ErrnoError("cannot rename to", path);
  }
  const std::string folder = std::filesystem::path(path).parent_path();
  int dir = open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    fsync(dir);
    close(dir);
  }
  return absl::OkStatus();
}

// The next node id from the cluster's counter, taken by compare-and-swap.
absl::StatusOr<std::string> TakeNodeId(etcd::Client& etcd,
                                       const ClusterKeys& keys) {
  const std::string key = keys.NextNodeId();
  while (true) {
    absl::StatusOr<std::optional<etcd::KeyValue>> counter = etcd.Get(key);
    if (!counter.ok()) return counter.status();
    uint64_t next = 1;
    int64_t read_at = 0;
    if (counter->has_value()) {
      if (!absl::SimpleAtoi((*counter)->value, &next)) {
        return absl::DataLossError(absl::StrCat(
            key, " holds \"", (*counter)->value, "\", not a number"));
      }
      read_at = (*counter)->mod_revision;
    }
    absl::StatusOr<etcd::TxnResult> swapped =
        etcd.Txn({etcd::Compare::ModRevisionIs(key, read_at)},
                 {etcd::Op::Put(key, absl::StrCat(next + 1))}, {});
    if (!swapped.ok()) return swapped.status();
    if (swapped->succeeded) return absl::StrCat(next);
  }
}

}  // namespace

absl::StatusOr<std::optional<BrokerIdentity>> ReadIdentity(
    const std::string& data_dir) {
  const std::string path = PathOf(data_dir);
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return std::nullopt;
    return ErrnoError("cannot read", path);
  }
  std::stringstream text;
  text << in.rdbuf();
  BrokerIdentity identity;
  for (absl::string_view line :
       absl::StrSplit(text.str(), '\n', absl::SkipWhitespace())) {
    if (absl::ConsumePrefix(&line, "cluster ")) {
      identity.cluster = std::string(line);
    } else if (absl::ConsumePrefix(&line, "node ")) {
      identity.node_id = std::string(line);
    }
  }
  if (identity.cluster.empty() || identity.node_id.empty()) {
    return absl::DataLossError(absl::StrCat(
        path, " is damaged: it must name the cluster and the node"));
  }
  return identity;
}

absl::StatusOr<BrokerIdentity> LoadOrAssignIdentity(const std::string& data_dir,
                                                    const std::string& cluster,
                                                    etcd::Client& etcd,
                                                    const ClusterKeys& keys) {
  absl::StatusOr<std::optional<BrokerIdentity>> recorded =
      ReadIdentity(data_dir);
  if (!recorded.ok()) return recorded.status();
  if (recorded->has_value()) {
    if ((*recorded)->cluster != cluster) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data dir ", data_dir, " belongs to broker ", (*recorded)->node_id,
          " of cluster \"", (*recorded)->cluster, "\", not of cluster \"",
          cluster, "\""));
    }
    return **recorded;
  }
  absl::StatusOr<std::string> node_id = TakeNodeId(etcd, keys);
  if (!node_id.ok()) return node_id.status();
  std::error_code ignored;
  std::filesystem::create_directories(data_dir, ignored);
  BrokerIdentity identity{.cluster = cluster, .node_id = *node_id};
  if (absl::Status written = WriteDurably(
          PathOf(data_dir),
          absl::StrCat("cluster ", cluster, "\nnode ", *node_id, "\n"));
      !written.ok()) {
    return written;
  }
  return identity;
}

}  // namespace chorus::cluster
