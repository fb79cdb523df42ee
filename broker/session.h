// Session: one client connection — its reader and writer coroutines, its
// write queue and its subscriptions.
//
// Lives on one shard for its whole life; every method runs on that shard.
// The reader decodes frames and dispatches requests; replies, acks and
// deliveries go through one write queue that the writer drains with one
// gathered write per turn. The queue is bounded: deliveries stop while it is
// over BrokerOptions::max_outbound_bytes (subscriptions fall back to the log),
// and the reader stops reading requests at twice that, or while the
// connection's publishes awaiting storage hold max_in_flight_publish_bytes.
// CheckTimeouts, called periodically by the broker, closes a connection
// that is slow to say Hello, idle, or trickling a frame (BrokerOptions).
//
//   auto session = std::make_shared<Session>(std::move(socket), shard, ctx);
//   session->Start();
#ifndef CHORUS_BROKER_SESSION_H_
#define CHORUS_BROKER_SESSION_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "asio.hpp"
#include "broker/bound_keys.h"
#include "broker/broker_options.h"
#include "broker/cluster_view.h"
#include "broker/dead_letters.h"
#include "broker/delivery.h"
#include "broker/shard.h"
#include "broker/subscription.h"
#include "broker/subscription_catalog.h"
#include "broker/topic_admin.h"
#include "broker/topic_registry.h"
#include "proto/frame_codec.h"
#include "proto/protocol.pb.h"

namespace chorus::broker {

// What a session needs of its broker. Outlives every session.
struct SessionContext {
  const BrokerOptions* options;
  TopicRegistry* registry;
  SubscriptionCatalog* catalog;
  DeadLetters* dead_letters;
  ShardSet* shards;
  // Live connections; each session decrements it when destroyed.
  std::atomic<size_t>* connections;
  // The cluster this broker is part of; null on a single node.
  const ClusterView* cluster;
  // How topics are created and deleted in a cluster; null on a single node.
  TopicAdmin* topic_admin;
};

class Session : public std::enable_shared_from_this<Session>,
                public DeliverySink,
                public MetadataWatcher {
 public:
  Session(asio::ip::tcp::socket socket, Shard* shard, SessionContext context);
  ~Session() override;

  // Starts the reader and writer; the session keeps itself alive until the
  // connection ends.
  void Start();
  // Graceful end (shutdown): stop reading, send the acks of publishes in
  // flight, then close.
  void BeginDrain();
  // Closes the connection if one of its deadlines passed: no Hello within
  // handshake_timeout, nothing received within idle_timeout, a frame not
  // complete within frame_timeout, or — once reading has ended (the peer's
  // end of stream, an error sent, a drain) — the acks and replies still
  // owed not written within frame_timeout.
  void CheckTimeouts(std::chrono::steady_clock::time_point now);

  // DeliverySink
  bool HasRoom() const override;
  void Deliver(uint64_t subscription_id,
               std::shared_ptr<const DeliveryBatch> batch,
               uint32_t delivery_count) override;
  void SnapshotEnd(uint64_t subscription_id, const std::string& topic,
                   uint32_t partition) override;
  void FailSubscription(uint64_t subscription_id,
                        const absl::Status& status) override;

  // MetadataWatcher (any thread): pushes MetadataChanged, one for changes
  // that come close together.
  void OnMetadataChanged(uint64_t version) override;

 private:
  struct Outbound {
    std::string bytes;  // a whole frame, or a delivery's prefix
    std::shared_ptr<const DeliveryBatch> batch;  // shared delivery body
  };

  // Each loop holds `self` so the session lives while it runs.
  asio::awaitable<void> ReadLoop(std::shared_ptr<Session> self);
  asio::awaitable<void> WriteLoop(std::shared_ptr<Session> self);
  // The reader holds off: replies are not being read, or too many publish
  // bytes await storage.
  bool ReaderMustWait() const;
  // Reading has ended: subscriptions end at once (their members' unacked
  // messages go to others); what is left is writing what is owed.
  void EndReading();
  // Closes the socket now; the writer then finishes the session.
  void Close();
  void Finish();

  // Request dispatch, publishing and topics (session_requests.cc).
  void HandleFrame(wire::Frame& frame);
  void HandleHello(uint64_t correlation_id, const wire::Hello& hello);
  void HandlePublish(uint64_t correlation_id, wire::Publish& publish);
  // `may_create`: in a cluster, a missing topic is asked of the controller
  // (auto-create) and the publish waits for it.
  void PublishNow(uint64_t correlation_id, wire::Publish& publish,
                  bool may_create);
  void HandleCreateTopic(uint64_t correlation_id,
                         const wire::CreateTopic& create);
  void HandleDescribeTopic(uint64_t correlation_id, absl::string_view name);
  void HandleListTopics(uint64_t correlation_id);
  void HandleDeleteTopic(uint64_t correlation_id, absl::string_view name);
  // Metadata (session_metadata.cc). `created`: the cluster topics it asked
  // for were requested already.
  void HandleMetadata(uint64_t correlation_id, const wire::Metadata& request,
                      bool created = false);
  void AddTopicMetadata(const Topic& topic, wire::TopicMetadata* out) const;
  // Counts, on the reply's brokers, the partitions each holds and leads.
  void CountPartitions(wire::MetadataReply* metadata) const;
  absl::StatusOr<std::shared_ptr<Topic>> TopicForPublish(
      absl::string_view name);
  void DescribeInto(std::shared_ptr<Topic> topic, uint64_t correlation_id);

  // Topics in a cluster, through the controller (session_cluster.cc).
  void CreateClusterTopic(uint64_t correlation_id,
                          const wire::CreateTopic& create);
  void DeleteClusterTopic(uint64_t correlation_id, const std::string& name);
  // Runs `call` (a TopicAdmin request) with a reply owed; `done` runs on
  // this session's shard with the outcome.
  void AwaitTopicAdmin(
      absl::AnyInvocable<void(TopicAdmin::Done)> call,
      absl::AnyInvocable<void(const std::shared_ptr<Session>&, absl::Status)>
          done);
  // Asks the controller for the topic `name` (AwaitTopicAdmin).
  void AskToCreate(
      std::string name, wire::TopicConfig config,
      absl::AnyInvocable<void(const std::shared_ptr<Session>&, absl::Status)>
          done);
  // Whether `missing` (TopicForPublish's error) is a topic to auto-create
  // through the controller.
  bool CreatesClusterTopic(const absl::Status& missing) const;
  // A publish waiting for its topic's creation, and those that came after.
  void ParkForTopic(uint64_t correlation_id, wire::Publish publish);
  // `first`: ahead of those parked already (it came before them).
  void Park(uint64_t correlation_id, wire::Publish publish, bool first = false);
  void ResumeParked(absl::Status created);
  // Asks the controller for the topics of `request` that are missing, then
  // answers it.
  void CreateMetadataTopics(uint64_t correlation_id, wire::Metadata request,
                            std::vector<std::string> missing);
  // kFailedPrecondition naming the leader of `partition` to publish to.
  absl::Status NotLeader(const Topic& topic, uint32_t partition) const;

  // Subscriptions, acks and their administration (session_subscriptions.cc).
  void HandleSubscribe(uint64_t correlation_id,
                       const wire::Subscribe& subscribe);
  absl::StatusOr<SubscriptionSpec> SpecFor(const wire::Subscribe& subscribe);
  void HandleUnsubscribe(uint64_t correlation_id,
                         const wire::Unsubscribe& unsubscribe);
  void HandleCredit(const wire::Credit& credit);
  void HandleAck(uint64_t correlation_id, const wire::Ack& ack);
  void HandleListSubscriptions(uint64_t correlation_id);
  void HandleDescribeSubscription(uint64_t correlation_id,
                                  const std::string& name);
  void HandleDeleteSubscription(uint64_t correlation_id,
                                const std::string& name);
  // Gathers the partitions' view of `entry` and replies with it (or, with a
  // list, adds it and replies once `list` is complete).
  void DescribeSubscriptionInto(
      SubscriptionCatalog::Entry entry,
      absl::AnyInvocable<void(wire::SubscriptionInfo)> done);
  void CloseSubscription(uint64_t id);
  void CloseSubscriptions();

  // Leases and key binding on status topics (session_status.cc).
  void HandleGrantLease(uint64_t correlation_id, const wire::GrantLease& grant);
  void HandleKeepAlive(uint64_t correlation_id, uint64_t lease_id);
  void HandleRevokeLease(uint64_t correlation_id, uint64_t lease_id);
  // Runs `call` with the table holding `lease_id` on its shard; replies Ok,
  // or kNotFound when `call` returns false.
  void WithLease(uint64_t correlation_id, uint64_t lease_id,
                 absl::AnyInvocable<bool(LeaseTable&)> call);
  // After a publish to a status topic with bind or a lease: ties each keyed
  // record to this session or the lease.
  void BindKeys(bool bind, uint64_t lease_id, std::vector<KeyedRecord> records);

  // Output.
  void Reply(uint64_t correlation_id, wire::Frame& frame);
  void ReplyError(uint64_t correlation_id, const absl::Status& status);
  // Sends a connection-level error, then closes once the queue is flushed.
  void Fatal(const absl::Status& status);
  void Enqueue(Outbound outbound);
  void WakeWriter();

  asio::ip::tcp::socket socket_;
  Shard* const shard_;
  const SessionContext context_;
  std::string peer_;
  // HOST:PORT of this end of the connection: the address this client
  // reaches the broker at (Metadata).
  std::string local_address_;
  proto::FrameDecoder decoder_;
  size_t read_chunk_bytes_;  // grows while reads fill it (session.cc)
  wire::Frame frame_;        // reused by the reader

  bool greeted_ = false;
  bool watching_metadata_ = false;
  std::atomic<bool> metadata_push_posted_{false};
  std::string client_name_;
  bool stop_reading_ = false;
  bool reader_done_ = false;
  bool closed_ = false;
  int pending_publishes_ = 0;  // parked ones included
  // Replies owed to requests waiting on the cluster (TopicAdmin).
  int pending_admin_replies_ = 0;
  struct ParkedPublish {
    uint64_t correlation_id;
    wire::Publish publish;
  };
  std::deque<ParkedPublish> parked_;
  bool awaiting_topic_ = false;  // parked_.front() waits for its topic
  size_t in_flight_publish_bytes_ = 0;

  // For CheckTimeouts.
  using Clock = std::chrono::steady_clock;
  const Clock::time_point accepted_at_;
  Clock::time_point last_received_;  // accept, or the last bytes read
  Clock::time_point partial_since_;  // valid while has_partial_frame_
  bool has_partial_frame_ = false;
  bool reader_waiting_ = false;  // paused by ReaderMustWait
  bool fatal_sent_ = false;
  Clock::time_point reading_ended_at_;  // valid once reader_done_

  std::deque<Outbound> queue_;
  size_t outbound_bytes_ = 0;
  mutable bool delivery_blocked_ = false;
  std::vector<asio::const_buffer> write_buffers_;
  asio::steady_timer writer_wake_;
  asio::steady_timer reader_wake_;

  absl::flat_hash_map<uint64_t, std::shared_ptr<Subscription>> subscriptions_;
  // Status keys bound to this connection (Publish.bind).
  BoundKeys bound_keys_;
  absl::flat_hash_map<std::string, std::shared_ptr<Topic>> topic_cache_;
};

}  // namespace chorus::broker

#endif  // CHORUS_BROKER_SESSION_H_
