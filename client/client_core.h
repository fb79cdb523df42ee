// client_internal::ClientCore: the implementation behind chorus::Client,
// shared between the Client handed to the user and its Subscriptions (which
// may outlive it).
//
//   CHORUS_ASSIGN_OR_RETURN(std::unique_ptr<Client> client,
//                           client_internal::ConnectClient(server, options));
//
// A Connection (socket, I/O thread, request routing), a Publisher (batching,
// back-pressure) and a SubscriptionRegistry (delivery, credit); this class
// wires them together and implements the waiting calls.
#ifndef CHORUS_CLIENT_CLIENT_CORE_H_
#define CHORUS_CLIENT_CLIENT_CORE_H_

#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/client.h"
#include "client/connection.h"
#include "client/publisher.h"
#include "client/subscriptions.h"
#include "proto/protocol.pb.h"

namespace chorus::client_internal {

// Thread-safe; the methods mirror chorus::Client's. Owned by shared_ptr.
// Waiting calls return kFailedPrecondition on the I/O thread.
class ClientCore : public ConnectionObserver,
                   public std::enable_shared_from_this<ClientCore> {
 public:
  ClientCore(std::string_view server, const ClientOptions& options);
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

  bool OnIoThread() const { return connection_.OnIoThread(); }
  absl::Duration request_timeout() const { return options_.request_timeout; }

  // ConnectionObserver (I/O thread).
  void OnDeliver(wire::Deliver& deliver) override;
  void OnSnapshotEnd(const wire::SnapshotEnd& end) override;
  void OnConnectionLost(const absl::Status& status) override;

 private:
  // Sends `request` and waits up to request_timeout for a response with body
  // `expected`. `on_accepted`, if set, runs on the I/O thread when that
  // response arrives, before any later frame is handled.
  // Errors: the broker's; kUnavailable; kDeadlineExceeded; kInternal for a
  // response of another kind; kFailedPrecondition on the I/O thread.
  absl::StatusOr<wire::Frame> Call(
      wire::Frame* request, wire::Frame::BodyCase expected,
      std::string_view what, absl::AnyInvocable<void() &&> on_accepted = {});

  const ClientOptions options_;
  // Declared before the publisher and the registry, so that it is destroyed
  // after them: they use its io_context.
  Connection connection_;
  Publisher publisher_;
  SubscriptionRegistry registry_;

  std::mutex close_mu_;
  bool closed_ ABSL_GUARDED_BY(close_mu_) = false;
};

// Connects and returns the Client. See Client::Connect.
absl::StatusOr<std::unique_ptr<Client>> ConnectClient(std::string_view server,
                                                      ClientOptions options);

}  // namespace chorus::client_internal

#endif  // CHORUS_CLIENT_CLIENT_CORE_H_
