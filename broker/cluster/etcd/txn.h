// The values etcd::Client reads and writes: a stored key, the conditions of a
// transaction (Compare) and its operations (Op), and what a transaction did
// (TxnResult). Plain values, independent of the gRPC messages.
//
//   // Create "/lock" under a lease unless it exists, else read it.
//   client.Txn({Compare::Absent("/lock")}, {Op::Put("/lock", me, lease)},
//              {Op::Get("/lock")});
#ifndef CHORUS_BROKER_CLUSTER_ETCD_TXN_H_
#define CHORUS_BROKER_CLUSTER_ETCD_TXN_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace chorus::etcd {

// A key as etcd stores it. Revisions are etcd's global write counter:
// create_revision is the write that created the key (it changes when the key
// is deleted and created again), mod_revision the last write to it.
struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;
};

// One condition of a transaction, on one key.
struct Compare {
  enum class Target { kCreateRevision, kModRevision, kValue };

  // The key does not exist (its create revision is 0).
  static Compare Absent(std::string key) {
    return CreateRevisionIs(std::move(key), 0);
  }
  // The key exists and was created by write `revision`: the fence of an
  // owner that created it (a controller's epoch, a registration).
  static Compare CreateRevisionIs(std::string key, int64_t revision) {
    return {Target::kCreateRevision, std::move(key), revision, {}};
  }
  // The key was last written by `revision` (0: it does not exist).
  static Compare ModRevisionIs(std::string key, int64_t revision) {
    return {Target::kModRevision, std::move(key), revision, {}};
  }
  static Compare ValueIs(std::string key, std::string value) {
    return {Target::kValue, std::move(key), 0, std::move(value)};
  }

  Target target;
  std::string key;
  int64_t revision;
  std::string value;
};

// One operation of a transaction.
struct Op {
  enum class Kind { kGet, kGetPrefix, kPut, kDelete, kDeletePrefix };

  static Op Get(std::string key) { return {Kind::kGet, std::move(key), {}, 0}; }
  static Op GetPrefix(std::string prefix) {
    return {Kind::kGetPrefix, std::move(prefix), {}, 0};
  }
  static Op Put(std::string key, std::string value, int64_t lease_id = 0) {
    return {Kind::kPut, std::move(key), std::move(value), lease_id};
  }
  static Op Delete(std::string key) {
    return {Kind::kDelete, std::move(key), {}, 0};
  }
  static Op DeletePrefix(std::string prefix) {
    return {Kind::kDeletePrefix, std::move(prefix), {}, 0};
  }

  Kind kind;
  std::string key;
  std::string value;
  int64_t lease_id;
};

// What a transaction did: which branch ran, the revision after it, and for
// each Get/GetPrefix of that branch (in order) the keys it read.
struct TxnResult {
  bool succeeded = false;
  int64_t revision = 0;
  std::vector<std::vector<KeyValue>> reads;
};

// The end of the range of keys that start with `prefix` (etcd's range_end:
// the prefix with its last byte incremented; "\0" for the empty prefix,
// which means every key).
std::string PrefixEnd(const std::string& prefix);

}  // namespace chorus::etcd

#endif  // CHORUS_BROKER_CLUSTER_ETCD_TXN_H_
