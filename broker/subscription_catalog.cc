#include "broker/subscription_catalog.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "broker/topic_name.h"
#include "common/status_macros.h"

namespace chorus::broker {
namespace {

const char* AckModeName(wire::Subscribe::AckMode mode) {
  switch (mode) {
    case wire::Subscribe::AUTO:
      return "auto";
    case wire::Subscribe::EXPLICIT:
      return "explicit";
    default:
      return "none";
  }
}

}  // namespace

absl::Status SubscriptionCatalog::Load() {
  CHORUS_ASSIGN_OR_RETURN(std::vector<wire::SubscriptionRecord> records,
                          cursors_.LoadSubscriptions());
  std::lock_guard lock(mutex_);
  for (wire::SubscriptionRecord& record : records) {
    std::string name = record.name();
    entries_[name] = Entry{std::move(record), 0};
  }
  return absl::OkStatus();
}

absl::StatusOr<wire::SubscriptionRecord> SubscriptionCatalog::Acquire(
    const wire::Subscribe& subscribe) {
  // Names follow the rules of topic names, so they print and sort sanely.
  CHORUS_RETURN_IF_ERROR(ValidateTopicName(subscribe.name()));
  std::lock_guard lock(mutex_);
  auto it = entries_.find(subscribe.name());
  if (it != entries_.end()) {
    Entry& entry = it->second;
    const wire::SubscriptionRecord& record = entry.record;
    // AUTO and EXPLICIT differ only in who sends the acks (the library or
    // the application), so members may mix them; NONE tracks nothing.
    const bool tracked = record.ack_mode() != wire::Subscribe::NONE;
    if (record.filter() != subscribe.filter() ||
        record.group() != subscribe.group() ||
        tracked != (subscribe.ack_mode() != wire::Subscribe::NONE)) {
      return absl::FailedPreconditionError(
          absl::StrCat("subscription ", record.name(), " exists with filter ",
                       record.filter(), record.group() ? " as a group" : "",
                       " and ack mode ", AckModeName(record.ack_mode()),
                       "; delete it first to change them"));
    }
    if (!record.group() && entry.members > 0) {
      return absl::AlreadyExistsError(absl::StrCat(
          "durable subscription ", record.name(),
          " is in use by another connection (use a group to share it)"));
    }
    ++entry.members;
    return record;
  }
  wire::SubscriptionRecord record;
  record.set_name(subscribe.name());
  record.set_filter(subscribe.filter());
  record.set_group(subscribe.group());
  record.set_ack_mode(subscribe.ack_mode());
  record.set_ack_wait_ms(subscribe.ack_wait_ms());
  record.set_max_deliveries(subscribe.max_deliveries());
  record.set_dead_letter_topic(subscribe.dead_letter_topic());
  record.set_from_publisher(subscribe.from_publisher());
  *record.mutable_start() = subscribe.start();
  record.set_created_ms(absl::ToUnixMillis(absl::Now()));
  CHORUS_RETURN_IF_ERROR(cursors_.PutSubscription(record));
  entries_[record.name()] = Entry{record, 1};
  return record;
}

void SubscriptionCatalog::Release(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(name);
  if (it != entries_.end() && it->second.members > 0) --it->second.members;
}

absl::StatusOr<wire::SubscriptionRecord> SubscriptionCatalog::Delete(
    const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    return absl::NotFoundError(absl::StrCat("no durable subscription ", name));
  }
  if (it->second.members > 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("subscription ", name, " has ", it->second.members,
                     " connected member(s); they must unsubscribe first"));
  }
  CHORUS_RETURN_IF_ERROR(cursors_.DeleteSubscription(name));
  wire::SubscriptionRecord record = std::move(it->second.record);
  entries_.erase(it);
  return record;
}

std::vector<SubscriptionCatalog::Entry> SubscriptionCatalog::List() {
  std::vector<Entry> entries;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, entry] : entries_) entries.push_back(entry);
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.record.name() < b.record.name();
  });
  return entries;
}

absl::StatusOr<SubscriptionCatalog::Entry> SubscriptionCatalog::Find(
    const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    return absl::NotFoundError(absl::StrCat("no durable subscription ", name));
  }
  return it->second;
}

}  // namespace chorus::broker
