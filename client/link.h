// client_internal::Link: the client's way to one broker, kept up by itself.
// It holds one Connection at a time and, when that breaks, makes a new one
// with exponential backoff and jitter (ClientOptions::reconnect_backoff_*),
// trying its servers in order, the last one that worked first.
//
// Requests go on the current connection; while there is none they fail at
// once with kUnavailable, and callers that may wait use WaitConnected. The
// observer hears of every connection made and lost, so that the publisher
// and the subscriptions can carry their work over to the next one.
//
//   Link link(&io, {"a:7400", "b:7400"}, options, &observer);
//   CHORUS_RETURN_IF_ERROR(link.Connect());     // the first connection
//   link.Request(&frame, [](absl::StatusOr<wire::Frame> r) { ... });
//   link.Shutdown(absl::UnavailableError("client closed"));
//
// A client that talks to several brokers has one Link per broker.
#ifndef CHORUS_CLIENT_LINK_H_
#define CHORUS_CLIENT_LINK_H_

#include <asio.hpp>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/client.h"
#include "client/connection.h"
#include "client/io_thread.h"
#include "proto/protocol.pb.h"

namespace chorus::client_internal {

// The link's events; every call runs on the I/O thread.
class LinkObserver {
 public:
  virtual ~LinkObserver() = default;
  // A push from the current connection (see ConnectionObserver::OnPush).
  virtual void OnPush(wire::Frame& frame) = 0;
  // A connection is up: the first one (during Connect) or a new one after a
  // loss. Requests of the previous one have all been answered or failed.
  virtual void OnConnected() = 0;
  // The current connection broke (its requests failed with `status`); the
  // link is reconnecting. Not called after Shutdown.
  virtual void OnDisconnected(const absl::Status& status) = 0;
};

// Thread-safe. Connect is called once, first, off the I/O thread. The owner
// calls Shutdown and stops the I/O thread before destroying it.
class Link : public ConnectionObserver {
 public:
  Link(IoThread* io, std::vector<std::string> servers,
       const ClientOptions& options, LinkObserver* observer);
  ~Link() override;

  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  // Tries the servers in order until one completes the handshake (no
  // backoff: an unreachable broker at start is the caller's to hear of).
  // Errors: those of the last server tried (see Connection::Start); with
  // several servers the message names every failure.
  absl::Status Connect();

  // As Connection::Request and Send, on the current connection:
  // kUnavailable while there is none.
  absl::StatusOr<uint64_t> Request(wire::Frame* request,
                                   Connection::ResponseHandler handler);
  absl::Status Send(const wire::Frame& frame);
  void Abandon(uint64_t correlation_id);

  // Waits until a connection is up or `deadline` passes; false then, or
  // once shut down. Must not be called on the I/O thread.
  bool WaitConnected(absl::Time deadline);
  // OK while connected; else why not (the last failure, "client closed").
  absl::Status status() const;

  // Stops reconnecting and shuts the current connection down with `status`
  // (its requests fail with it). Idempotent; non-blocking.
  void Shutdown(absl::Status status);

  // The server of the current (or last) connection.
  std::string server() const;
  // The broker's limits from its Welcome (the last connection's).
  size_t max_frame_bytes() const;
  size_t max_message_bytes() const;

  // ConnectionObserver (I/O thread).
  void OnPush(Connection& from, wire::Frame& frame) override;
  void OnConnectionLost(Connection& from, const absl::Status& status) override;

 private:
  // Tries servers_[start..] in order, one after the other; `done` gets the
  // first success or every failure. I/O thread.
  void TryServers(size_t index, size_t tried, std::string failures,
                  absl::AnyInvocable<void(absl::Status) &&> done);
  // Becomes the current connection. I/O thread.
  void Adopt(std::shared_ptr<Connection> connection, size_t server_index);
  // A round after a loss, after the backoff delay. I/O thread.
  void ScheduleReconnect();
  absl::Duration NextBackoff() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  IoThread* const io_;
  const std::vector<std::string> servers_;
  const ClientOptions options_;
  LinkObserver* const observer_;
  // Correlation ids, unique across this link's connections.
  std::atomic<uint64_t> ids_{1};
  asio::steady_timer backoff_timer_;  // I/O thread

  mutable std::mutex mu_;
  std::condition_variable connected_cv_;
  std::shared_ptr<Connection> current_ ABSL_GUARDED_BY(mu_);
  absl::Status status_ ABSL_GUARDED_BY(mu_) =
      absl::UnavailableError("not connected yet");
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  size_t preferred_ ABSL_GUARDED_BY(mu_) = 0;  // the server that last worked
  std::string server_ ABSL_GUARDED_BY(mu_);
  size_t max_frame_bytes_ ABSL_GUARDED_BY(mu_) = proto::kDefaultMaxFrameBytes;
  size_t max_message_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // Consecutive failed rounds, and when the current connection came up.
  int failed_rounds_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time connected_at_ ABSL_GUARDED_BY(mu_);
  std::mt19937_64 random_ ABSL_GUARDED_BY(mu_);
};

// Splits "a:1,b:2" into its servers, checking each (SplitHostPort).
// Errors: kInvalidArgument for an empty list or a malformed address.
absl::StatusOr<std::vector<std::string>> ParseServerList(std::string_view list);

}  // namespace chorus::client_internal

#endif  // CHORUS_CLIENT_LINK_H_
