// Watcher: follows every change under a key prefix, from a revision on, from
// a thread of its own, across broken streams and etcd member restarts.
//
//   auto snapshot = client->GetPrefix("/chorus/c/brokers/");
//   etcd::Watcher watcher(*client, "/chorus/c/brokers/",
//                         snapshot->revision + 1, on_events, on_failed);
//
// Contract: `on_events` gets the changes in revision order, each exactly
// once, a revision's events together, on the watcher's thread. A broken
// stream is reopened from the next unseen revision (with a short backoff
// while etcd is unreachable). When etcd has compacted that revision away,
// `on_failed` runs once with kOutOfRange and the watcher stops: the owner
// must read the prefix again and start a new watcher. Nothing is called
// after the destructor returns.
#ifndef CHORUS_BROKER_CLUSTER_ETCD_WATCHER_H_
#define CHORUS_BROKER_CLUSTER_ETCD_WATCHER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "broker/cluster/etcd/etcd_client.h"
#include "broker/cluster/etcd/stream_thread.h"

namespace chorus::etcd {

// One change: a put (kv holds the new value) or a delete (kv.key is the key,
// kv.mod_revision the revision of the delete).
struct WatchEvent {
  enum class Type { kPut, kDelete };
  Type type;
  KeyValue kv;
};

class Watcher {
 public:
  using EventsCallback = std::function<void(std::vector<WatchEvent>)>;
  using FailedCallback = std::function<void(absl::Status)>;

  Watcher(Client& client, std::string prefix, int64_t start_revision,
          EventsCallback on_events, FailedCallback on_failed);
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

 private:
  void Run();
  // One stream's life: events until it breaks or the watcher stops; an
  // error status when the watch cannot go on (compaction).
  absl::Status WatchOverOneStream();

  Client& client_;
  const std::string prefix_;
  int64_t next_revision_;
  const EventsCallback on_events_;
  const FailedCallback on_failed_;
  StreamThread thread_;  // runs Run(); the destructor stops it
};

}  // namespace chorus::etcd

#endif  // CHORUS_BROKER_CLUSTER_ETCD_WATCHER_H_
