// ClientCore: acks and nacks of subscriptions that take them.
#include "absl/strings/str_cat.h"
#include "client/client_core.h"
#include "common/status_macros.h"

namespace chorus::client_internal {
namespace {

absl::Status CheckExplicit(const SubscriptionState& state) {
  if (state.ack != AckMode::kExplicit) {
    return absl::FailedPreconditionError(absl::StrCat(
        "subscription to ", state.filter,
        " does not take explicit acks (subscribe with AckMode::kExplicit)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ClientCore::Ack(const std::shared_ptr<SubscriptionState>& state,
                             const ReceivedMessage& message, bool through) {
  CHORUS_RETURN_IF_ERROR(CheckExplicit(*state));
  if (through) {
    state->acks.AddThrough(message.topic, message.partition,
                           message.offset + 1);
  } else {
    state->acks.Add(message.topic, message.partition, message.offset);
  }
  // In a handler the acks leave with the rest of the delivery's.
  if (!io_.OnIoThread()) registry_.SendAcksSoon(state);
  return absl::OkStatus();
}

absl::Status ClientCore::Nack(const SubscriptionState& state,
                              const ReceivedMessage& message) {
  if (state.ack == AckMode::kNone) {
    return absl::FailedPreconditionError(absl::StrCat(
        "subscription to ", state.filter, " takes no acks, so no nacks"));
  }
  wire::Frame frame;
  wire::Ack* nack = frame.mutable_ack();
  nack->set_subscription_id(state.id);
  nack->set_nack(true);
  wire::AckRange* range = nack->add_ranges();
  range->set_topic(std::string(message.topic));
  range->set_partition(message.partition);
  range->add_offsets(message.offset);
  return link_.Send(frame);
}

absl::Status ClientCore::FlushAcks(SubscriptionState& state) {
  if (state.ack == AckMode::kNone) return absl::OkStatus();
  wire::Frame frame;
  wire::Ack* ack = frame.mutable_ack();
  ack->set_subscription_id(state.id);
  state.acks.TakeInto(ack);  // may be empty: then it waits for earlier acks
  // Acks are the connection's: with none, there is nothing they can move
  // (the broker delivers unacked messages again on the next connection).
  return Call(&frame, wire::Frame::kOk,
              absl::StrCat("flush acks of ", state.filter), {},
              WhenDisconnected::kFail)
      .status();
}

}  // namespace chorus::client_internal
