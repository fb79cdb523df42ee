// Broker: a whole single-node Chorus broker — store, shards, topics and the
// listening socket.
//
//   BrokerOptions options;
//   options.listen_port = 0;
//   CHORUS_ASSIGN_OR_RETURN(std::unique_ptr<Broker> broker,
//                           Broker::Start(options));
//   std::cout << broker->endpoint();   // the real port
//   broker->Shutdown();                 // from a signal handler's thread
#ifndef CHORUS_BROKER_BROKER_H_
#define CHORUS_BROKER_BROKER_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "asio.hpp"
#include "broker/broker_options.h"
#include "broker/cluster_view.h"
#include "broker/dead_letters.h"
#include "broker/shard.h"
#include "broker/subscription_catalog.h"
#include "broker/topic_admin.h"
#include "broker/topic_registry.h"
#include "storage/store.h"

namespace chorus::broker {

// Most shards a broker runs.
inline constexpr int kMaxShards = 256;

// Start and Shutdown are called from one control thread (main); the broker's
// work runs on its shards.
class Broker {
 public:
  // Opens the store, recovers topics, starts the shards and listens.
  // `cluster`: what Metadata tells about the cluster this broker is part
  // of; none for a single node.
  // Errors: kFailedPrecondition (data dir held by another broker),
  // kAlreadyExists (address in use), kDataLoss, kInternal.
  // In a cluster, `cluster` and `topic_admin` are the cluster's (both or
  // neither); topics then come and go through `topic_admin`.
  static absl::StatusOr<std::unique_ptr<Broker>> Start(
      BrokerOptions options, std::shared_ptr<const ClusterView> cluster = {},
      std::shared_ptr<TopicAdmin> topic_admin = {});

  // Calls Shutdown if it has not run.
  ~Broker();

  // "HOST:PORT" actually listened on.
  std::string endpoint() const;
  // The topics, for the cluster code to apply the controller's decisions.
  TopicRegistry& registry() { return *registry_; }

  // Stops accepting, lets connections finish their in-flight acks (up to
  // shutdown_grace), stops the shards and closes the store (WAL synced).
  void Shutdown();

 private:
  Broker(BrokerOptions options, std::shared_ptr<const ClusterView> cluster,
         std::shared_ptr<TopicAdmin> topic_admin);
  absl::Status Listen();
  void Accept();
  void ScheduleRetention(Shard* shard);
  // Every shard checks its connections' deadlines (Session::CheckTimeouts).
  void ScheduleTimeoutChecks(Shard* shard);

  BrokerOptions options_;
  const std::shared_ptr<const ClusterView> cluster_;
  const std::shared_ptr<TopicAdmin> topic_admin_;
  std::unique_ptr<storage::Store> store_;
  ShardSet shards_;
  std::unique_ptr<TopicRegistry> registry_;
  std::unique_ptr<SubscriptionCatalog> catalog_;
  std::unique_ptr<DeadLetters> dead_letters_;
  std::optional<asio::ip::tcp::acceptor> acceptor_;
  std::vector<std::unique_ptr<asio::steady_timer>> retention_timers_;
  std::vector<std::unique_ptr<asio::steady_timer>> timeout_timers_;
  std::optional<asio::steady_timer> accept_retry_;
  std::atomic<size_t> connections_{0};
  size_t next_shard_ = 0;
  bool running_ = false;
};

}  // namespace chorus::broker

#endif  // CHORUS_BROKER_BROKER_H_
