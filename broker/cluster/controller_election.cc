#include "broker/cluster/controller_election.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/cluster/etcd/watcher.h"
#include "common/log.h"
#include "proto/cluster.pb.h"

namespace chorus::cluster {

ControllerElection::ControllerElection(etcd::Client& etcd,
                                       const ClusterKeys& keys,
                                       std::string node_id, int64_t lease_id,
                                       ChangeCallback on_change)
    : etcd_(etcd),
      keys_(keys),
      node_id_(std::move(node_id)),
      lease_id_(lease_id),
      on_change_(std::move(on_change)),
      thread_([this] { Run(); }) {}

ControllerElection::~ControllerElection() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  const ControllerInfo last = current();
  if (last.node_id == node_id_ && last.epoch != 0) {
    etcd_
        .Txn({etcd::Compare::CreateRevisionIs(keys_.Controller(), last.epoch)},
             {etcd::Op::Delete(keys_.Controller())}, {})
        .IgnoreError();
  }
}

ControllerInfo ControllerElection::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

bool ControllerElection::Stopping() {
  std::lock_guard<std::mutex> lock(mutex_);
  return stopping_;
}

void ControllerElection::Run() {
  while (!Stopping()) {
    if (!Campaign()) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait_for(lock, std::chrono::seconds(1),
                     [this] { return stopping_; });
      continue;
    }
    WaitForVacancy();
  }
}

bool ControllerElection::Campaign() {
  wire::ControllerRecord record;
  record.set_node_id(node_id_);
  const std::string key = keys_.Controller();
  absl::StatusOr<etcd::TxnResult> claimed =
      etcd_.Txn({etcd::Compare::Absent(key)},
                {etcd::Op::Put(key, record.SerializeAsString(), lease_id_)},
                {etcd::Op::Get(key)});
  if (!claimed.ok()) {
    Log(LogLevel::kWarning, "cluster",
        absl::StrCat("controller election: ", claimed.status().ToString()));
    return false;
  }
  ControllerInfo now;
  bool won = claimed->succeeded;
  if (won) {
    now = {.node_id = node_id_, .epoch = claimed->revision};
  } else if (!claimed->reads.empty() && !claimed->reads[0].empty()) {
    const etcd::KeyValue& holder = claimed->reads[0][0];
    wire::ControllerRecord held;
    held.ParseFromString(holder.value);
    now = {.node_id = held.node_id(), .epoch = holder.create_revision};
    // A retried transaction whose first attempt won reads our own key.
    won = holder.lease == lease_id_;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    current_ = now;
    vacant_ = now.epoch == 0;
    seen_revision_ = claimed->revision;
  }
  if (won) {
    Log(LogLevel::kInfo, "cluster",
        absl::StrCat("broker ", node_id_, " is the controller (epoch ",
                     now.epoch, ")"));
  }
  on_change_(now);
  return true;
}

void ControllerElection::WaitForVacancy() {
  const std::string key = keys_.Controller();
  int64_t from;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (vacant_) return;
    from = seen_revision_ + 1;
  }
  etcd::Watcher watcher(
      etcd_, key, from,
      [this, &key](std::vector<etcd::WatchEvent> events) {
        for (const etcd::WatchEvent& event : events) {
          if (event.kv.key == key &&
              event.type == etcd::WatchEvent::Type::kDelete) {
            {
              std::lock_guard<std::mutex> lock(mutex_);
              vacant_ = true;
              current_ = {};
            }
            on_change_({});
          }
        }
        wake_.notify_all();
      },
      [this](absl::Status) {
        // Compacted past what we saw: campaign again, which re-reads.
        std::lock_guard<std::mutex> lock(mutex_);
        vacant_ = true;
        wake_.notify_all();
      });
  std::unique_lock<std::mutex> lock(mutex_);
  wake_.wait(lock, [this] { return stopping_ || vacant_; });
}

absl::StatusOr<etcd::TxnResult> ControllerElection::FencedTxn(
    etcd::Client& etcd, const ClusterKeys& keys, int64_t epoch,
    std::vector<etcd::Compare> compares, const std::vector<etcd::Op>& ops) {
  compares.insert(compares.begin(),
                  etcd::Compare::CreateRevisionIs(keys.Controller(), epoch));
  absl::StatusOr<etcd::TxnResult> result =
      etcd.Txn(compares, ops, {etcd::Op::Get(keys.Controller())});
  if (!result.ok() || result->succeeded) return result;
  const bool superseded = result->reads.empty() || result->reads[0].empty() ||
                          result->reads[0][0].create_revision != epoch;
  if (!superseded) {
    return absl::AbortedError(
        "a condition of the controller's write no longer holds");
  }
  return absl::FailedPreconditionError(
      absl::StrCat("controller epoch ", epoch,
                   " was superseded: this broker no longer controls the "
                   "cluster"));
}

}  // namespace chorus::cluster
