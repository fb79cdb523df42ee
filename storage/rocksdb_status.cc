#include "storage/rocksdb_status.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace chorus::storage {
namespace {

// RocksDB reports a held LOCK file as an IOError whose message names the
// file: "While lock file: <dir>/LOCK: Resource temporarily unavailable" when
// another process holds it, "lock hold by current process, ...: <dir>/LOCK"
// when this process does. A LOCK file that cannot be opened at all (say,
// permissions) is a different failure and stays kInternal.
enum class LockHolder { kNone, kOtherProcess, kThisProcess };

LockHolder FindLockHolder(const rocksdb::Status& status) {
  if (!status.IsIOError()) return LockHolder::kNone;
  const std::string message = status.ToString();
  if (!absl::StrContains(message, "/LOCK")) return LockHolder::kNone;
  if (absl::StrContains(message, "lock hold by current process")) {
    return LockHolder::kThisProcess;
  }
  if (absl::StrContains(message, "While lock file")) {
    return LockHolder::kOtherProcess;
  }
  return LockHolder::kNone;
}

}  // namespace

absl::Status FromRocksDb(const rocksdb::Status& status,
                         absl::string_view context) {
  if (status.ok()) return absl::OkStatus();
  std::string message = absl::StrCat(context, ": ", status.ToString());
  if (status.IsCorruption()) return absl::DataLossError(std::move(message));
  return absl::InternalError(std::move(message));
}

absl::Status FromRocksDbOpen(const rocksdb::Status& status,
                             absl::string_view data_dir) {
  switch (FindLockHolder(status)) {
    case LockHolder::kOtherProcess:
      return absl::FailedPreconditionError(
          absl::StrCat("data dir ", data_dir, " is in use by another chorusd (",
                       status.ToString(), ")"));
    case LockHolder::kThisProcess:
      return absl::FailedPreconditionError(
          absl::StrCat("data dir ", data_dir,
                       " is in use by another chorusd: a Store of this "
                       "process has it open (",
                       status.ToString(), ")"));
    case LockHolder::kNone:
      break;
  }
  return FromRocksDb(status, absl::StrCat("open data dir ", data_dir));
}

}  // namespace chorus::storage
