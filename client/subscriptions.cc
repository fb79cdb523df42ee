#include "client/subscriptions.h"

#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "proto/records.h"
#include "proto/wire_format.h"

namespace chorus::client_internal {

std::shared_ptr<SubscriptionState> SubscriptionRegistry::Add(
    std::string_view filter, SubscribeOptions options,
    Client::MessageHandler handler) {
  auto state = std::make_shared<SubscriptionState>();
  state->filter = std::string(filter);
  state->handler = std::move(handler);
  state->on_error = std::move(options.on_error);
  state->credit_messages = options.credit_messages;
  state->credit_bytes = options.credit_bytes;
  state->ack = options.ack;
  state->on_snapshot_end = std::move(options.on_snapshot_end);
  std::lock_guard<std::mutex> lock(mu_);
  state->id = next_id_++;
  active_.emplace(state->id, state);
  return state;
}

bool SubscriptionRegistry::End(SubscriptionState& state) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    active_.erase(state.id);
  }
  if (!state.active.exchange(false)) return false;
  // On the I/O thread no handler runs but perhaps the caller itself.
  if (!connection_->OnIoThread()) {
    state.delivery_mu.lock();  // waits out a running handler call
    state.delivery_mu.unlock();
  }
  return true;
}

void SubscriptionRegistry::EndAll() {
  absl::flat_hash_map<uint64_t, std::shared_ptr<SubscriptionState>> ended;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ended.swap(active_);
  }
  for (auto& [id, state] : ended) End(*state);
}

void SubscriptionRegistry::OnConnectionLost(const absl::Status& status) {
  absl::flat_hash_map<uint64_t, std::shared_ptr<SubscriptionState>> ended;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ended.swap(active_);
  }
  for (auto& [id, state] : ended) {
    if (state->active.exchange(false) && state->established &&
        state->on_error) {
      state->on_error(status);
    }
  }
}

void SubscriptionRegistry::OnDeliver(wire::Deliver& deliver) {
  std::shared_ptr<SubscriptionState> state;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = active_.find(deliver.subscription_id());
    if (it == active_.end()) return;  // ended; the broker has not heard yet
    state = it->second;
  }
  uint64_t delivered = 0;
  {
    std::lock_guard<std::mutex> lock(state->delivery_mu);
    ReceivedMessage message;
    message.topic = deliver.topic();
    message.partition = deliver.partition();
    message.timestamp_ms = deliver.timestamp_ms();
    message.publisher = deliver.publisher();
    message.delivery_count = deliver.delivery_count();
    proto::RecordReader reader(deliver.records());
    proto::RecordView record;
    while (state->active.load(std::memory_order_acquire) &&
           reader.Next(&record)) {
      message.offset = deliver.base_offset() + delivered;
      message.key = record.key;
      message.value = record.value;
      message.headers.clear();
      proto::HeaderReader headers(record.body);
      std::string_view name, value;
      while (headers.Next(&name, &value))
        message.headers.emplace_back(name, value);
      ++delivered;
      state->handler(message);
    }
    if (!reader.status().ok()) {
      Log(LogLevel::kWarning, "client",
          absl::StrCat("skipping the rest of a malformed delivery on ",
                       deliver.topic(), "/", deliver.partition(), " at offset ",
                       deliver.base_offset() + delivered, ": ",
                       reader.status().message()));
    }
  }
  if (!state->active.load(std::memory_order_acquire)) return;
  if (state->ack == AckMode::kAuto && delivered > 0) {
    state->acks.AddThrough(deliver.topic(), deliver.partition(),
                           deliver.base_offset() + delivered);
  }
  SendAcks(*state);
  MaybeGrantCredit(*state, deliver.count() > 0 ? deliver.count() : delivered,
                   DeliveryCreditBytes(deliver));
}

void SubscriptionRegistry::OnSnapshotEnd(const wire::SnapshotEnd& end) {
  std::shared_ptr<SubscriptionState> state;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = active_.find(end.subscription_id());
    if (it == active_.end()) return;
    state = it->second;
  }
  std::lock_guard<std::mutex> lock(state->delivery_mu);
  if (state->active.load(std::memory_order_acquire) && state->on_snapshot_end) {
    state->on_snapshot_end(end.topic(), end.partition());
  }
}

void SubscriptionRegistry::SendAcks(SubscriptionState& state) {
  wire::Frame frame;
  wire::Ack* ack = frame.mutable_ack();
  ack->set_subscription_id(state.id);
  if (!state.acks.TakeInto(ack)) return;
  // Fails only when the connection is gone: the broker then hands the
  // messages out again, as it must for any unacked message.
  (void)connection_->Send(frame);
}

void SubscriptionRegistry::SendAcksSoon(
    const std::shared_ptr<SubscriptionState>& state) {
  if (state->ack_flush_posted.exchange(true)) return;
  connection_->Post([this, state] {
    state->ack_flush_posted.store(false);
    SendAcks(*state);
  });
}

void SubscriptionRegistry::MaybeGrantCredit(SubscriptionState& state,
                                            uint64_t messages, uint64_t bytes) {
  state.consumed_messages += messages;
  state.consumed_bytes += bytes;
  if (state.consumed_messages * 2 < state.credit_messages &&
      state.consumed_bytes * 2 < state.credit_bytes) {
    return;
  }
  wire::Frame frame;
  wire::Credit* credit = frame.mutable_credit();
  credit->set_subscription_id(state.id);
  credit->set_messages(state.consumed_messages);
  credit->set_bytes(state.consumed_bytes);
  state.consumed_messages = 0;
  state.consumed_bytes = 0;
  // Fails only when the connection is gone, which ends the subscription
  // anyway.
  (void)connection_->Send(frame);
}

uint64_t DeliveryCreditBytes(const wire::Deliver& deliver) {
  constexpr uint32_t kSubscriptionIdTag = (1 << 3) | 0;
  constexpr uint32_t kPartitionTag = (3 << 3) | 0;
  constexpr uint32_t kDeliveryCountTag = (9 << 3) | 0;
  uint64_t bytes = deliver.ByteSizeLong();
  if (deliver.delivery_count() != 0) {
    bytes -= proto::VarintSize(kDeliveryCountTag) +
             proto::VarintSize(deliver.delivery_count());
  }
  if (deliver.subscription_id() != 0) {
    bytes -= proto::VarintSize(kSubscriptionIdTag) +
             proto::VarintSize(deliver.subscription_id());
  }
  if (deliver.partition() == 0) {
    bytes += proto::VarintSize(kPartitionTag) + proto::VarintSize(0);
  }
  return bytes;
}

void StartPositionToWire(const StartPosition& start, wire::StartPosition* out) {
  switch (start.kind) {
    case StartPosition::Kind::kLatest:
      out->set_kind(wire::StartPosition::LATEST);
      break;
    case StartPosition::Kind::kEarliest:
      out->set_kind(wire::StartPosition::EARLIEST);
      break;
    case StartPosition::Kind::kOffset:
      out->set_kind(wire::StartPosition::OFFSET);
      break;
    case StartPosition::Kind::kTime:
      out->set_kind(wire::StartPosition::TIME);
      break;
    case StartPosition::Kind::kLast:
      out->set_kind(wire::StartPosition::LAST);
      break;
    case StartPosition::Kind::kSnapshot:
      out->set_kind(wire::StartPosition::SNAPSHOT);
      break;
  }
  out->set_value(start.value);
}

wire::Subscribe::AckMode AckModeToWire(AckMode mode) {
  switch (mode) {
    case AckMode::kAuto:
      return wire::Subscribe::AUTO;
    case AckMode::kExplicit:
      return wire::Subscribe::EXPLICIT;
    case AckMode::kNone:
      break;
  }
  return wire::Subscribe::NONE;
}

AckMode AckModeFromWire(wire::Subscribe::AckMode mode) {
  switch (mode) {
    case wire::Subscribe::AUTO:
      return AckMode::kAuto;
    case wire::Subscribe::EXPLICIT:
      return AckMode::kExplicit;
    default:
      return AckMode::kNone;
  }
}

}  // namespace chorus::client_internal
