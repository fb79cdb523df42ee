// SubscriptionCatalog: the broker's named (durable) subscriptions — their
// records, kept in the Store, and how many connections use each now.
//
// Thread-safe: a mutex guards the map. It sits on the subscribe and admin
// paths only, never on delivery.
//
//   SubscriptionCatalog catalog(store);
//   CHORUS_RETURN_IF_ERROR(catalog.Load());
//   CHORUS_ASSIGN_OR_RETURN(wire::SubscriptionRecord record,
//                           catalog.Acquire(subscribe));
//   ...
//   catalog.Release(record.name());
#ifndef CHORUS_BROKER_SUBSCRIPTION_CATALOG_H_
#define CHORUS_BROKER_SUBSCRIPTION_CATALOG_H_

#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/protocol.pb.h"
#include "proto/storage.pb.h"
#include "storage/cursor_store.h"

namespace chorus::broker {

class SubscriptionCatalog {
 public:
  // A record and the number of connections subscribed under it now.
  struct Entry {
    wire::SubscriptionRecord record;
    int members = 0;
  };

  explicit SubscriptionCatalog(storage::Store* store) : cursors_(store) {}

  // Reads every stored record. Call once, before the shards serve.
  absl::Status Load();

  // Joins (or creates and stores) the named subscription `subscribe`
  // names, counting one more member. Errors: kInvalidArgument (bad name),
  // kFailedPrecondition (the name exists with another filter or group
  // mode, or one of the two ack modes is NONE and the other is not),
  // kAlreadyExists (a durable subscription that is not a group already has its
  // one member), storage errors.
  absl::StatusOr<wire::SubscriptionRecord> Acquire(
      const wire::Subscribe& subscribe);
  // One member fewer.
  void Release(const std::string& name);

  // Forgets the name and deletes its record and positions. kNotFound;
  // kFailedPrecondition while members are connected.
  absl::StatusOr<wire::SubscriptionRecord> Delete(const std::string& name);

  // Deletes every stored position of `name` (after Delete, for positions
  // staged while its cursors were being dropped).
  absl::Status ErasePositions(const std::string& name) {
    return cursors_.DeleteSubscription(name);
  }

  std::vector<Entry> List();
  // kNotFound if there is no such name.
  absl::StatusOr<Entry> Find(const std::string& name);

 private:
  storage::CursorStore cursors_;
  std::mutex mutex_;
  absl::flat_hash_map<std::string, Entry> entries_;  // guarded by mutex_
};

}  // namespace chorus::broker

#endif  // CHORUS_BROKER_SUBSCRIPTION_CATALOG_H_
