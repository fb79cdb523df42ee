// client_internal::ClientCore: the implementation behind chorus::Client,
// shared between the Client handed to the user and its Subscriptions (which
// may outlive it).
//
//   CHORUS_ASSIGN_OR_RETURN(std::unique_ptr<Client> client,
//                           client_internal::ConnectClient(servers, options));
//
// An IoThread, a Link to the broker (a connection kept up with reconnects),
// a MetadataCache (topics' partitions), a Publisher (placement, batching,
// idempotent retries, back-pressure) and a SubscriptionRegistry (delivery,
// credit, resumption); this class wires them together and implements the
// waiting calls.
#ifndef CHORUS_CLIENT_CLIENT_CORE_H_
#define CHORUS_CLIENT_CLIENT_CORE_H_

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/client.h"
#include "client/io_thread.h"
#include "client/link.h"
#include "client/metadata_cache.h"
#include "client/publisher.h"
#include "client/subscriptions.h"
#include "proto/protocol.pb.h"

namespace chorus::client_internal {

// Thread-safe; the methods mirror chorus::Client's. Owned by shared_ptr.
// Waiting calls return kFailedPrecondition on the I/O thread.
class ClientCore : public LinkObserver,
                   public std::enable_shared_from_this<ClientCore> {
 public:
  ClientCore(std::vector<std::string> servers, const ClientOptions& options);
  ~ClientCore() override;

  absl::Status Connect();

  void Publish(std::string_view topic, const Message& message,
               Client::PublishCallback done);
  absl::Status Flush();
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(
      std::string_view filter, SubscribeOptions options,
      Client::MessageHandler handler);
  absl::Status Unsubscribe(SubscriptionState& state);
  absl::StatusOr<TopicInfo> CreateTopic(std::string_view name,
                                        const TopicConfig& config);
  absl::StatusOr<TopicInfo> DescribeTopic(std::string_view name);
  absl::StatusOr<std::vector<TopicInfo>> ListTopics();
  absl::StatusOr<ClusterInfo> DescribeCluster();
  absl::Status DeleteTopic(std::string_view name);
  absl::Status Ping();

  // Acks of `state` (subscription_acks.cc).
  absl::Status Ack(const std::shared_ptr<SubscriptionState>& state,
                   const ReceivedMessage& message, bool through);
  absl::Status Nack(const SubscriptionState& state,
                    const ReceivedMessage& message);
  absl::Status FlushAcks(SubscriptionState& state);

  // Named subscriptions and leases (subscription_admin.cc).
  absl::StatusOr<std::vector<SubscriptionInfo>> ListSubscriptions();
  absl::StatusOr<SubscriptionInfo> DescribeSubscription(std::string_view name);
  absl::Status DeleteSubscription(std::string_view name);
  absl::StatusOr<uint64_t> GrantLease(absl::Duration ttl);
  absl::Status KeepAlive(uint64_t lease_id);
  absl::Status RevokeLease(uint64_t lease_id);
  void Close();

  bool OnIoThread() const { return io_.OnIoThread(); }
  absl::Duration request_timeout() const { return options_.request_timeout; }

  // LinkObserver (I/O thread).
  void OnPush(wire::Frame& frame) override;
  void OnConnected() override;
  void OnDisconnected(const absl::Status& status) override;

 private:
  // Whether a call waits for a connection while there is none.
  enum class WhenDisconnected { kWait, kFail };

  // Sends `request` and waits up to request_timeout for a response with body
  // `expected` — waiting for the link to come back first, if it is down and
  // `when_disconnected` says so. `on_accepted`, if set, runs on the I/O
  // thread when that response arrives, before any later frame is handled.
  // Errors: the broker's; kUnavailable (not connected, or the connection
  // broke before the answer: the broker may or may not have done it);
  // kDeadlineExceeded; kInternal for a response of another kind;
  // kFailedPrecondition on the I/O thread.
  absl::StatusOr<wire::Frame> Call(
      wire::Frame* request, wire::Frame::BodyCase expected,
      std::string_view what,
      absl::AnyInvocable<void(const wire::Frame&) &&> on_accepted = {},
      WhenDisconnected when_disconnected = WhenDisconnected::kWait);

  const ClientOptions options_;
  // Declared first, so that it is destroyed last: the others use its
  // io_context.
  IoThread io_;
  Link link_;
  MetadataCache metadata_;
  Publisher publisher_;
  SubscriptionRegistry registry_;
  bool connected_before_ = false;  // I/O thread

  std::mutex close_mu_;
  bool closed_ ABSL_GUARDED_BY(close_mu_) = false;
};

// Connects and returns the Client. See Client::Connect.
absl::StatusOr<std::unique_ptr<Client>> ConnectClient(std::string_view servers,
                                                      ClientOptions options);

}  // namespace chorus::client_internal

#endif  // CHORUS_CLIENT_CLIENT_CORE_H_
