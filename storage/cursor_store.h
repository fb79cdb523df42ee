// CursorStore: named subscriptions and their positions, in the Store's
// `cursors` column family.
//
// Keys: "sub/<name>" → SubscriptionRecord (written with a WAL sync, like
// topic records: admin work is rare); "pos/<name>\0<partition_id u64 BE>" →
// CursorPosition, staged in a shard's group commit so that moving a position
// costs no write of its own.
//
//   CursorStore cursors(store);
//   CHORUS_RETURN_IF_ERROR(cursors.PutSubscription(record));
//   cursors.StagePosition("billing", partition_id, position, &commit);
//   CHORUS_ASSIGN_OR_RETURN(auto position,
//                           cursors.LoadPosition("billing", partition_id));
#ifndef CHORUS_STORAGE_CURSOR_STORE_H_
#define CHORUS_STORAGE_CURSOR_STORE_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/storage.pb.h"
#include "storage/store.h"

namespace chorus::storage {

// Thread-safe and stateless: a view of the Store, which must outlive it.
class CursorStore {
 public:
  explicit CursorStore(Store* store) : store_(store) {}

  // kInvalidArgument for an empty name; kInternal on I/O failure.
  absl::Status PutSubscription(const wire::SubscriptionRecord& record);
  // Deletes the record and every position of `name`. Missing is OK.
  absl::Status DeleteSubscription(std::string_view name);
  // Every stored record. kDataLoss if one does not parse.
  absl::StatusOr<std::vector<wire::SubscriptionRecord>> LoadSubscriptions();

  // Stages the position of `name` in `partition_id` into `commit`.
  void StagePosition(std::string_view name, uint64_t partition_id,
                     const wire::CursorPosition& position,
                     CommitBatch* commit) const;
  // The stored position, or nullopt if none was ever stored. kDataLoss if
  // it does not parse.
  absl::StatusOr<std::optional<wire::CursorPosition>> LoadPosition(
      std::string_view name, uint64_t partition_id) const;

 private:
  Store* store_;
};

}  // namespace chorus::storage

#endif  // CHORUS_STORAGE_CURSOR_STORE_H_
