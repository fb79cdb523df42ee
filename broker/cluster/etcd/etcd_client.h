// etcd::Client: the small etcd v3 client the cluster code talks to etcd
// through. It covers what Chorus needs and nothing more: reads of a key or a
// prefix, puts and deletes, compare-and-swap transactions, leases (grant,
// revoke, keep-alive) and watches on a prefix.
//
//   auto etcd = etcd::Client::Connect("http://127.0.0.1:2379");
//   auto lease = (*etcd)->GrantLease(absl::Seconds(5));
//   auto put = (*etcd)->Txn({etcd::Compare::Absent("/k")},
//                           {etcd::Op::Put("/k", "v", *lease)}, {});
//
// Contract: every call is blocking, bounded by the client's call timeout,
// and thread-safe; it waits for a connection to etcd (members are tried in
// turn) until the deadline, so a call made while etcd restarts succeeds once
// it is back. Errors are etcd's gRPC status with the call named; a deadline
// is kDeadlineExceeded, no reachable member kUnavailable. Keep-alives and
// watches run on threads of their own (lease_keeper.h, watcher.h).
#ifndef CHORUS_BROKER_CLUSTER_ETCD_ETCD_CLIENT_H_
#define CHORUS_BROKER_CLUSTER_ETCD_ETCD_CLIENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "broker/cluster/etcd/txn.h"

namespace grpc {
class Channel;
}

namespace chorus::etcd {

struct ClientOptions {
  // Bound of every unary call, the wait for a connection included.
  absl::Duration call_timeout = absl::Seconds(5);
};

// A lease: keys put under it vanish when it expires or is revoked.
struct Lease {
  int64_t id = 0;
  absl::Duration ttl;
};

// What a prefix read returns: the keys in order, and etcd's revision at the
// time of the read (a watch from revision + 1 misses nothing after it).
struct RangeResult {
  std::vector<KeyValue> kvs;
  int64_t revision = 0;
};

class Client {
 public:
  // `endpoints`: "http://HOST:PORT[,http://HOST:PORT...]" (the scheme may be
  // left out). Fails on a malformed list, not on an unreachable etcd.
  static absl::StatusOr<std::unique_ptr<Client>> Connect(
      const std::string& endpoints, ClientOptions options = {});
  ~Client();

  absl::StatusOr<std::optional<KeyValue>> Get(const std::string& key);
  absl::StatusOr<RangeResult> GetPrefix(const std::string& prefix);
  // The revision of the write.
  absl::StatusOr<int64_t> Put(const std::string& key, const std::string& value,
                              int64_t lease_id = 0);
  // How many keys were deleted.
  absl::StatusOr<int64_t> Delete(const std::string& key);
  absl::StatusOr<int64_t> DeletePrefix(const std::string& prefix);
  // If every compare holds, runs `success`, else `failure`, atomically.
  absl::StatusOr<TxnResult> Txn(const std::vector<Compare>& compares,
                                const std::vector<Op>& success,
                                const std::vector<Op>& failure);

  // etcd may round the TTL up (to at least its minimum, about 2 s).
  absl::StatusOr<Lease> GrantLease(absl::Duration ttl);
  // Deletes the lease and every key under it. Revoking an expired lease is
  // kNotFound.
  absl::Status RevokeLease(int64_t lease_id);

  // The channel, for the keep-alive and watch streams.
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  const ClientOptions& options() const { return options_; }

 private:
  Client(std::shared_ptr<grpc::Channel> channel, ClientOptions options);
  absl::StatusOr<RangeResult> Range(const std::string& key,
                                    const std::string& range_end);
  absl::StatusOr<int64_t> DeleteRange(const std::string& key,
                                      const std::string& range_end);

  struct Stubs;
  std::shared_ptr<grpc::Channel> channel_;
  ClientOptions options_;
  std::unique_ptr<Stubs> stubs_;
};

}  // namespace chorus::etcd

#endif  // CHORUS_BROKER_CLUSTER_ETCD_ETCD_CLIENT_H_
