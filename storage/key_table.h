// KeyTable: the last value of every key of a status topic's partition, in
// the Store's `keys` column family.
//
// Key: partition_id (u64 BE) | record key. Value: a StoredBatch of exactly
// one record (the last one published with that key), so a snapshot delivers
// it byte for byte like any stored batch. Entries are staged in the same
// group commit as the log append they mirror, so the table and the log never
// disagree after a crash.
//
//   KeyTable table(store);
//   table.StagePut(partition_id, "eu-1", one_record_batch, &commit);
//   std::vector<KeyTable::Entry> entries;
//   table.Scan(partition_id, /*after=*/"", 1 << 20, &entries);
#ifndef CHORUS_STORAGE_KEY_TABLE_H_
#define CHORUS_STORAGE_KEY_TABLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/store.h"

namespace chorus::storage {

// Thread-safe and stateless: a view of the Store, which must outlive it.
// Writes are staged by the partition's shard; reads may run anywhere.
class KeyTable {
 public:
  struct Entry {
    std::string key;
    std::string stored;  // StoredBatch encoding of one record
  };

  explicit KeyTable(Store* store) : store_(store) {}

  void StagePut(uint64_t partition_id, std::string_view key,
                std::string_view stored, CommitBatch* commit) const;
  // The entry of `key`, or nullopt. kInternal on I/O failure.
  absl::StatusOr<std::optional<std::string>> Get(uint64_t partition_id,
                                                 std::string_view key) const;
  // Appends entries of `partition_id` with keys after `after` (all when
  // `after_set` is false), in key order, until `max_bytes` of values (at
  // least one entry if any is left). Returns false when none are left.
  absl::StatusOr<bool> Scan(uint64_t partition_id, bool after_set,
                            std::string_view after, size_t max_bytes,
                            std::vector<Entry>* entries) const;

 private:
  Store* store_;
};

}  // namespace chorus::storage

#endif  // CHORUS_STORAGE_KEY_TABLE_H_
