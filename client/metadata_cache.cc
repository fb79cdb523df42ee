#include "client/metadata_cache.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/string_views.h"
#include "proto/wire_status.h"

namespace chorus::client_internal {

MetadataCache::MetadataCache(Link* link, IoThread* io)
    : link_(link), io_(io), refresh_timer_(io->io()) {}

void MetadataCache::Resolve(std::string_view topic) {
  std::lock_guard<std::mutex> lock(mu_);
  const absl::string_view name = AsAbsl(topic);
  if (wanted_.contains(name) || asking_.contains(name)) return;
  wanted_.emplace(name);
  if (send_posted_) return;
  send_posted_ = true;
  io_->Post([this] { SendWanted(); });
}

void MetadataCache::SendWanted() {
  std::lock_guard<std::mutex> lock(mu_);
  send_posted_ = false;
  if (wanted_.empty()) return;
  std::vector<std::string> topics(wanted_.begin(), wanted_.end());
  wanted_.clear();
  Ask(std::move(topics), /*refresh=*/false);
}

void MetadataCache::Ask(std::vector<std::string> topics, bool refresh) {
  wire::Frame frame;
  wire::Metadata* request = frame.mutable_metadata();
  for (const std::string& topic : topics) request->add_topics(topic);
  request->set_auto_create(!refresh);
  absl::StatusOr<uint64_t> sent = link_->Request(
      &frame, [this, topics, refresh](absl::StatusOr<wire::Frame> answer) {
        OnAnswer(std::move(topics), refresh, std::move(answer));
      });
  if (refresh) {
    refreshing_ = sent.ok();
    return;
  }
  if (!sent.ok()) {
    // Not connected: OnConnected asks again.
    wanted_.insert(topics.begin(), topics.end());
    return;
  }
  asking_.insert(topics.begin(), topics.end());
}

void MetadataCache::OnAnswer(std::vector<std::string> topics, bool refresh,
                             absl::StatusOr<wire::Frame> answer) {
  std::vector<std::pair<std::string, absl::StatusOr<uint32_t>>> heard;
  bool refresh_now = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (refresh) {
      refreshing_ = false;
      refresh_now = refresh_again_;
      refresh_again_ = false;
    } else {
      for (const std::string& topic : topics) asking_.erase(topic);
    }
    if (!answer.ok() && EndedWithConnection(answer.status())) {
      // The connection broke: asked again once reconnected.
      if (!refresh) wanted_.insert(topics.begin(), topics.end());
      return;
    }
    if (answer.ok() && !answer->has_metadata_reply()) {
      answer = absl::InternalError(
          absl::StrCat("broker answered Metadata with frame body ",
                       static_cast<int>(answer->body_case())));
    }
    if (!answer.ok()) {
      for (const std::string& topic : topics) {
        heard.emplace_back(topic, answer.status());
      }
    } else {
      for (const wire::TopicMetadata& topic :
           answer->metadata_reply().topics()) {
        if (topic.has_error() && topic.error().code() != wire::OK) {
          known_.erase(topic.name());
          heard.emplace_back(topic.name(),
                             proto::StatusFromWire(topic.error()));
        } else {
          known_.insert(topic.name());
          heard.emplace_back(topic.name(),
                             static_cast<uint32_t>(topic.partitions_size()));
        }
      }
    }
  }
  for (auto& [topic, partitions] : heard) listener_(topic, partitions);
  if (refresh_now) Refresh();
}

void MetadataCache::OnConnected() {
  SendWanted();
  Refresh();
}

void MetadataCache::OnMetadataChanged() { Refresh(); }

void MetadataCache::Refresh() {
  std::lock_guard<std::mutex> lock(mu_);
  if (known_.empty()) return;
  if (refreshing_) {
    refresh_again_ = true;
    return;
  }
  const absl::Time now = absl::Now();
  if (now < next_refresh_) {
    if (refresh_timer_set_) return;
    refresh_timer_set_ = true;
    refresh_timer_.expires_after(
        absl::ToChronoNanoseconds(next_refresh_ - now));
    refresh_timer_.async_wait([this](std::error_code ec) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        refresh_timer_set_ = false;
      }
      if (!ec) Refresh();
    });
    return;
  }
  next_refresh_ = now + kMinRefreshInterval;
  Ask(std::vector<std::string>(known_.begin(), known_.end()),
      /*refresh=*/true);
}

}  // namespace chorus::client_internal
