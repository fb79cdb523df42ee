// client_internal::SubscriptionRegistry: the subscriptions of one Client,
// their delivery to handlers, and their flow-control credit.
//
//   SubscriptionRegistry registry(&connection);
//   std::shared_ptr<SubscriptionState> s = registry.Add(filter, options, h);
//   // ... send Subscribe{s->id}; Deliver pushes reach registry.OnDeliver.
//   registry.End(*s);  // no handler call after this returns
//
// Credit: the broker is granted credit_messages / credit_bytes at Subscribe.
// After each delivery the handler consumed, once at least half of either
// budget was used, a Credit frame grants back exactly what was used, so the
// broker's budget returns to the full amount. "Used" must equal what the
// broker charged (DeliveryCreditBytes): granting back less would shrink the
// budget with every batch until deliveries stop for good.
#ifndef CHORUS_CLIENT_SUBSCRIPTIONS_H_
#define CHORUS_CLIENT_SUBSCRIPTIONS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "client/ack_buffer.h"
#include "client/client.h"
#include "client/connection.h"
#include "proto/protocol.pb.h"

namespace chorus::client_internal {

// One subscription. Shared by the registry and the user's handle.
struct SubscriptionState {
  uint64_t id = 0;
  std::string filter;
  Client::MessageHandler handler;
  std::function<void(absl::Status)> on_error;
  uint64_t credit_messages = 0;
  uint64_t credit_bytes = 0;
  AckMode ack = AckMode::kNone;
  std::function<void(std::string_view, uint32_t)> on_snapshot_end;

  // Acks waiting to be sent; ack_flush_posted is set while a send is
  // queued on the I/O thread.
  AckBuffer acks;
  std::atomic<bool> ack_flush_posted{false};

  // False once ended; checked before every handler call.
  std::atomic<bool> active{true};
  // Held by the I/O thread while it calls the handler, so that ending the
  // subscription from another thread can wait out a running call.
  std::mutex delivery_mu;

  // I/O thread only. Set when the broker accepted the Subscribe; on_error
  // is called only for established subscriptions (a failed Subscribe call
  // reports its error by its return value instead).
  bool established = false;
  // I/O thread only: what the handler consumed since the last grant.
  uint64_t consumed_messages = 0;
  uint64_t consumed_bytes = 0;
};

// Thread-safe; OnDeliver and OnConnectionLost run on the I/O thread.
class SubscriptionRegistry {
 public:
  explicit SubscriptionRegistry(Connection* connection)
      : connection_(connection) {}

  // Registers a subscription under a fresh id, before Subscribe is sent, so
  // that deliveries right after the SubscribeAck find it.
  std::shared_ptr<SubscriptionState> Add(std::string_view filter,
                                         SubscribeOptions options,
                                         Client::MessageHandler handler);

  // Stops deliveries to `state` and forgets it. Off the I/O thread, waits
  // until a running handler call returns. Returns false if it had already
  // ended. Does not call on_error.
  bool End(SubscriptionState& state);
  // Ends every subscription (Close).
  void EndAll();

  void OnDeliver(wire::Deliver& deliver);
  void OnSnapshotEnd(const wire::SnapshotEnd& end);
  // Sends `state`'s gathered acks now (any thread), or soon (posted to the
  // I/O thread).
  void SendAcks(SubscriptionState& state);
  void SendAcksSoon(const std::shared_ptr<SubscriptionState>& state);
  // Ends every subscription, calling on_error with `status`.
  void OnConnectionLost(const absl::Status& status);

 private:
  // After a delivery: grants back the consumed credit when due.
  void MaybeGrantCredit(SubscriptionState& state, uint64_t messages,
                        uint64_t bytes);

  Connection* const connection_;
  std::mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<uint64_t, std::shared_ptr<SubscriptionState>> active_
      ABSL_GUARDED_BY(mu_);
};

// The bytes a Deliver costs against the subscription's credit, as the broker
// charges them: the encoded Deliver body after its subscription_id, i.e.
// fields 2..8 (not delivery_count), with `partition` always encoded (even 0)
// and the other fields encoded as protobuf does (omitted when zero or
// empty).
uint64_t DeliveryCreditBytes(const wire::Deliver& deliver);

// StartPosition in its wire form.
void StartPositionToWire(const StartPosition& start, wire::StartPosition* out);

// AckMode in its wire form, and back.
wire::Subscribe::AckMode AckModeToWire(AckMode mode);
AckMode AckModeFromWire(wire::Subscribe::AckMode mode);

}  // namespace chorus::client_internal

#endif  // CHORUS_CLIENT_SUBSCRIPTIONS_H_
