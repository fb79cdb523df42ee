#include "client/connection.h"

#include <sys/socket.h>

#include <algorithm>
#include <asio/experimental/as_tuple.hpp>
#include <exception>
#include <memory>
#include <mutex>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/string_views.h"
#include "common/system_status.h"
#include "proto/wire_status.h"

namespace chorus::client_internal {
namespace {

constexpr auto kAsTuple = asio::experimental::as_tuple(asio::use_awaitable);
constexpr size_t kReadChunkBytes = 64 * 1024;
// Deliveries carry whole stored batches plus a small header, so they may be
// somewhat larger than what the broker accepts from a publisher.
constexpr size_t kMaxIncomingFrameBytes = 64 * 1024 * 1024;
// An idle write buffer bigger than this is released instead of kept.
constexpr size_t kMaxRetainedWriteBufferBytes = 1024 * 1024;

std::string DescribeException(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

// The payload that marks a status as EndedWithConnection.
constexpr absl::string_view kConnectionEnded = "chorus.connection-ended";

absl::Status MarkedEnded(absl::Status status) {
  status.SetPayload(kConnectionEnded, absl::Cord());
  return status;
}

}  // namespace

bool EndedWithConnection(const absl::Status& status) {
  return !status.ok() && status.GetPayload(kConnectionEnded).has_value();
}

absl::Status SplitHostPort(std::string_view server, std::string* host,
                           std::string* port) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad server address \"", AsAbsl(server),
                     "\": ", AsAbsl(why), " (expected HOST:PORT)"));
  };
  std::string_view host_part;
  std::string_view port_part;
  if (!server.empty() && server.front() == '[') {
    const size_t close = server.find(']');
    if (close == std::string_view::npos) return bad("unclosed '['");
    host_part = server.substr(1, close - 1);
    std::string_view rest = server.substr(close + 1);
    if (rest.empty() || rest.front() != ':') return bad("no port");
    port_part = rest.substr(1);
  } else {
    const size_t colon = server.rfind(':');
    if (colon == std::string_view::npos) return bad("no port");
    host_part = server.substr(0, colon);
    port_part = server.substr(colon + 1);
    if (host_part.find(':') != std::string_view::npos) {
      return bad("an IPv6 address needs brackets");
    }
  }
  if (host_part.empty()) return bad("no host");
  uint32_t port_number = 0;
  if (port_part.empty() ||
      !std::all_of(port_part.begin(), port_part.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(AsAbsl(port_part), &port_number) || port_number == 0 ||
      port_number > 65535) {
    return bad("the port must be a number in 1..65535");
  }
  *host = std::string(host_part);
  *port = std::string(port_part);
  return absl::OkStatus();
}

Connection::Connection(asio::io_context& io, std::string_view server,
                       const ClientOptions& options, std::atomic<uint64_t>* ids,
                       ConnectionObserver* observer)
    : server_(server),
      options_(options),
      ids_(ids),
      observer_(observer),
      resolver_(io),
      socket_(io),
      handshake_timer_(io),
      decoder_(kMaxIncomingFrameBytes),
      keepalive_timer_(io),
      liveness_timer_(io) {}

Connection::~Connection() = default;

void Connection::Start(absl::AnyInvocable<void(absl::Status) &&> done) {
  if (absl::Status split = SplitHostPort(server_, &host_, &port_);
      !split.ok()) {
    asio::post(
        socket_.get_executor(),
        [done = std::move(done), split]() mutable { std::move(done)(split); });
    return;
  }
  std::shared_ptr<Connection> self = shared_from_this();
  asio::co_spawn(
      socket_.get_executor(), Handshake(self),
      [self, done = std::move(done)](std::exception_ptr e,
                                     absl::Status status) mutable {
        if (e) {
          status = absl::InternalError(absl::StrCat(
              "connect ", self->server_, ": ", DescribeException(e)));
        }
        if (status.ok()) {
          std::lock_guard<std::mutex> lock(self->mu_);
          if (self->ended_) {
            status = self->status_;  // shut down meanwhile
          } else {
            self->status_ = absl::OkStatus();
          }
        }
        if (!status.ok()) {
          self->Shutdown(status);
          std::move(done)(status);
          return;
        }
        self->last_received_ = absl::Now();
        self->ScheduleKeepalive();
        self->ScheduleLivenessCheck();
        asio::co_spawn(self->socket_.get_executor(), self->ReadLoop(self),
                       [self](std::exception_ptr e) {
                         if (!e) return;
                         Log(LogLevel::kError, "client",
                             absl::StrCat("read loop of ", self->server_,
                                          " ended by an exception: ",
                                          DescribeException(e)));
                         self->Fail(absl::InternalError(
                             absl::StrCat("connection to ", self->server_,
                                          " lost: ", DescribeException(e))));
                       });
        std::move(done)(absl::OkStatus());
      });
}

asio::awaitable<absl::Status> Connection::Handshake(
    [[maybe_unused]] std::shared_ptr<Connection> self) {
  const std::string context = absl::StrCat("connect ", server_);
  handshake_timer_.expires_after(
      absl::ToChronoNanoseconds(options_.connect_timeout));
  handshake_timer_.async_wait([this, self](std::error_code ec) {
    if (ec || handshake_finished_) return;
    handshake_timed_out_ = true;
    resolver_.cancel();
    std::error_code ignored;
    socket_.close(ignored);
  });
  auto timed_out = [&] {
    return absl::DeadlineExceededError(
        absl::StrCat(context, ": timed out after ",
                     absl::FormatDuration(options_.connect_timeout)));
  };

  auto [resolve_ec, endpoints] =
      co_await resolver_.async_resolve(host_, port_, kAsTuple);
  if (handshake_timed_out_) co_return timed_out();
  if (resolve_ec) {
    co_return StatusFromErrorCode(resolve_ec, absl::StrCat("resolve ", host_));
  }
  auto [connect_ec, endpoint] =
      co_await asio::async_connect(socket_, endpoints, kAsTuple);
  if (handshake_timed_out_) co_return timed_out();
  if (connect_ec) co_return StatusFromErrorCode(connect_ec, context);
  std::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);

  wire::Frame hello;
  hello.set_correlation_id(ids_->fetch_add(1));
  hello.mutable_hello()->set_protocol_version(proto::kProtocolVersion);
  hello.mutable_hello()->set_client_name(options_.client_name);
  hello.mutable_hello()->set_auth_token(options_.auth_token);
  hello.mutable_hello()->set_watch_metadata(true);
  const std::string hello_bytes = proto::EncodeFrame(hello);
  auto [write_ec, written] =
      co_await asio::async_write(socket_, asio::buffer(hello_bytes), kAsTuple);
  if (handshake_timed_out_) co_return timed_out();
  if (write_ec) co_return StatusFromErrorCode(write_ec, context);

  wire::Frame reply;
  while (true) {
    absl::StatusOr<bool> got = decoder_.Next(&reply);
    if (!got.ok()) {
      co_return absl::UnavailableError(absl::StrCat(
          context, ": bad handshake reply: ", got.status().message()));
    }
    if (*got) break;
    std::span<char> space = decoder_.PrepareBuffer(kReadChunkBytes);
    auto [read_ec, n] = co_await socket_.async_read_some(
        asio::buffer(space.data(), space.size()), kAsTuple);
    if (handshake_timed_out_) co_return timed_out();
    if (read_ec) {
      co_return absl::UnavailableError(
          absl::StrCat(context, ": connection closed during the handshake (",
                       read_ec.message(), ")"));
    }
    decoder_.Commit(n);
  }
  // From here on the timer must not close the socket, even if it already
  // expired and its handler is queued.
  handshake_finished_ = true;
  handshake_timer_.cancel();
  co_return HandshakeResult(reply);
}

absl::Status Connection::HandshakeResult(const wire::Frame& frame) {
  if (frame.has_error()) {
    const absl::Status refusal = proto::StatusFromWire(frame.error());
    return absl::Status(
        refusal.ok() ? absl::StatusCode::kUnknown : refusal.code(),
        absl::StrCat("broker ", server_,
                     " refused the connection: ", refusal.message()));
  }
  if (!frame.has_welcome()) {
    return absl::UnavailableError(
        absl::StrCat("connect ", server_, ": expected Welcome, got frame body ",
                     static_cast<int>(frame.body_case())));
  }
  const wire::Welcome& welcome = frame.welcome();
  if (welcome.protocol_version() != proto::kProtocolVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "broker ", server_, " speaks protocol version ",
        welcome.protocol_version(), ", this client ", proto::kProtocolVersion));
  }
  // Written before the connection is usable, read only after.
  max_frame_bytes_ = welcome.max_frame_bytes() > 0
                         ? welcome.max_frame_bytes()
                         : proto::kDefaultMaxFrameBytes;
  max_message_bytes_ = welcome.max_message_bytes();
  Log(LogLevel::kDebug, "client",
      absl::StrCat("connected to ", server_, " (node ", welcome.node_id(),
                   ", version ", welcome.server_version(), ")"));
  return absl::OkStatus();
}

asio::awaitable<void> Connection::ReadLoop(
    [[maybe_unused]] std::shared_ptr<Connection> self) {
  wire::Frame frame;
  while (true) {
    std::span<char> space = decoder_.PrepareBuffer(kReadChunkBytes);
    auto [ec, n] = co_await socket_.async_read_some(
        asio::buffer(space.data(), space.size()), kAsTuple);
    if (ec) {
      Fail(LostStatus(ec));  // a no-op after Shutdown
      co_return;
    }
    last_received_ = absl::Now();
    decoder_.Commit(n);
    while (true) {
      absl::StatusOr<bool> got = decoder_.Next(&frame);
      if (!got.ok()) {
        Fail(absl::UnavailableError(absl::StrCat(
            "connection to ", server_, " lost: ", got.status().message())));
        co_return;
      }
      if (!*got) break;
      Dispatch(frame);
      if (!socket_.is_open()) co_return;  // failed or shut down meanwhile
    }
  }
}

void Connection::Dispatch(wire::Frame& frame) {
  const uint64_t id = frame.correlation_id();
  if (id == 0) {
    if (frame.has_error()) {
      const absl::Status error = proto::StatusFromWire(frame.error());
      Fail(absl::Status(
          error.ok() ? absl::StatusCode::kUnavailable : error.code(),
          absl::StrCat("connection to ", server_,
                       " closed by the broker: ", error.message())));
    } else {
      observer_->OnPush(*this, frame);
    }
    return;
  }
  ResponseHandler handler;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pending_.find(id);
    if (it == pending_.end()) return;  // abandoned after a timeout
    handler = std::move(it->second.handler);
    pending_.erase(it);
  }
  if (frame.has_error()) {
    absl::Status error = proto::StatusFromWire(frame.error());
    if (error.ok()) error = absl::UnknownError("error response without a code");
    std::move(handler)(std::move(error));
  } else {
    std::move(handler)(std::move(frame));
  }
}

absl::StatusOr<uint64_t> Connection::Request(wire::Frame* request,
                                             ResponseHandler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!status_.ok()) return status_;
  const uint64_t id = ids_->fetch_add(1);
  request->set_correlation_id(id);
  const size_t size = request->ByteSizeLong();
  if (size > max_frame_bytes_) {
    return absl::InvalidArgumentError(
        absl::StrCat("request of ", size,
                     " bytes is over the broker's frame "
                     "limit of ",
                     max_frame_bytes_, " bytes"));
  }
  pending_.emplace(id, Pending{std::move(handler), absl::Now()});
  proto::AppendFrame(*request, &outbound_);
  ScheduleWriteLocked();
  return id;
}

absl::Status Connection::Send(const wire::Frame& frame) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!status_.ok()) return status_;
  proto::AppendFrame(frame, &outbound_);
  ScheduleWriteLocked();
  return absl::OkStatus();
}

void Connection::Abandon(uint64_t correlation_id) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.erase(correlation_id);
}

void Connection::ScheduleWriteLocked() {
  if (write_scheduled_ || outbound_.empty()) return;
  // No write in progress: send from this thread at once, as far as the
  // socket takes it without blocking. A lone publish (linger 0) or credit
  // then skips the hop to the I/O thread; whatever remains, or an error, is
  // left to WriteNext there. The descriptor stays open while status_ is OK:
  // Fail and Shutdown change status_ under mu_ before closing it.
  const ssize_t sent = ::send(socket_.native_handle(), outbound_.data(),
                              outbound_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  if (sent > 0) outbound_.erase(0, static_cast<size_t>(sent));
  if (outbound_.empty()) return;
  write_scheduled_ = true;
  asio::post(socket_.get_executor(),
             [self = shared_from_this()] { self->WriteNext(); });
}

void Connection::ScheduleKeepalive() {
  if (options_.keepalive_interval <= absl::ZeroDuration()) return;
  keepalive_timer_.expires_after(
      absl::ToChronoNanoseconds(options_.keepalive_interval));
  keepalive_timer_.async_wait([self = shared_from_this()](std::error_code ec) {
    if (ec) return;
    if (!self->wrote_since_keepalive_) {
      wire::Frame ping;
      ping.mutable_ping();
      // The Pong only proves the link; a broken one fails every request
      // through Fail, and then this returns kUnavailable and stops.
      if (!self->Request(&ping, [](absl::StatusOr<wire::Frame>) {}).ok()) {
        return;
      }
    }
    self->wrote_since_keepalive_ = false;
    self->ScheduleKeepalive();
  });
}

void Connection::ScheduleLivenessCheck() {
  if (options_.response_timeout <= absl::ZeroDuration()) return;
  liveness_timer_.expires_after(absl::ToChronoNanoseconds(
      std::clamp(options_.response_timeout / 4, absl::Milliseconds(10),
                 absl::Seconds(1))));
  liveness_timer_.async_wait([self = shared_from_this()](std::error_code ec) {
    if (ec) return;
    const absl::Time now = absl::Now();
    const absl::Duration limit = self->options_.response_timeout;
    bool waiting = false;
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      if (!self->status_.ok()) return;
      waiting = !self->pending_.empty() &&
                now - self->pending_.begin()->second.sent_at > limit;
    }
    if (waiting && now - self->last_received_ > limit) {
      // A broker that is stopped (or a network that drops everything)
      // keeps the TCP connection up; only silence tells.
      self->Fail(absl::UnavailableError(absl::StrCat(
          "connection to ", self->server_, " lost: nothing received for ",
          absl::FormatDuration(limit), " with requests waiting")));
      return;
    }
    self->ScheduleLivenessCheck();
  });
}

void Connection::WriteNext() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!status_.ok() || outbound_.empty()) {
      write_scheduled_ = false;
      if (writing_.capacity() > kMaxRetainedWriteBufferBytes) {
        std::string().swap(writing_);
      }
      return;
    }
    writing_.swap(outbound_);
    outbound_.clear();
  }
  wrote_since_keepalive_ = true;
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this()](std::error_code ec, size_t) {
                      if (ec) {
                        self->Fail(self->LostStatus(ec));
                        std::lock_guard<std::mutex> lock(self->mu_);
                        self->write_scheduled_ = false;
                        return;
                      }
                      self->WriteNext();
                    });
}

absl::Status Connection::LostStatus(const std::error_code& ec) const {
  return absl::UnavailableError(
      absl::StrCat("connection to ", server_, " lost: ", ec.message()));
}

void Connection::Fail(absl::Status status) {
  absl::btree_map<uint64_t, Pending> pending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_) return;  // already failed or shut down
    ended_ = true;
    status_ = status.code() == absl::StatusCode::kUnavailable
                  ? status
                  : absl::UnavailableError(status.message());
    pending.swap(pending_);
    outbound_.clear();
  }
  Log(LogLevel::kDebug, "client", status.ToString());
  std::error_code ignored;
  socket_.close(ignored);
  keepalive_timer_.cancel();
  liveness_timer_.cancel();
  const absl::Status ended = MarkedEnded(status);
  for (auto& [id, request] : pending) std::move(request.handler)(ended);
  observer_->OnConnectionLost(*this, status);
}

void Connection::Shutdown(absl::Status status) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_) return;
    ended_ = true;
    status_ = status;
  }
  asio::post(socket_.get_executor(),
             [self = shared_from_this(), status = std::move(status)] {
               absl::btree_map<uint64_t, Pending> pending;
               {
                 std::lock_guard<std::mutex> lock(self->mu_);
                 pending.swap(self->pending_);
                 self->outbound_.clear();
               }
               self->handshake_finished_ = true;
               self->handshake_timer_.cancel();
               self->keepalive_timer_.cancel();
               self->liveness_timer_.cancel();
               self->resolver_.cancel();
               std::error_code ignored;
               self->socket_.close(ignored);
               const absl::Status ended = MarkedEnded(status);
               for (auto& [id, request] : pending)
                 std::move(request.handler)(ended);
             });
}

}  // namespace chorus::client_internal
