// chorus::Client: the C++ client library of the Chorus broker.
//
// One Client is one connection to a broker, kept up by itself: when it
// breaks (or the broker restarts) the client reconnects with backoff,
// resends what was not acknowledged (idempotently: stored once) and resumes
// its subscriptions where they stood. It has its own I/O thread; every
// method is thread-safe. Publishes are batched per partition (linger time,
// batch bytes) and pipelined; subscriptions get credits managed for them.
//
//   CHORUS_ASSIGN_OR_RETURN(std::unique_ptr<chorus::Client> client,
//                           chorus::Client::Connect("127.0.0.1:7400"));
//   client->Publish("acme.payments.status", {.key = "eu-1", .value = "up"},
//                   [](absl::StatusOr<chorus::PublishResult> r) { ... });
//   CHORUS_ASSIGN_OR_RETURN(
//       auto sub, client->Subscribe("acme.>", {}, [](const auto& m) { ... }));
#ifndef CHORUS_CLIENT_CLIENT_H_
#define CHORUS_CLIENT_CLIENT_H_

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace chorus {

using Header = std::pair<std::string, std::string>;

// A message to publish.
struct Message {
  std::string key;  // optional; messages with one key go to one partition
  std::string value;
  std::vector<Header> headers;
  // Status topics only, for keyed messages: tie the key's liveness to this
  // connection (`bind`) or to a lease (GrantLease). When the connection
  // ends or the lease runs out, the broker publishes a stale marker for the
  // key (empty value, header "chorus-stale") unless it was published again
  // since. Default: neither.
  bool bind = false;
  uint64_t lease_id = 0;
};

// Where a published message was stored.
struct PublishResult {
  uint32_t partition = 0;
  uint64_t offset = 0;
};

// A delivered message. The views are valid only during the handler call.
struct ReceivedMessage {
  std::string_view topic;
  uint32_t partition = 0;
  uint64_t offset = 0;
  int64_t timestamp_ms = 0;  // set by the broker when it stored the message
  std::string_view
      publisher;  // client name of the publisher, stamped by the broker
  std::string_view key;
  std::string_view value;
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  // How many times the broker has handed this message out (1 the first
  // time); 0 for subscriptions that take no acks.
  uint32_t delivery_count = 0;
};

// Where a new subscription starts in each matched partition.
struct StartPosition {
  enum class Kind { kLatest, kEarliest, kOffset, kTime, kLast, kSnapshot };
  Kind kind = Kind::kLatest;
  int64_t value = 0;  // the offset, unix milliseconds, or N

  static StartPosition Latest() { return {}; }
  static StartPosition Earliest() { return {Kind::kEarliest, 0}; }
  static StartPosition Offset(uint64_t offset) {
    return {Kind::kOffset, static_cast<int64_t>(offset)};
  }
  static StartPosition Time(absl::Time time) {
    return {Kind::kTime, absl::ToUnixMillis(time)};
  }
  static StartPosition Last(uint64_t n) {
    return {Kind::kLast, static_cast<int64_t>(n)};
  }
  // Status topics: the current value of every key, then live changes (each
  // partition's switch is marked by on_snapshot_end).
  static StartPosition Snapshot() { return {Kind::kSnapshot, 0}; }
};

// When a subscription's messages count as done.
enum class AckMode {
  kNone,      // when sent: at most once, fastest
  kAuto,      // when the handler returns for it (the library acks)
  kExplicit,  // when the application calls Subscription::Ack
};

struct ClientOptions {
  // Identity sent in Hello; the broker stamps it on published messages.
  // Default: "chorus-client".
  std::string client_name = "chorus-client";
  // Sent in Hello. Default: empty.
  std::string auth_token;
  // Limit for connecting and the Hello/Welcome handshake, per attempt.
  // Default: 5 s.
  absl::Duration connect_timeout = absl::Seconds(5);
  // Limit for admin calls and the *AndWait conveniences, including the wait
  // for a connection while the client is reconnecting. Default: 30 s.
  absl::Duration request_timeout = absl::Seconds(30);
  // A published message not acknowledged this long after it was batched
  // fails with kDeadlineExceeded (it may still be stored: the client goes
  // on sending its batch until the broker answers). Default: 2 min.
  absl::Duration publish_timeout = absl::Minutes(2);
  // A connection with a request waiting this long while nothing at all came
  // from the broker is given up and made again (a broker that is stopped,
  // or a network that drops everything, keeps TCP up). With the keepalive
  // below, an idle connection is checked too. Zero disables. Default: 15 s.
  absl::Duration response_timeout = absl::Seconds(15);
  // Reconnecting: a lost connection is followed by rounds of attempts (each
  // tries every server once, the last one that worked first), the first
  // after reconnect_backoff_initial, each next one after twice as long up
  // to reconnect_backoff_max; every delay is drawn at random from its upper
  // half (jitter). It goes on until Close. Default: 100 ms and 5 s.
  absl::Duration reconnect_backoff_initial = absl::Milliseconds(100);
  absl::Duration reconnect_backoff_max = absl::Seconds(5);
  // Called on the I/O thread when the connection is lost (with why; the
  // client is reconnecting) and when it is made again (publishes were sent
  // again and subscriptions asked to resume). Default: none.
  std::function<void(absl::Status)> on_disconnect;
  std::function<void()> on_reconnect;
  // How long a publish batch waits for more messages before it is sent.
  // Zero sends each publish at once from the calling thread (lowest
  // latency, one frame per message). Default: 1 ms.
  absl::Duration linger = absl::Milliseconds(1);
  // A batch is sent as soon as it holds this many bytes. Default: 256 KiB.
  size_t batch_max_bytes = 256 * 1024;
  // Publish blocks while this many bytes are sent but not yet acknowledged
  // (back-pressure). Default: 32 MiB.
  size_t max_in_flight_bytes = size_t{32} << 20;
  // When the client has sent nothing for this long it sends a Ping, so that
  // the broker's idle timeout (chorusd --idle-timeout, 5 min by default)
  // does not close a quiet connection, such as a subscriber's waiting for
  // messages. Zero disables. Default: 30 s.
  absl::Duration keepalive_interval = absl::Seconds(30);
};

struct SubscribeOptions {
  // Where a new subscription starts; a named subscription resumes from its
  // stored position instead. Default: latest.
  StartPosition start;
  // A name makes the subscription durable: the broker keeps its position
  // across disconnects and restarts, and subscribing again with the name
  // resumes after the last acknowledged message. Default: none.
  std::string name;
  // With a name: several clients subscribing with it share the messages,
  // each going to one of them (one key to one member while it lives).
  // Needs kAuto or kExplicit acks. Default: false.
  bool group = false;
  // Default: kNone.
  AckMode ack = AckMode::kNone;
  // An unacked message is delivered again after this long. Default: zero,
  // meaning the broker's 30 s.
  absl::Duration ack_wait = absl::ZeroDuration();
  // After this many deliveries an unacked message goes to the dead-letter
  // topic. Default: 0, unlimited.
  uint32_t max_deliveries = 0;
  // Default: empty, meaning "<topic>.dead-letter".
  std::string dead_letter_topic;
  // Only messages published by this client identity. Default: all.
  std::string from_publisher;
  // Start kSnapshot: called on the I/O thread once a partition's snapshot
  // has been delivered. Default: none.
  std::function<void(std::string_view topic, uint32_t partition)>
      on_snapshot_end;
  // Credit kept granted to the broker; refilled as the handler consumes.
  // Default: 1000 messages and 4 MiB.
  uint64_t credit_messages = 1000;
  uint64_t credit_bytes = size_t{4} << 20;
  // Called once if the subscription ends because it cannot go on: the
  // broker ended it (kDataLoss: its log is damaged), or refused to resume
  // it after a reconnect (say kFailedPrecondition: its durable name was
  // deleted and made again for another filter). Not called for Unsubscribe
  // or Close, nor for a lost connection, after which the subscription
  // resumes by itself. Default: none.
  std::function<void(absl::Status)> on_error;
};

struct TopicConfig {
  uint32_t partitions = 1;
  // A status topic keeps the last value of every key beyond its retention
  // window and serves it as a snapshot. Default: false.
  bool status = false;
  // Zero means unlimited for each retention limit.
  absl::Duration retention_age = absl::ZeroDuration();
  uint64_t retention_bytes = 0;
  uint64_t retention_messages = 0;
};

struct PartitionInfo {
  uint32_t partition = 0;
  uint64_t start_offset = 0;
  uint64_t next_offset = 0;
  uint64_t bytes = 0;
};

struct TopicInfo {
  std::string name;
  TopicConfig config;
  std::vector<PartitionInfo> partitions;
};

// A broker of the cluster.
struct BrokerInfo {
  std::string node_id;
  std::string address;  // HOST:PORT clients reach it at
  std::string rack;
  bool alive = false;
  // Partitions it holds a replica of, and those of them it leads.
  uint32_t partitions = 0;
  uint32_t leaders = 0;
};

// The cluster the client talks to. A single node describes itself as a
// cluster of one, with an empty name and itself as the controller.
struct ClusterInfo {
  std::string cluster;
  std::vector<BrokerInfo> brokers;  // ordered by node id
  std::string controller;           // node id; empty while there is none
  uint64_t controller_epoch = 0;
};

// Where a named subscription stands in one partition.
struct SubscriptionPartitionInfo {
  std::string topic;
  uint32_t partition = 0;
  uint64_t position = 0;  // first offset not yet acknowledged
  uint64_t head = 0;      // the partition's next offset
  uint64_t lag = 0;       // messages from position to head
  uint64_t pending = 0;   // delivered, awaiting an ack
};

struct SubscriptionInfo {
  std::string name;
  std::string filter;
  bool group = false;
  AckMode ack = AckMode::kNone;
  std::string from_publisher;
  uint32_t members = 0;  // clients subscribed now
  uint64_t lag = 0;
  uint64_t dead_lettered = 0;  // since the broker started
  std::vector<SubscriptionPartitionInfo> partitions;
};

class Client;

// A live subscription. Destroying it unsubscribes. Thread-safe.
//
// Acks belong to the connection the messages came on: acks not yet sent
// when it breaks are dropped, and the broker delivers what they covered
// again (delivery_count above 1). A named subscription therefore resumes
// at least once — a message whose ack the broker had not stored comes
// again — while an unnamed one without acks resumes exactly where it was.
class Subscription {
 public:
  virtual ~Subscription() = default;
  // Stops deliveries; after it returns the handler is not called again
  // (unless called from the handler itself, where the current call finishes).
  virtual absl::Status Unsubscribe() = 0;
  // kExplicit: `message` is done. Acks are gathered and sent in batches
  // (after each delivery on the I/O thread, else at once in the
  // background). kFailedPrecondition for subscriptions without acks.
  virtual absl::Status Ack(const ReceivedMessage& message) = 0;
  // kExplicit: every message delivered to this client on `message`'s
  // partition, up to and including it, is done.
  virtual absl::Status AckThrough(const ReceivedMessage& message) = 0;
  // Asks for `message` to be delivered again now (to this or, in a group,
  // another member).
  virtual absl::Status Nack(const ReceivedMessage& message) = 0;
  // Sends the acks gathered so far and waits until the broker has stored
  // the positions they move (request_timeout at most). kUnavailable while
  // disconnected, or if the connection breaks first.
  virtual absl::Status FlushAcks() = 0;
};

class Client {
 public:
  using PublishCallback = std::function<void(absl::StatusOr<PublishResult>)>;
  using MessageHandler = std::function<void(const ReceivedMessage&)>;

  // Connects to `servers` ("HOST:PORT", or several: "a:7400,b:7400", tried
  // in order until one answers) and completes the handshake. Only this
  // first connection is not retried: later losses are (see ClientOptions).
  // Errors: kInvalidArgument (malformed address), kUnavailable (cannot
  // connect), kDeadlineExceeded (timeout), or the broker's refusal
  // (kUnauthenticated, kFailedPrecondition...); with several servers, the
  // last one's code and every server's message.
  static absl::StatusOr<std::unique_ptr<Client>> Connect(
      std::string_view servers, ClientOptions options = {});

  // Closes the connection (see Close).
  virtual ~Client() = default;

  // Queues `message` for `topic`: the client places it in a partition (by
  // the key's hash, or without a key in turn per batch) from the topic's
  // metadata, which it fetches first (creating the topic if the broker
  // auto-creates topics). `done` runs once, on the client's I/O thread, with
  // where it was stored, or an error: the broker's (say kInvalidArgument
  // for an illegal topic, kNotFound when auto-creation is off),
  // kDeadlineExceeded when it was not acknowledged within publish_timeout,
  // or kUnavailable ("client closed") when the client closed first. A lost
  // connection fails nothing: the batch is sent again, and stored once.
  // Blocks while max_in_flight_bytes are unacknowledged (except on the I/O
  // thread, which never blocks), at most request_timeout: then `done` gets
  // kDeadlineExceeded. A publish refused at once (kUnavailable: client
  // closed; kResourceExhausted: message over the broker's
  // max_message_bytes; kInvalidArgument: message larger than a frame) runs
  // `done` inside this call, on the caller's thread.
  virtual void Publish(std::string_view topic, Message message,
                       PublishCallback done) = 0;
  std::future<absl::StatusOr<PublishResult>> Publish(std::string_view topic,
                                                     Message message);
  // Publishes and waits for the acknowledgement (at most request_timeout:
  // kDeadlineExceeded). kFailedPrecondition on the I/O thread, which cannot
  // wait for its own work.
  absl::StatusOr<PublishResult> PublishAndWait(std::string_view topic,
                                               Message message);
  // Sends queued batches now and waits until every publish made before the
  // call has completed. Returns the first error among them, if any;
  // kDeadlineExceeded if they are not all done within request_timeout.
  virtual absl::Status Flush() = 0;

  // Starts a subscription and waits for the broker to accept it. `handler`
  // runs on the client's I/O thread, in partition order, once per message;
  // keep it short or hand the work off. It may run before Subscribe returns.
  // After a lost connection the subscription resumes by itself (see
  // SubscribeOptions::on_error).
  // Errors: kInvalidArgument (bad filter, zero credit), kUnavailable (not
  // connected within request_timeout, or the connection broke before the
  // answer), kDeadlineExceeded (no answer within request_timeout).
  // Subscribe, Flush, the topic calls and Ping wait for the broker; called
  // on the I/O thread (from a handler or callback) they return
  // kFailedPrecondition instead of deadlocking.
  virtual absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(
      std::string_view filter, SubscribeOptions options,
      MessageHandler handler) = 0;

  // Topic administration; each waits for the broker's answer (and, while
  // the client is reconnecting, for the connection first).
  // Errors: kInvalidArgument, kAlreadyExists, kNotFound, kUnavailable (not
  // connected within request_timeout; or the connection broke before the
  // answer: the broker may or may not have done it), kDeadlineExceeded (no
  // answer within request_timeout).
  virtual absl::StatusOr<TopicInfo> CreateTopic(std::string_view name,
                                                const TopicConfig& config) = 0;
  virtual absl::StatusOr<TopicInfo> DescribeTopic(std::string_view name) = 0;
  virtual absl::StatusOr<std::vector<TopicInfo>> ListTopics() = 0;
  virtual absl::Status DeleteTopic(std::string_view name) = 0;

  // The brokers (with the partitions each holds and leads) and the
  // controller, as the broker the client is connected to knows them. Errors as
  // for the topic calls.
  virtual absl::StatusOr<ClusterInfo> DescribeCluster() = 0;

  // Named subscriptions. Errors as for the topic calls; DeleteSubscription
  // gives kFailedPrecondition while clients are subscribed under the name.
  virtual absl::StatusOr<std::vector<SubscriptionInfo>> ListSubscriptions() = 0;
  virtual absl::StatusOr<SubscriptionInfo> DescribeSubscription(
      std::string_view name) = 0;
  virtual absl::Status DeleteSubscription(std::string_view name) = 0;

  // Leases for status keys (Message::lease_id). The lease runs out `ttl`
  // after it was granted or last kept alive; KeepAlive of a lease that ran
  // out is kNotFound. RevokeLease ends it now. Leases live in the broker's
  // memory: a broker restart ends them (KeepAlive: kNotFound), and keys
  // bound to a connection (Message::bind) go stale when it is lost — after
  // a reconnect, publish them again to bind them to the new one.
  virtual absl::StatusOr<uint64_t> GrantLease(absl::Duration ttl) = 0;
  virtual absl::Status KeepAlive(uint64_t lease_id) = 0;
  virtual absl::Status RevokeLease(uint64_t lease_id) = 0;

  // Round trip to the broker.
  virtual absl::Status Ping() = 0;

  // Sends what is queued and waits (request_timeout at most) for its acks,
  // then fails what is still unacknowledged and calls still in flight with
  // kUnavailable ("client closed"), ends subscriptions without on_error,
  // stops reconnecting and joins the I/O thread. Idempotent.
  virtual void Close() = 0;

 protected:
  // Hooks of the non-virtual conveniences above; the defaults suit a client
  // (a test fake, say) whose callbacks never run on the waiting thread.
  // How long PublishAndWait waits. Default: 30 s.
  virtual absl::Duration WaitLimit() const { return absl::Seconds(30); }
  // True on the thread that runs callbacks and handlers, where waiting for
  // an acknowledgement would deadlock.
  virtual bool OnCallbackThread() const { return false; }
};

}  // namespace chorus

#endif  // CHORUS_CLIENT_CLIENT_H_
