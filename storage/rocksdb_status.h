// Conversion of rocksdb::Status into absl::Status: the one place where RocksDB
// errors become Chorus statuses (private to storage/).
//
//   rocksdb::Status s = db->Put(options, family, key, value);
//   CHORUS_RETURN_IF_ERROR(FromRocksDb(s, "put topic orders"));
#ifndef CHORUS_STORAGE_ROCKSDB_STATUS_H_
#define CHORUS_STORAGE_ROCKSDB_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/status.h"

namespace chorus::storage {

// OK for OK; kDataLoss for corruption; kInternal for anything else. The
// message is "<context>: <RocksDB's message>".
absl::Status FromRocksDb(const rocksdb::Status& status,
                         absl::string_view context);

// As FromRocksDb, for the status of opening the database in `data_dir`: a
// LOCK file held by another process or by another open Store of this process
// becomes kFailedPrecondition ("data dir X is in use by another chorusd").
absl::Status FromRocksDbOpen(const rocksdb::Status& status,
                             absl::string_view data_dir);

}  // namespace chorus::storage

#endif  // CHORUS_STORAGE_ROCKSDB_STATUS_H_
