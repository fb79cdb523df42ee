#include "client/subscriptions.h"

#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "proto/records.h"
#include "proto/wire_format.h"
#include "proto/wire_status.h"

namespace chorus::client_internal {

std::shared_ptr<SubscriptionState> SubscriptionRegistry::Add(
    std::string_view filter, SubscribeOptions options,
    Client::MessageHandler handler, wire::Subscribe* request) {
  auto state = std::make_shared<SubscriptionState>();
  state->filter = std::string(filter);
  state->handler = std::move(handler);
  state->on_error = std::move(options.on_error);
  state->credit_messages = options.credit_messages;
  state->credit_bytes = options.credit_bytes;
  state->ack = options.ack;
  state->on_snapshot_end = std::move(options.on_snapshot_end);
  state->named = !options.name.empty();
  state->snapshot = options.start.kind == StartPosition::Kind::kSnapshot;
  std::lock_guard<std::mutex> lock(mu_);
  state->id = next_id_++;
  request->set_subscription_id(state->id);
  state->request = *request;
  active_.emplace(state->id, state);
  return state;
}

void SubscriptionRegistry::Accepted(SubscriptionState& state,
                                    const wire::SubscribeAck& ack) {
  state.established = true;
  if (state.named) return;
  for (const wire::ResumePoint& point : ack.started()) {
    std::vector<SubscriptionState::Progress>& partitions =
        state.progress[point.topic()];
    if (partitions.size() <= point.partition()) {
      partitions.resize(point.partition() + 1);
    }
    // Deliveries may have come before the ack: they know better.
    SubscriptionState::Progress& progress = partitions[point.partition()];
    if (progress.next == SubscriptionState::Progress::kUnknown) {
      progress.next = point.offset();
    }
  }
}

std::shared_ptr<SubscriptionState> SubscriptionRegistry::Find(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = active_.find(id);
  return it == active_.end() ? nullptr : it->second;
}

bool SubscriptionRegistry::End(SubscriptionState& state) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    active_.erase(state.id);
  }
  if (!state.active.exchange(false)) return false;
  // On the I/O thread no handler runs but perhaps the caller itself.
  if (!io_->OnIoThread()) {
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

void SubscriptionRegistry::Fail(SubscriptionState& state,
                                const absl::Status& status) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    active_.erase(state.id);
  }
  if (state.active.exchange(false) && state.on_error) state.on_error(status);
}

void SubscriptionRegistry::OnSubscriptionEnded(
    const wire::SubscriptionEnded& ended) {
  std::shared_ptr<SubscriptionState> state = Find(ended.subscription_id());
  if (state == nullptr) return;
  absl::Status status = proto::StatusFromWire(ended.status());
  if (status.ok()) status = absl::UnknownError("subscription ended");
  Fail(*state, status);
}

void SubscriptionRegistry::OnConnected() {
  std::vector<std::shared_ptr<SubscriptionState>> states;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, state] : active_) {
      if (state->established) states.push_back(state);
    }
  }
  for (const std::shared_ptr<SubscriptionState>& state : states) {
    // Acks gathered for the lost connection's deliveries mean nothing to
    // the new one: the broker delivers what they covered again.
    wire::Ack stale;
    state->acks.TakeInto(&stale);
    state->consumed_messages = 0;
    state->consumed_bytes = 0;
    state->retry_until = absl::InfinitePast();
    Resubscribe(state);
  }
}

void SubscriptionRegistry::Resubscribe(
    const std::shared_ptr<SubscriptionState>& state) {
  if (!state->active.load()) return;
  wire::Frame frame;
  wire::Subscribe* subscribe = frame.mutable_subscribe();
  *subscribe = state->request;
  if (!state->named) {
    for (const auto& [topic, partitions] : state->progress) {
      for (uint32_t p = 0; p < partitions.size(); ++p) {
        const SubscriptionState::Progress& progress = partitions[p];
        if (progress.next == SubscriptionState::Progress::kUnknown) continue;
        if (state->snapshot && !progress.snapshot_ended) continue;
        wire::ResumePoint* point = subscribe->add_resume();
        point->set_topic(topic);
        point->set_partition(p);
        point->set_offset(progress.next);
      }
    }
    // Every partition the subscription had is resumed; the others belong
    // to topics created since, which it follows from their beginning.
    if (!state->snapshot) {
      subscribe->mutable_start()->set_kind(wire::StartPosition::EARLIEST);
      subscribe->mutable_start()->set_value(0);
    }
  }
  const uint64_t attempt = ++state->attempt;
  // A failure to send leaves it to the next connection's OnConnected.
  (void)link_->Request(
      &frame, [this, state, attempt](absl::StatusOr<wire::Frame> answer) {
        OnResubscribed(state, attempt, std::move(answer));
      });
}

void SubscriptionRegistry::OnResubscribed(
    const std::shared_ptr<SubscriptionState>& state, uint64_t attempt,
    absl::StatusOr<wire::Frame> answer) {
  if (attempt != state->attempt || !state->active.load()) return;
  if (answer.ok() && answer->has_subscribe_ack()) {
    Accepted(*state, answer->subscribe_ack());
    return;
  }
  if (!answer.ok() && EndedWithConnection(answer.status())) return;
  const absl::Status status =
      answer.ok() ? absl::InternalError(absl::StrCat(
                        "resubscribe to ", state->filter,
                        ": unexpected answer (frame body ",
                        static_cast<int>(answer->body_case()), ")"))
                  : answer.status();
  const absl::Time now = absl::Now();
  if (absl::IsAlreadyExists(status) && state->named &&
      !state->request.group()) {
    // The broker may not have seen the lost connection end yet, whose
    // member still holds the name: wait for it a while.
    if (state->retry_until == absl::InfinitePast()) {
      state->retry_until = now + options_.request_timeout;
    }
    if (now < state->retry_until) {
      auto timer = std::make_shared<asio::steady_timer>(io_->io());
      timer->expires_after(
          absl::ToChronoNanoseconds(options_.reconnect_backoff_initial));
      timer->async_wait([this, state, timer, attempt](std::error_code ec) {
        if (!ec && attempt == state->attempt) Resubscribe(state);
      });
      return;
    }
  }
  Log(LogLevel::kWarning, "client",
      absl::StrCat("subscription to ", state->filter,
                   " cannot be resumed: ", status.ToString()));
  Fail(*state, status);
}

void SubscriptionRegistry::OnDeliver(wire::Deliver& deliver) {
  std::shared_ptr<SubscriptionState> state = Find(deliver.subscription_id());
  if (state == nullptr) return;  // ended; the broker has not heard yet
  // Where an unnamed subscription stands in the partition, kept for a
  // resume (not in the snapshot phase, which has its own order).
  SubscriptionState::Progress* progress = nullptr;
  if (!state->named) {
    std::vector<SubscriptionState::Progress>& partitions =
        state->progress[deliver.topic()];
    if (partitions.size() <= deliver.partition()) {
      partitions.resize(deliver.partition() + 1);
    }
    progress = &partitions[deliver.partition()];
    if (state->snapshot && !progress->snapshot_ended) progress = nullptr;
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
      ++delivered;
      message.key = record.key;
      message.value = record.value;
      message.headers.clear();
      proto::HeaderReader headers(record.body);
      std::string_view name, value;
      while (headers.Next(&name, &value))
        message.headers.emplace_back(name, value);
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
  if (progress != nullptr) {
    // Without acks a partition's deliveries come in offset order, so the
    // last one says where it stands (a topic deleted and made again starts
    // over at 0). With acks, redeliveries of older offsets come between:
    // the furthest one counts.
    const uint64_t end = deliver.base_offset() + delivered;
    if (state->ack == AckMode::kNone ||
        progress->next == SubscriptionState::Progress::kUnknown ||
        progress->next < end) {
      progress->next = end;
    }
  }
  if (state->ack == AckMode::kAuto && delivered > 0) {
    state->acks.AddThrough(deliver.topic(), deliver.partition(),
                           deliver.base_offset() + delivered);
  }
  SendAcks(*state);
  MaybeGrantCredit(*state, deliver.count() > 0 ? deliver.count() : delivered,
                   DeliveryCreditBytes(deliver));
}

void SubscriptionRegistry::OnSnapshotEnd(const wire::SnapshotEnd& end) {
  std::shared_ptr<SubscriptionState> state = Find(end.subscription_id());
  if (state == nullptr) return;
  if (!state->named) {
    std::vector<SubscriptionState::Progress>& partitions =
        state->progress[end.topic()];
    if (partitions.size() <= end.partition()) {
      partitions.resize(end.partition() + 1);
    }
    partitions[end.partition()].snapshot_ended = true;
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
  (void)link_->Send(frame);
}

void SubscriptionRegistry::SendAcksSoon(
    const std::shared_ptr<SubscriptionState>& state) {
  if (state->ack_flush_posted.exchange(true)) return;
  io_->Post([this, state] {
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
  // Fails only when the connection is gone; the subscription is then
  // granted its whole credit again on the next one.
  (void)link_->Send(frame);
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
