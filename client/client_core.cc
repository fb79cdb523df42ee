#include "client/client_core.h"

#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/topic_wire.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/string_views.h"
#include "common/sync.h"

namespace chorus::client_internal {
namespace {

// The Subscription handed to the user. Holds its state and a weak reference
// to the core, so that it may outlive the Client.
class SubscriptionHandle final : public Subscription {
 public:
  SubscriptionHandle(std::shared_ptr<SubscriptionState> state,
                     std::weak_ptr<ClientCore> core)
      : state_(std::move(state)), core_(std::move(core)) {}

  ~SubscriptionHandle() override {
    absl::Status status = Unsubscribe();
    if (!status.ok()) {
      Log(LogLevel::kDebug, "client",
          absl::StrCat("unsubscribe from ", state_->filter,
                       " on destruction: ", status.ToString()));
    }
  }

  absl::Status Unsubscribe() override {
    std::shared_ptr<ClientCore> core = core_.lock();
    if (core == nullptr) {  // the client closed, which ended it
      state_->active.store(false);
      return absl::OkStatus();
    }
    return core->Unsubscribe(*state_);
  }

  absl::Status Ack(const ReceivedMessage& message) override {
    return WithCore([&](ClientCore& core) {
      return core.Ack(state_, message, /*through=*/false);
    });
  }
  absl::Status AckThrough(const ReceivedMessage& message) override {
    return WithCore([&](ClientCore& core) {
      return core.Ack(state_, message, /*through=*/true);
    });
  }
  absl::Status Nack(const ReceivedMessage& message) override {
    return WithCore(
        [&](ClientCore& core) { return core.Nack(*state_, message); });
  }
  absl::Status FlushAcks() override {
    return WithCore([&](ClientCore& core) { return core.FlushAcks(*state_); });
  }

 private:
  template <typename Fn>
  absl::Status WithCore(Fn fn) {
    std::shared_ptr<ClientCore> core = core_.lock();
    if (core == nullptr) return absl::UnavailableError("client closed");
    return fn(*core);
  }

  const std::shared_ptr<SubscriptionState> state_;
  const std::weak_ptr<ClientCore> core_;
};

// The Client handed to the user: closes the core when destroyed.
class ConnectedClient final : public Client {
 public:
  explicit ConnectedClient(std::shared_ptr<ClientCore> core)
      : core_(std::move(core)) {}
  ~ConnectedClient() override { core_->Close(); }

  using Client::Publish;
  void Publish(std::string_view topic, Message message,
               PublishCallback done) override {
    core_->Publish(topic, message, std::move(done));
  }
  absl::Status Flush() override { return core_->Flush(); }
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(
      std::string_view filter, SubscribeOptions options,
      MessageHandler handler) override {
    return core_->Subscribe(filter, std::move(options), std::move(handler));
  }
  absl::StatusOr<TopicInfo> CreateTopic(std::string_view name,
                                        const TopicConfig& config) override {
    return core_->CreateTopic(name, config);
  }
  absl::StatusOr<TopicInfo> DescribeTopic(std::string_view name) override {
    return core_->DescribeTopic(name);
  }
  absl::StatusOr<std::vector<TopicInfo>> ListTopics() override {
    return core_->ListTopics();
  }
  absl::Status DeleteTopic(std::string_view name) override {
    return core_->DeleteTopic(name);
  }
  absl::StatusOr<ClusterInfo> DescribeCluster() override {
    return core_->DescribeCluster();
  }
  absl::Status Ping() override { return core_->Ping(); }
  absl::StatusOr<std::vector<SubscriptionInfo>> ListSubscriptions() override {
    return core_->ListSubscriptions();
  }
  absl::StatusOr<SubscriptionInfo> DescribeSubscription(
      std::string_view name) override {
    return core_->DescribeSubscription(name);
  }
  absl::Status DeleteSubscription(std::string_view name) override {
    return core_->DeleteSubscription(name);
  }
  absl::StatusOr<uint64_t> GrantLease(absl::Duration ttl) override {
    return core_->GrantLease(ttl);
  }
  absl::Status KeepAlive(uint64_t lease_id) override {
    return core_->KeepAlive(lease_id);
  }
  absl::Status RevokeLease(uint64_t lease_id) override {
    return core_->RevokeLease(lease_id);
  }
  void Close() override { core_->Close(); }

 protected:
  absl::Duration WaitLimit() const override { return core_->request_timeout(); }
  bool OnCallbackThread() const override { return core_->OnIoThread(); }

 private:
  const std::shared_ptr<ClientCore> core_;
};

absl::Status CheckOptions(const ClientOptions& options) {
  if (options.batch_max_bytes == 0 || options.max_in_flight_bytes == 0) {
    return absl::InvalidArgumentError(
        "batch_max_bytes and max_in_flight_bytes must be positive");
  }
  if (options.connect_timeout <= absl::ZeroDuration() ||
      options.request_timeout <= absl::ZeroDuration() ||
      options.publish_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "connect_timeout, request_timeout and publish_timeout must be "
        "positive");
  }
  if (options.reconnect_backoff_initial <= absl::ZeroDuration() ||
      options.reconnect_backoff_max < options.reconnect_backoff_initial) {
    return absl::InvalidArgumentError(
        "reconnect_backoff_initial must be positive and at most "
        "reconnect_backoff_max");
  }
  return absl::OkStatus();
}

// The client's producer id: random, never 0 (which means "no idempotence").
uint64_t NewProducerId() {
  std::random_device random;
  uint64_t id = 0;
  while (id == 0) {
    id = (static_cast<uint64_t>(random()) << 32) ^ random();
  }
  return id;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Client>> ConnectClient(std::string_view servers,
                                                      ClientOptions options) {
  CHORUS_RETURN_IF_ERROR(CheckOptions(options));
  CHORUS_ASSIGN_OR_RETURN(std::vector<std::string> list,
                          ParseServerList(servers));
  auto core = std::make_shared<ClientCore>(std::move(list), options);
  CHORUS_RETURN_IF_ERROR(core->Connect());
  return std::unique_ptr<Client>(
      std::make_unique<ConnectedClient>(std::move(core)));
}

ClientCore::ClientCore(std::vector<std::string> servers,
                       const ClientOptions& options)
    : options_(options),
      link_(&io_, std::move(servers), options, this),
      metadata_(&link_, &io_),
      publisher_(&link_, &io_, &metadata_, options, NewProducerId()),
      registry_(&link_, &io_, options) {
  metadata_.SetListener(
      [this](const std::string& topic, absl::StatusOr<uint32_t> partitions) {
        publisher_.OnTopicMetadata(topic, std::move(partitions));
      });
}

ClientCore::~ClientCore() { Close(); }

absl::Status ClientCore::Connect() {
  io_.Start();
  return link_.Connect();
}

void ClientCore::Publish(std::string_view topic, const Message& message,
                         Client::PublishCallback done) {
  publisher_.Publish(topic, message, std::move(done));
}

absl::Status ClientCore::Flush() {
  return publisher_.Flush(absl::Now() + options_.request_timeout);
}

absl::StatusOr<std::unique_ptr<Subscription>> ClientCore::Subscribe(
    std::string_view filter, SubscribeOptions options,
    Client::MessageHandler handler) {
  if (options.credit_messages == 0 || options.credit_bytes == 0) {
    return absl::InvalidArgumentError(
        "subscribe: credit_messages and credit_bytes must be positive");
  }
  if (options.group && options.name.empty()) {
    return absl::InvalidArgumentError("subscribe: a group needs a name");
  }
  wire::Frame frame;
  wire::Subscribe* subscribe = frame.mutable_subscribe();
  subscribe->set_filter(std::string(filter));
  StartPositionToWire(options.start, subscribe->mutable_start());
  subscribe->set_credit_messages(options.credit_messages);
  subscribe->set_credit_bytes(options.credit_bytes);
  subscribe->set_name(options.name);
  subscribe->set_group(options.group);
  subscribe->set_ack_mode(AckModeToWire(options.ack));
  subscribe->set_ack_wait_ms(
      static_cast<uint32_t>(absl::ToInt64Milliseconds(options.ack_wait)));
  subscribe->set_max_deliveries(options.max_deliveries);
  subscribe->set_dead_letter_topic(options.dead_letter_topic);
  subscribe->set_from_publisher(options.from_publisher);
  std::shared_ptr<SubscriptionState> state =
      registry_.Add(filter, std::move(options), std::move(handler), subscribe);
  absl::StatusOr<wire::Frame> accepted =
      Call(&frame, wire::Frame::kSubscribeAck,
           absl::StrCat("subscribe to ", AsAbsl(filter)),
           [this, state](const wire::Frame& response) {
             registry_.Accepted(*state, response.subscribe_ack());
           });
  if (!accepted.ok()) {
    registry_.End(*state);
    if (absl::IsDeadlineExceeded(accepted.status())) {
      // The broker may still accept it later; tell it to stop.
      wire::Frame unsubscribe;
      unsubscribe.mutable_unsubscribe()->set_subscription_id(state->id);
      (void)link_.Request(&unsubscribe, [](absl::StatusOr<wire::Frame>) {});
    }
    return accepted.status();
  }
  return std::unique_ptr<Subscription>(
      std::make_unique<SubscriptionHandle>(state, weak_from_this()));
}

absl::Status ClientCore::Unsubscribe(SubscriptionState& state) {
  if (!registry_.End(state)) return absl::OkStatus();
  // Acks made before must reach the broker before it forgets the
  // subscription (a posted send could come after the Unsubscribe).
  registry_.SendAcks(state);
  wire::Frame frame;
  frame.mutable_unsubscribe()->set_subscription_id(state.id);
  if (io_.OnIoThread()) {
    // Deliveries already stopped; the Ok answer cannot be waited for here.
    (void)link_.Request(&frame, [](absl::StatusOr<wire::Frame>) {});
    return absl::OkStatus();
  }
  // Without a connection there is nothing left to stop: the next one does
  // not resume an ended subscription.
  absl::StatusOr<wire::Frame> done = Call(
      &frame, wire::Frame::kOk, absl::StrCat("unsubscribe from ", state.filter),
      {}, WhenDisconnected::kFail);
  if (absl::IsUnavailable(done.status())) return absl::OkStatus();
  return done.status();
}

absl::StatusOr<TopicInfo> ClientCore::CreateTopic(std::string_view name,
                                                  const TopicConfig& config) {
  wire::Frame frame;
  wire::CreateTopic* create = frame.mutable_create_topic();
  create->set_name(std::string(name));
  TopicConfigToWire(config, create->mutable_config());
  CHORUS_ASSIGN_OR_RETURN(wire::Frame response,
                          Call(&frame, wire::Frame::kTopicInfo,
                               absl::StrCat("create topic ", AsAbsl(name))));
  return TopicInfoFromWire(response.topic_info());
}

absl::StatusOr<TopicInfo> ClientCore::DescribeTopic(std::string_view name) {
  wire::Frame frame;
  frame.mutable_describe_topic()->set_name(std::string(name));
  CHORUS_ASSIGN_OR_RETURN(wire::Frame response,
                          Call(&frame, wire::Frame::kTopicInfo,
                               absl::StrCat("describe topic ", AsAbsl(name))));
  return TopicInfoFromWire(response.topic_info());
}

absl::StatusOr<std::vector<TopicInfo>> ClientCore::ListTopics() {
  wire::Frame frame;
  frame.mutable_list_topics();
  CHORUS_ASSIGN_OR_RETURN(wire::Frame response,
                          Call(&frame, wire::Frame::kTopicList, "list topics"));
  std::vector<TopicInfo> topics;
  topics.reserve(response.topic_list().topics_size());
  for (const wire::TopicInfo& info : response.topic_list().topics()) {
    topics.push_back(TopicInfoFromWire(info));
  }
  return topics;
}

absl::Status ClientCore::DeleteTopic(std::string_view name) {
  wire::Frame frame;
  frame.mutable_delete_topic()->set_name(std::string(name));
  return Call(&frame, wire::Frame::kOk,
              absl::StrCat("delete topic ", AsAbsl(name)))
      .status();
}

absl::StatusOr<ClusterInfo> ClientCore::DescribeCluster() {
  wire::Frame frame;
  frame.mutable_metadata()->set_cluster_only(true);
  CHORUS_ASSIGN_OR_RETURN(
      wire::Frame response,
      Call(&frame, wire::Frame::kMetadataReply, "describe the cluster"));
  const wire::MetadataReply& metadata = response.metadata_reply();
  ClusterInfo cluster{.cluster = metadata.cluster(),
                      .controller = metadata.controller(),
                      .controller_epoch = metadata.controller_epoch()};
  for (const wire::BrokerInfo& broker : metadata.brokers()) {
    cluster.brokers.push_back(BrokerInfo{.node_id = broker.node_id(),
                                         .address = broker.address(),
                                         .rack = broker.rack(),
                                         .alive = broker.alive(),
                                         .partitions = broker.partitions(),
                                         .leaders = broker.leaders()});
  }
  return cluster;
}

absl::Status ClientCore::Ping() {
  wire::Frame frame;
  frame.mutable_ping();
  return Call(&frame, wire::Frame::kPong, "ping").status();
}

absl::StatusOr<wire::Frame> ClientCore::Call(
    wire::Frame* request, wire::Frame::BodyCase expected, std::string_view what,
    absl::AnyInvocable<void(const wire::Frame&) &&> on_accepted,
    WhenDisconnected when_disconnected) {
  if (io_.OnIoThread()) {
    return absl::FailedPreconditionError(
        absl::StrCat(AsAbsl(what),
                     ": cannot wait for the broker on the client's I/O thread "
                     "(called from a handler or callback)"));
  }
  struct Pending {
    Notification done;
    absl::StatusOr<wire::Frame> response;
  };
  auto pending = std::make_shared<Pending>();
  // Kept here across attempts: a refused send does not consume it.
  auto handler = std::make_shared<Connection::ResponseHandler>(
      [pending, expected, on_accepted = std::move(on_accepted)](
          absl::StatusOr<wire::Frame> response) mutable {
        if (response.ok() && response->body_case() == expected && on_accepted) {
          std::move(on_accepted)(*response);
        }
        pending->response = std::move(response);
        pending->done.Notify();
      });
  const absl::Time deadline = absl::Now() + options_.request_timeout;
  absl::StatusOr<uint64_t> correlation_id;
  while (true) {
    if (when_disconnected == WhenDisconnected::kWait) {
      link_.WaitConnected(deadline);
    }
    correlation_id =
        link_.Request(request, [handler](absl::StatusOr<wire::Frame> response) {
          std::move (*handler)(std::move(response));
        });
    // Lost between the wait and the send: wait for the next connection.
    if (correlation_id.ok() || !absl::IsUnavailable(correlation_id.status()) ||
        when_disconnected == WhenDisconnected::kFail ||
        absl::Now() >= deadline) {
      break;
    }
  }
  if (!correlation_id.ok()) {
    if (!absl::IsUnavailable(correlation_id.status())) {
      return correlation_id.status();
    }
    return absl::UnavailableError(
        absl::StrCat(AsAbsl(what), ": not connected to ", link_.server(), " (",
                     correlation_id.status().message(), ")"));
  }
  if (!pending->done.WaitForNotificationWithTimeout(deadline - absl::Now())) {
    link_.Abandon(*correlation_id);
    // The handler may have been running when the wait ended.
    if (!pending->done.WaitForNotificationWithTimeout(absl::ZeroDuration())) {
      return absl::DeadlineExceededError(absl::StrCat(
          AsAbsl(what), ": no answer from ", link_.server(), " within ",
          absl::FormatDuration(options_.request_timeout)));
    }
  }
  if (!pending->response.ok()) return pending->response.status();
  if (pending->response->body_case() != expected) {
    return absl::InternalError(
        absl::StrCat(AsAbsl(what), ": unexpected answer (frame body ",
                     static_cast<int>(pending->response->body_case()), ")"));
  }
  return std::move(pending->response);
}

void ClientCore::Close() {
  const absl::Status closed = absl::UnavailableError("client closed");
  if (io_.OnIoThread()) {
    // From a handler or callback: nothing here may wait for the I/O thread.
    // Queued publishes fail rather than being flushed; the destructor joins.
    publisher_.Abort(closed);
    registry_.EndAll();
    link_.Shutdown(closed);
    io_.Stop();
    return;
  }
  std::lock_guard<std::mutex> lock(close_mu_);
  if (closed_) return;
  publisher_.StopAccepting(closed);
  absl::Status flushed =
      publisher_.Flush(absl::Now() + options_.request_timeout);
  if (!flushed.ok()) {
    // Each publish already reported its own error to its callback.
    Log(LogLevel::kDebug, "client",
        absl::StrCat("flush on close: ", flushed.ToString()));
  }
  publisher_.Abort(closed);  // what is still unacknowledged
  registry_.EndAll();
  link_.Shutdown(closed);
  io_.Stop();
  closed_ = true;
}

void ClientCore::OnPush(wire::Frame& frame) {
  switch (frame.body_case()) {
    case wire::Frame::kDeliver:
      return registry_.OnDeliver(*frame.mutable_deliver());
    case wire::Frame::kSnapshotEnd:
      return registry_.OnSnapshotEnd(frame.snapshot_end());
    case wire::Frame::kSubscriptionEnded:
      return registry_.OnSubscriptionEnded(frame.subscription_ended());
    case wire::Frame::kMetadataChanged:
      return metadata_.OnMetadataChanged();
    default:
      Log(LogLevel::kWarning, "client",
          absl::StrCat("ignoring an unexpected push from ", link_.server(),
                       " (frame body ", static_cast<int>(frame.body_case()),
                       ")"));
  }
}

void ClientCore::OnConnected() {
  publisher_.OnConnected();
  metadata_.OnConnected();
  registry_.OnConnected();
  if (connected_before_ && options_.on_reconnect) options_.on_reconnect();
  connected_before_ = true;
}

void ClientCore::OnDisconnected(const absl::Status& status) {
  publisher_.OnDisconnected(status);
  if (options_.on_disconnect) options_.on_disconnect(status);
}

}  // namespace chorus::client_internal
