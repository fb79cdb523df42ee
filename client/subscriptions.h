// client_internal::SubscriptionRegistry: the subscriptions of one Client,
// their delivery to handlers, their flow-control credit, and their
// resumption on a new connection.
//
//   SubscriptionRegistry registry(&link, &io, options);
//   std::shared_ptr<SubscriptionState> s =
//       registry.Add(filter, options, handler, subscribe);
//   // ... send Subscribe{s->id}; on its ack registry.Accepted(s, ack);
//   // Deliver pushes reach registry.OnDeliver.
//   registry.End(*s);  // no handler call after this returns
//
// Resumption: after a reconnect each established subscription is sent
// again under its id. A named (durable or group) one goes on from the
// position the broker stored. Any other resumes every partition at the next
// offset it has not delivered — or, for a partition it got nothing from
// yet, where the broker said it started (SubscribeAck) — and partitions of
// topics created since start from their beginning, as they would have:
// nothing is missed and, for subscriptions without acks, nothing comes
// twice (the broker starts exactly there). A snapshot cut short starts
// over.
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
#include "client/io_thread.h"
#include "client/link.h"
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

  // The Subscribe as first sent, sent again after a reconnect.
  wire::Subscribe request;
  // Durable or group: the broker keeps the position.
  bool named = false;
  bool snapshot = false;  // starts with a snapshot
  // I/O thread only, for unnamed subscriptions: per topic and partition,
  // the next offset not yet delivered (kUnknown: nothing delivered and no
  // start heard) and whether the partition's snapshot was delivered.
  struct Progress {
    static constexpr uint64_t kUnknown = ~uint64_t{0};
    uint64_t next = kUnknown;
    bool snapshot_ended = false;
  };
  absl::flat_hash_map<std::string, std::vector<Progress>> progress;
  // I/O thread only: the latest Subscribe sent for it (answers to earlier
  // ones are stale), and until when a name still held by the connection
  // that was lost is waited for.
  uint64_t attempt = 0;
  absl::Time retry_until = absl::InfinitePast();
};

// Thread-safe; the On* calls and Accepted run on the I/O thread.
class SubscriptionRegistry {
 public:
  SubscriptionRegistry(Link* link, IoThread* io, const ClientOptions& options)
      : link_(link), io_(io), options_(options) {}

  // Registers a subscription under a fresh id (written into `request`),
  // before Subscribe is sent, so that deliveries right after the
  // SubscribeAck find it.
  std::shared_ptr<SubscriptionState> Add(std::string_view filter,
                                         SubscribeOptions options,
                                         Client::MessageHandler handler,
                                         wire::Subscribe* request);
  // The broker accepted `state`'s Subscribe.
  void Accepted(SubscriptionState& state, const wire::SubscribeAck& ack);

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
  // The broker ended a subscription (SubscriptionEnded): on_error.
  void OnSubscriptionEnded(const wire::SubscriptionEnded& ended);
  // A new connection is up: every established subscription is sent again.
  void OnConnected();

 private:
  // After a delivery: grants back the consumed credit when due.
  void MaybeGrantCredit(SubscriptionState& state, uint64_t messages,
                        uint64_t bytes);
  std::shared_ptr<SubscriptionState> Find(uint64_t id);
  // Sends `state`'s Subscribe again, resuming where it stands.
  void Resubscribe(const std::shared_ptr<SubscriptionState>& state);
  void OnResubscribed(const std::shared_ptr<SubscriptionState>& state,
                      uint64_t attempt, absl::StatusOr<wire::Frame> answer);
  // Ends `state` for good, telling its on_error.
  void Fail(SubscriptionState& state, const absl::Status& status);

  Link* const link_;
  IoThread* const io_;
  const ClientOptions options_;
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
