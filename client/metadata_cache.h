// client_internal::MetadataCache: what the client learns of topics from the
// broker's Metadata — how many partitions each has, so that the publisher
// places messages itself — kept fresh when the broker pushes
// MetadataChanged or the client reconnects.
//
//   MetadataCache metadata(&link, &io);
//   metadata.SetListener([](const std::string& topic,
//                           absl::StatusOr<uint32_t> partitions) { ... });
//   metadata.Resolve("acme.x");  // the listener hears the answer
#ifndef CHORUS_CLIENT_METADATA_CACHE_H_
#define CHORUS_CLIENT_METADATA_CACHE_H_

#include <asio.hpp>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/io_thread.h"
#include "client/link.h"

namespace chorus::client_internal {

// Thread-safe. The listener and the On* calls run on the I/O thread.
class MetadataCache {
 public:
  // Hears each answer about a topic: its partition count, or why it cannot
  // be had (kNotFound: it does not exist, or no longer; kInvalidArgument:
  // an illegal name).
  using Listener = std::function<void(const std::string& topic,
                                      absl::StatusOr<uint32_t> partitions)>;

  MetadataCache(Link* link, IoThread* io);

  // Before the link connects.
  void SetListener(Listener listener) { listener_ = std::move(listener); }

  // Asks the broker for `topic`, creating it if the broker auto-creates
  // topics. Asks made in one turn of the I/O thread share one request; one
  // cut short by a lost connection is made again once reconnected.
  void Resolve(std::string_view topic);

  // A connection is up: asks what was left unanswered, and refreshes.
  void OnConnected();
  // The broker announced a change: the topics known are asked again (one
  // request at a time, at most one per kMinRefreshInterval).
  void OnMetadataChanged();

 private:
  // Spacing of refreshes, so that a burst of topic creations costs a few.
  static constexpr absl::Duration kMinRefreshInterval = absl::Milliseconds(500);

  void SendWanted();  // I/O thread
  void Refresh();     // I/O thread
  // Sends Metadata for `topics`; `refresh` tells a refresh from a resolve.
  void Ask(std::vector<std::string> topics, bool refresh)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnAnswer(std::vector<std::string> topics, bool refresh,
                absl::StatusOr<wire::Frame> answer);

  Link* const link_;
  IoThread* const io_;
  Listener listener_;
  asio::steady_timer refresh_timer_;  // I/O thread

  std::mutex mu_;
  // To ask (with auto-create), and asked but not answered.
  absl::flat_hash_set<std::string> wanted_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> asking_ ABSL_GUARDED_BY(mu_);
  bool send_posted_ ABSL_GUARDED_BY(mu_) = false;
  // Answered: the topics refreshes ask about.
  absl::flat_hash_set<std::string> known_ ABSL_GUARDED_BY(mu_);
  bool refreshing_ ABSL_GUARDED_BY(mu_) = false;
  bool refresh_again_ ABSL_GUARDED_BY(mu_) = false;
  bool refresh_timer_set_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time next_refresh_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace chorus::client_internal

#endif  // CHORUS_CLIENT_METADATA_CACHE_H_
