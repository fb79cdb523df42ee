// client_internal::Connection: one framed TCP connection to a broker, from
// its handshake to its end. It is never reconnected: a Link makes a new one.
//
// It connects and does the Hello/Welcome handshake, pipelines requests
// (routing each response to its handler by correlation id), hands pushes to
// an observer, pings while idle, and fails everything in flight when it
// breaks — including when the broker stops answering (response_timeout):
//
//   auto connection = std::make_shared<Connection>(io, "127.0.0.1:7400",
//                                                  options, &ids, &observer);
//   connection->Start([](absl::Status s) { /* on the I/O thread */ });
//   wire::Frame ping;
//   ping.mutable_ping();
//   connection->Request(&ping, [](absl::StatusOr<wire::Frame> pong) { ... });
//   connection->Shutdown(absl::UnavailableError("client closed"));
#ifndef CHORUS_CLIENT_CONNECTION_H_
#define CHORUS_CLIENT_CONNECTION_H_

#include <asio.hpp>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "proto/frame_codec.h"
#include "proto/protocol.pb.h"

namespace chorus::client_internal {

class Connection;

// What a connection cannot route to a request. Both calls run on the I/O
// thread.
class ConnectionObserver {
 public:
  virtual ~ConnectionObserver() = default;
  // A push (correlation id 0, not an error): Deliver, SnapshotEnd,
  // MetadataChanged, SubscriptionEnded. The frame may be consumed.
  virtual void OnPush(Connection& from, wire::Frame& frame) = 0;
  // `from` broke after its handshake; every pending request has already
  // been failed with `status` (kUnavailable). Not called after Shutdown.
  virtual void OnConnectionLost(Connection& from,
                                const absl::Status& status) = 0;
};

// Thread-safe, except Start (call once). Response handlers and observer
// calls run on the I/O thread of `io`, which must outlive the connection's
// use; handlers keep it alive while they are queued.
//
// Writes: frames are appended to one outbound buffer under the mutex and
// written straight from the calling thread (non-blocking send) when no
// write is in progress; else one async_write at a time takes the whole
// buffer, so frames queued meanwhile go out together in the next one.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using ResponseHandler =
      absl::AnyInvocable<void(absl::StatusOr<wire::Frame>) &&>;

  // `server` is "HOST:PORT" ("[::1]:7400" for IPv6 literals), checked by
  // SplitHostPort. Correlation ids come from `ids`, shared by every
  // connection of a link so that no id is ever reused.
  Connection(asio::io_context& io, std::string_view server,
             const ClientOptions& options, std::atomic<uint64_t>* ids,
             ConnectionObserver* observer);
  ~Connection();

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects and completes the handshake within connect_timeout; `done`
  // runs once on the I/O thread. Errors: kInvalidArgument (malformed
  // address), kUnavailable ("connect HOST:PORT: Connection refused"),
  // kDeadlineExceeded, or the broker's refusal of the Hello. After an error
  // the connection is unusable.
  void Start(absl::AnyInvocable<void(absl::Status) &&> done);

  // Sends `request` with a fresh correlation id (written into it) and
  // returns that id; `handler` runs once on the I/O thread with the response
  // (an `error` response arrives as its status) or with the status that
  // ended the connection. Errors (handler not called, not kept): kUnavailable
  // when the connection is not up; kInvalidArgument for a request over the
  // broker's frame limit.
  absl::StatusOr<uint64_t> Request(wire::Frame* request,
                                   ResponseHandler handler);

  // Sends a frame that gets no response (Credit). Errors: kUnavailable.
  absl::Status Send(const wire::Frame& frame);

  // Forgets the handler of a request whose answer nobody waits for anymore
  // (timed out). Its response, if it comes, is dropped.
  void Abandon(uint64_t correlation_id);

  // Closes the socket and fails pending requests with `status` on the I/O
  // thread; later calls fail with kUnavailable. The observer is not called.
  // Idempotent; non-blocking.
  void Shutdown(absl::Status status);

  const std::string& server() const { return server_; }
  // The broker's limits from Welcome; valid once Start succeeded.
  size_t max_frame_bytes() const { return max_frame_bytes_; }
  size_t max_message_bytes() const { return max_message_bytes_; }

 private:
  struct Pending {
    ResponseHandler handler;
    absl::Time sent_at;
  };

  asio::awaitable<absl::Status> Handshake(std::shared_ptr<Connection> self);
  absl::Status HandshakeResult(const wire::Frame& frame);
  asio::awaitable<void> ReadLoop(std::shared_ptr<Connection> self);
  void Dispatch(wire::Frame& frame);
  void ScheduleWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WriteNext();
  // Pings when nothing was written for keepalive_interval. I/O thread.
  void ScheduleKeepalive();
  // Fails the connection when a request waited response_timeout with
  // nothing received. I/O thread.
  void ScheduleLivenessCheck();
  // Ends the connection after an I/O or protocol failure; `status` goes to
  // every pending request and to the observer.
  void Fail(absl::Status status);
  absl::Status LostStatus(const std::error_code& ec) const;

  const std::string server_;
  const ClientOptions options_;
  std::atomic<uint64_t>* const ids_;
  ConnectionObserver* const observer_;
  std::string host_;
  std::string port_;
  size_t max_frame_bytes_ = proto::kDefaultMaxFrameBytes;
  size_t max_message_bytes_ = 0;

  // I/O thread only.
  asio::ip::tcp::resolver resolver_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer handshake_timer_;
  bool handshake_timed_out_ = false;
  bool handshake_finished_ = false;
  proto::FrameDecoder decoder_;
  std::string writing_;  // the bytes of the async_write in progress
  asio::steady_timer keepalive_timer_;
  bool wrote_since_keepalive_ = false;
  asio::steady_timer liveness_timer_;
  absl::Time last_received_;

  std::mutex mu_;
  // Non-OK before the handshake and once broken or shut down.
  absl::Status status_ ABSL_GUARDED_BY(mu_) =
      absl::UnavailableError("not connected yet");
  bool ended_ ABSL_GUARDED_BY(mu_) = false;  // failed or shut down
  // Ordered, so that a failure completes requests in the order they were
  // made, and begin() is the oldest.
  absl::btree_map<uint64_t, Pending> pending_ ABSL_GUARDED_BY(mu_);
  std::string outbound_ ABSL_GUARDED_BY(mu_);
  bool write_scheduled_ ABSL_GUARDED_BY(mu_) = false;
};

// Whether `status` is a request's end by its connection's end (it failed,
// or was shut down) rather than the broker's answer: the broker may or may
// not have done it. Such statuses keep the code of what ended the
// connection (kUnavailable, or the broker's connection-level error).
bool EndedWithConnection(const absl::Status& status);

// Splits "HOST:PORT" (or "[V6]:PORT"). Errors: kInvalidArgument.
absl::Status SplitHostPort(std::string_view server, std::string* host,
                           std::string* port);

}  // namespace chorus::client_internal

#endif  // CHORUS_CLIENT_CONNECTION_H_
