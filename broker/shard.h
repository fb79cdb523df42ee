// Shard: one io_context run by one thread, and the per-shard state that only
// that thread touches (DESIGN.md "Threading").
//
// Partitions and connections are pinned to a shard for their whole life;
// other threads reach them by posting to the shard's executor. Appends made
// in one turn of a shard share one RocksDB write (group commit):
//
//   storage::CommitBatch* batch = shard.group_commit().Batch();
//   log->Append(..., batch, &value);
//   shard.group_commit().OnStored([](absl::Status s) { ... });
#ifndef CHORUS_BROKER_SHARD_H_
#define CHORUS_BROKER_SHARD_H_

#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "asio.hpp"
#include "broker/lease_table.h"
#include "storage/store.h"

namespace chorus::broker {

class Partition;
class Session;

// Gathers the appends of one shard turn into one Store::Commit. Lives on its
// shard; call only from the shard's thread.
class GroupCommit {
 public:
  using Done = absl::AnyInvocable<void(absl::Status)>;

  GroupCommit(storage::Store* store, asio::io_context::executor_type executor);

  // The batch this turn's appends go into. The first call of a turn
  // schedules the commit for the end of the turn.
  storage::CommitBatch* Batch();
  // Runs `done` on this shard once the current batch is stored (or failed).
  // Callbacks run in the order they were registered.
  void OnStored(Done done);
  // Runs `stage` at the end of the turn, just before the current batch is
  // committed, to add writes that sum up the turn (a partition's producer
  // rows: one put each, however many appends changed them). Call after
  // Batch() in the same turn.
  void BeforeCommit(absl::AnyInvocable<void(storage::CommitBatch*)> stage);

 private:
  void CommitNow();

  storage::Store* store_;
  asio::io_context::executor_type executor_;
  storage::CommitBatch batch_;
  std::vector<Done> waiting_;
  std::vector<absl::AnyInvocable<void(storage::CommitBatch*)>> before_commit_;
  bool scheduled_ = false;
};

// Owned by the Broker. Start and Stop are called from the broker's control
// thread; everything else only from the shard's own thread.
class Shard {
 public:
  Shard(int index, storage::Store* store);
  ~Shard();

  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  int index() const { return index_; }
  asio::io_context& io_context() { return io_context_; }
  asio::io_context::executor_type executor() {
    return io_context_.get_executor();
  }

  void Start();
  // Stops the loop and joins the thread; pending handlers are dropped.
  void Stop();

  GroupCommit& group_commit() { return group_commit_; }
  // Leases granted through this shard.
  LeaseTable& leases() { return leases_; }

  // Partitions owned by this shard, for retention.
  absl::flat_hash_set<std::shared_ptr<Partition>>& partitions() {
    return partitions_;
  }
  // Connections living on this shard, for shutdown.
  absl::flat_hash_set<std::shared_ptr<Session>>& sessions() {
    return sessions_;
  }

 private:
  int index_;
  asio::io_context io_context_{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>>
      work_;
  std::thread thread_;
  GroupCommit group_commit_;
  LeaseTable leases_;
  absl::flat_hash_set<std::shared_ptr<Partition>> partitions_;
  absl::flat_hash_set<std::shared_ptr<Session>> sessions_;
};

// The broker's shards, indexed 0..size-1.
using ShardSet = std::vector<std::unique_ptr<Shard>>;

}  // namespace chorus::broker

#endif  // CHORUS_BROKER_SHARD_H_
