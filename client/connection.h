// client_internal::Connection: one framed TCP connection to a broker, with
// the I/O thread that serves it.
//
// It connects and does the Hello/Welcome handshake, pipelines requests
// (routing each response to its handler by correlation id), hands pushes to
// an observer, and fails everything in flight when the connection breaks:
//
//   Connection connection("127.0.0.1:7400", options);
//   CHORUS_RETURN_IF_ERROR(connection.Connect(&observer));
//   wire::Frame ping;
//   ping.mutable_ping();
//   connection.Request(&ping, [](absl::StatusOr<wire::Frame> pong) { ... });
//   connection.Shutdown(absl::UnavailableError("client closed"));
//   connection.Join();
#ifndef CHORUS_CLIENT_CONNECTION_H_
#define CHORUS_CLIENT_CONNECTION_H_

#include <asio.hpp>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

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

// What the connection cannot route to a request. Both calls run on the I/O
// thread.
class ConnectionObserver {
 public:
  virtual ~ConnectionObserver() = default;
  // A Deliver push. The frame may be consumed (moved from).
  virtual void OnDeliver(wire::Deliver& deliver) = 0;
  // A SnapshotEnd push.
  virtual void OnSnapshotEnd(const wire::SnapshotEnd& end) = 0;
  // The connection broke; every pending request has already been failed with
  // `status`. Not called after Shutdown.
  virtual void OnConnectionLost(const absl::Status& status) = 0;
};

// Thread-safe, except Connect (call once, before anything else). Response
// handlers and observer calls run on the connection's I/O thread.
//
// Writes: frames are appended to one outbound buffer under the mutex; one
// async_write at a time takes the whole buffer, so frames queued while a
// write is in progress go out together in the next one.
class Connection {
 public:
  using ResponseHandler =
      absl::AnyInvocable<void(absl::StatusOr<wire::Frame>) &&>;

  // `server` is "HOST:PORT" ("[::1]:7400" for IPv6 literals).
  Connection(std::string_view server, const ClientOptions& options);
  // Shuts down and joins. Must not run on the I/O thread (aborts: it would
  // destroy the io_context it is running in).
  ~Connection();

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts the I/O thread, connects, and completes the handshake within
  // connect_timeout. Errors: kInvalidArgument (malformed server address),
  // kUnavailable ("connect HOST:PORT: Connection refused"),
  // kDeadlineExceeded, or the broker's refusal of the Hello. On error the
  // connection is unusable; destroy it.
  absl::Status Connect(ConnectionObserver* observer);

  // Sends `request` with a fresh correlation id (written into it) and
  // returns that id; `handler` runs once on the I/O thread with the response
  // (an `error` response arrives as its status) or with the status that
  // ended the connection. Errors (handler not called, not kept): kUnavailable
  // when the connection is already broken or shut down.
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
  // Waits for the I/O thread to finish after Shutdown. No-op on the I/O
  // thread itself (the destructor joins later).
  void Join();

  // Runs `fn` on the I/O thread.
  template <typename Fn>
  void Post(Fn&& fn) {
    asio::post(io_, std::forward<Fn>(fn));
  }
  bool OnIoThread() const;
  asio::io_context& io() { return io_; }

  const std::string& server() const { return server_; }
  // The broker's limit on a frame it receives; valid after Connect.
  size_t max_frame_bytes() const { return max_frame_bytes_; }
  // The broker's limit on one record's encoded body; 0 when it set none.
  // Valid after Connect.
  size_t max_message_bytes() const { return max_message_bytes_; }

 private:
  asio::awaitable<absl::Status> Handshake();
  absl::Status HandshakeResult(const wire::Frame& frame) const;
  asio::awaitable<void> ReadLoop();
  void Dispatch(wire::Frame& frame);
  void ScheduleWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WriteNext();
  // Pings when nothing was written for keepalive_interval. I/O thread.
  void ScheduleKeepalive();
  // Ends the connection after an I/O or protocol failure; `status` goes to
  // every pending request and to the observer.
  void Fail(absl::Status status);
  absl::Status LostStatus(const std::error_code& ec) const;
  void RunIoThread();

  const std::string server_;
  const ClientOptions options_;
  std::string host_;
  std::string port_;
  size_t max_frame_bytes_ = proto::kDefaultMaxFrameBytes;
  size_t max_message_bytes_ = 0;

  // Mutable: OnIoThread() const needs its (non-const) get_executor().
  mutable asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  // I/O thread only, after Connect starts the thread.
  asio::ip::tcp::resolver resolver_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer handshake_timer_;
  bool handshake_timed_out_ = false;
  bool handshake_finished_ = false;
  proto::FrameDecoder decoder_;
  std::string writing_;  // the bytes of the async_write in progress
  asio::steady_timer keepalive_timer_;
  bool wrote_since_keepalive_ = false;
  ConnectionObserver* observer_ = nullptr;
  std::thread thread_;

  std::mutex mu_;
  // Non-OK once broken or shut down; what new requests fail with.
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  uint64_t next_correlation_id_ ABSL_GUARDED_BY(mu_) = 1;
  // Ordered, so that a failure completes requests in the order they were made.
  absl::btree_map<uint64_t, ResponseHandler> pending_ ABSL_GUARDED_BY(mu_);
  std::string outbound_ ABSL_GUARDED_BY(mu_);
  bool write_scheduled_ ABSL_GUARDED_BY(mu_) = false;
  // The handshake is done: writes may go straight to the socket.
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
};

// Splits "HOST:PORT" (or "[V6]:PORT"). Errors: kInvalidArgument.
absl::Status SplitHostPort(std::string_view server, std::string* host,
                           std::string* port);

}  // namespace chorus::client_internal

#endif  // CHORUS_CLIENT_CONNECTION_H_
