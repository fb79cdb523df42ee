#include "storage/cursor_store.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/string_views.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/key_coding.h"
#include "storage/rocksdb_status.h"

namespace chorus::storage {
namespace {

constexpr std::string_view kSubscriptionPrefix = "sub/";
// The key just after every "sub/..." key ('0' follows '/').
constexpr std::string_view kSubscriptionPrefixEnd = "sub0";
constexpr std::string_view kPositionPrefix = "pos/";

std::string SubscriptionKey(std::string_view name) {
  return absl::StrCat(AsAbsl(kSubscriptionPrefix), AsAbsl(name));
}

// "pos/<name>\0": every position key of `name` starts with it, and no key of
// another name does (names hold no NUL).
std::string PositionPrefix(std::string_view name) {
  std::string key = absl::StrCat(AsAbsl(kPositionPrefix), AsAbsl(name));
  key.push_back('\0');
  return key;
}

std::string PositionKey(std::string_view name, uint64_t partition_id) {
  std::string key = PositionPrefix(name);
  const size_t at = key.size();
  key.resize(at + 8);
  EncodeBigEndian64(partition_id, key.data() + at);
  return key;
}

rocksdb::WriteOptions SyncedWrite() {
  rocksdb::WriteOptions options;
  options.sync = true;
  return options;
}

}  // namespace

absl::Status CursorStore::PutSubscription(
    const wire::SubscriptionRecord& record) {
  if (record.name().empty()) {
    return absl::InvalidArgumentError("subscription record without a name");
  }
  return FromRocksDb(store_->db()->Put(SyncedWrite(), store_->cursors_family(),
                                       SubscriptionKey(record.name()),
                                       record.SerializeAsString()),
                     absl::StrCat("put subscription ", record.name()));
}

absl::Status CursorStore::DeleteSubscription(std::string_view name) {
  rocksdb::WriteBatch batch;
  rocksdb::ColumnFamilyHandle* family = store_->cursors_family();
  std::string begin = PositionPrefix(name);
  std::string end = begin;
  end.back() = '\1';  // just after every "pos/<name>\0..." key
  CHORUS_RETURN_IF_ERROR(
      FromRocksDb(batch.Delete(family, SubscriptionKey(name)), "stage delete"));
  CHORUS_RETURN_IF_ERROR(
      FromRocksDb(batch.DeleteRange(family, begin, end), "stage delete"));
  CHORUS_RETURN_IF_ERROR(
      FromRocksDb(store_->db()->Write(SyncedWrite(), &batch),
                  absl::StrCat("delete subscription ", AsAbsl(name))));
  store_->RangeDeletionsWritten(family);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<wire::SubscriptionRecord>>
CursorStore::LoadSubscriptions() {
  const rocksdb::Slice upper_bound(kSubscriptionPrefixEnd);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &upper_bound;
  std::unique_ptr<rocksdb::Iterator> it(
      store_->db()->NewIterator(read_options, store_->cursors_family()));
  std::vector<wire::SubscriptionRecord> records;
  for (it->Seek(kSubscriptionPrefix); it->Valid(); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    wire::SubscriptionRecord& record = records.emplace_back();
    if (!record.ParseFromArray(it->value().data(),
                               static_cast<int>(it->value().size())) ||
        record.name() != key.substr(kSubscriptionPrefix.size())) {
      return absl::DataLossError(absl::StrCat("cursors record ", AsAbsl(key),
                                              " is not a subscription record"));
    }
  }
  CHORUS_RETURN_IF_ERROR(FromRocksDb(it->status(), "load subscriptions"));
  return records;
}

void CursorStore::StagePosition(std::string_view name, uint64_t partition_id,
                                const wire::CursorPosition& position,
                                CommitBatch* commit) const {
  // A WriteBatch Put fails only for oversized entries; a position is small.
  (void)commit->batch().Put(store_->cursors_family(),
                            PositionKey(name, partition_id),
                            position.SerializeAsString());
}

absl::StatusOr<std::optional<wire::CursorPosition>> CursorStore::LoadPosition(
    std::string_view name, uint64_t partition_id) const {
  std::string value;
  rocksdb::Status got =
      store_->db()->Get(rocksdb::ReadOptions(), store_->cursors_family(),
                        PositionKey(name, partition_id), &value);
  if (got.IsNotFound()) return std::nullopt;
  CHORUS_RETURN_IF_ERROR(FromRocksDb(got, "load position"));
  wire::CursorPosition position;
  if (!position.ParseFromString(value)) {
    return absl::DataLossError(absl::StrCat("position of ", AsAbsl(name),
                                            " in partition ", partition_id,
                                            " does not parse"));
  }
  return position;
}

}  // namespace chorus::storage
