// LeaseKeeper: keeps an etcd lease alive from a thread of its own, and says
// when it can no longer vouch for it.
//
//   etcd::LeaseKeeper keeper(*client, *lease, [](absl::Status why) {
//     // stop acting as the lease's owner
//   });
//
// Contract: sends a keep-alive every third of the TTL over one stream
// (reopened at once if it breaks, on any member). `on_lost` runs once, on the
// keeper's thread, when etcd says the lease expired or when no keep-alive was
// answered for a whole TTL counted from when it was sent: then etcd may
// already have expired it, so the owner must stop at once. Nothing is
// called after the destructor returns; the destructor does not revoke.
#ifndef CHORUS_BROKER_CLUSTER_ETCD_LEASE_KEEPER_H_
#define CHORUS_BROKER_CLUSTER_ETCD_LEASE_KEEPER_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "broker/cluster/etcd/etcd_client.h"
#include "broker/cluster/etcd/stream_thread.h"

namespace chorus::etcd {

class LeaseKeeper {
 public:
  using LostCallback = std::function<void(absl::Status)>;
  // `lease` was granted just now (its TTL counts from the grant).
  LeaseKeeper(Client& client, Lease lease, LostCallback on_lost);
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  int64_t lease_id() const { return lease_.id; }

 private:
  void Run();
  // One stream's life: keep-alives until it breaks, the keeper stops, or the
  // lease is gone (then the status says why).
  absl::Status KeepAliveOverOneStream();

  Client& client_;
  const Lease lease_;
  const LostCallback on_lost_;
  // When the last answered keep-alive was sent: the lease lives at least a
  // TTL after it.
  absl::Time vouched_at_;
  StreamThread thread_;  // runs Run(); the destructor stops it
};

}  // namespace chorus::etcd

#endif  // CHORUS_BROKER_CLUSTER_ETCD_LEASE_KEEPER_H_
