#include "storage/key_table.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/key_coding.h"
#include "storage/rocksdb_status.h"

namespace chorus::storage {
namespace {

std::string EntryKey(uint64_t partition_id, std::string_view key) {
  std::string entry = BigEndian64(partition_id);
  entry.append(key);
  return entry;
}

}  // namespace

void KeyTable::StagePut(uint64_t partition_id, std::string_view key,
                        std::string_view stored, CommitBatch* commit) const {
  // A WriteBatch Put fails only for entries over 4 GiB, far above any frame.
  (void)commit->batch().Put(store_->keys_family(), EntryKey(partition_id, key),
                            stored);
}

absl::StatusOr<std::optional<std::string>> KeyTable::Get(
    uint64_t partition_id, std::string_view key) const {
  std::string value;
  rocksdb::Status got =
      store_->db()->Get(rocksdb::ReadOptions(), store_->keys_family(),
                        EntryKey(partition_id, key), &value);
  if (got.IsNotFound()) return std::nullopt;
  CHORUS_RETURN_IF_ERROR(FromRocksDb(got, "get status key"));
  return value;
}

absl::StatusOr<bool> KeyTable::Scan(uint64_t partition_id, bool after_set,
                                    std::string_view after, size_t max_bytes,
                                    std::vector<Entry>* entries) const {
  const std::string upper = BigEndian64(partition_id + 1);
  const rocksdb::Slice upper_bound(upper);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &upper_bound;
  std::unique_ptr<rocksdb::Iterator> it(
      store_->db()->NewIterator(read_options, store_->keys_family()));
  const std::string start =
      after_set ? EntryKey(partition_id, after) : BigEndian64(partition_id);
  it->Seek(start);
  if (after_set && it->Valid() && it->key().ToStringView() == start) {
    it->Next();
  }
  size_t bytes = 0;
  bool any = false;
  for (; it->Valid() && (!any || bytes < max_bytes); it->Next()) {
    Entry& entry = entries->emplace_back();
    entry.key = std::string(it->key().ToStringView().substr(8));
    entry.stored = std::string(it->value().ToStringView());
    bytes += entry.stored.size();
    any = true;
  }
  CHORUS_RETURN_IF_ERROR(FromRocksDb(it->status(), "scan status keys"));
  return any;
}

}  // namespace chorus::storage
