#include "broker/broker.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "asio/experimental/as_tuple.hpp"
#include "broker/partition.h"
#include "broker/session.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/sync.h"
#include "common/system_status.h"
#include "proto/frame_codec.h"
#include "proto/wire_status.h"

namespace chorus::broker {
namespace {

// How long a refused connection may take to read its error.
constexpr auto kRefusalLinger = std::chrono::seconds(1);
// Pause before accepting again after accept failed (e.g. out of file
// descriptors), so the loop does not spin.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

// Sends `status` as a connection-level Error and closes. The peer's bytes
// are read and dropped until it closes (at most kRefusalLinger): closing
// with unread input would reset the connection and lose the error.
asio::awaitable<void> Refuse(asio::ip::tcp::socket socket,
                             absl::Status status) {
  constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
  wire::Frame frame;
  proto::StatusToWire(status, frame.mutable_error());
  const std::string bytes = proto::EncodeFrame(frame);
  auto [write_ec, written] =
      co_await asio::async_write(socket, asio::buffer(bytes), kNoThrow);
  std::error_code ignored;
  socket.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  asio::steady_timer linger(socket.get_executor(), kRefusalLinger);
  linger.async_wait([&socket](std::error_code ec) {
    if (ec) return;  // cancelled: the socket may be gone
    std::error_code ignored;
    socket.close(ignored);  // ends the read below
  });
  char sink[4096];
  while (!write_ec) {
    auto [ec, n] =
        co_await socket.async_read_some(asio::buffer(sink), kNoThrow);
    if (ec) break;
  }
  linger.cancel();
  socket.close(ignored);
}

// How often connections' deadlines are checked: a quarter of the shortest
// timeout, between 10 ms and 1 s.
std::chrono::nanoseconds TimeoutCheckInterval(const BrokerOptions& options) {
  absl::Duration shortest =
      std::min(options.handshake_timeout, options.frame_timeout);
  if (options.idle_timeout > absl::ZeroDuration()) {
    shortest = std::min(shortest, options.idle_timeout);
  }
  return absl::ToChronoNanoseconds(
      std::clamp(shortest / 4, absl::Milliseconds(10), absl::Seconds(1)));
}

}  // namespace

Broker::Broker(BrokerOptions options,
               std::shared_ptr<const ClusterView> cluster,
               std::shared_ptr<TopicAdmin> topic_admin)
    : options_(std::move(options)),
      cluster_(std::move(cluster)),
      topic_admin_(std::move(topic_admin)) {}

absl::StatusOr<std::unique_ptr<Broker>> Broker::Start(
    BrokerOptions options, std::shared_ptr<const ClusterView> cluster,
    std::shared_ptr<TopicAdmin> topic_admin) {
  if (options.threads <= 0) {
    options.threads =
        std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  }
  // Lease ids name their shard in 8 bits.
  options.threads = std::min(options.threads, kMaxShards);
  std::unique_ptr<Broker> broker(new Broker(
      std::move(options), std::move(cluster), std::move(topic_admin)));
  CHORUS_ASSIGN_OR_RETURN(broker->store_,
                          storage::Store::Open(broker->options_.store));
  for (int i = 0; i < broker->options_.threads; ++i) {
    broker->shards_.push_back(std::make_unique<Shard>(i, broker->store_.get()));
  }
  broker->registry_ = std::make_unique<TopicRegistry>(
      broker->store_.get(), &broker->shards_, broker->options_.node_id,
      broker->topic_admin_ != nullptr);
  CHORUS_RETURN_IF_ERROR(broker->registry_->Load());
  broker->catalog_ =
      std::make_unique<SubscriptionCatalog>(broker->store_.get());
  CHORUS_RETURN_IF_ERROR(broker->catalog_->Load());
  broker->dead_letters_ =
      std::make_unique<DeadLetters>(broker->registry_.get());
  CHORUS_RETURN_IF_ERROR(broker->Listen());
  // Every timer exists before any shard runs: a running shard indexes these
  // vectors, so they must not grow (and move) under it.
  for (auto& shard : broker->shards_) {
    broker->retention_timers_.push_back(
        std::make_unique<asio::steady_timer>(shard->io_context()));
    broker->timeout_timers_.push_back(
        std::make_unique<asio::steady_timer>(shard->io_context()));
  }
  for (auto& shard : broker->shards_) {
    broker->ScheduleRetention(shard.get());
    broker->ScheduleTimeoutChecks(shard.get());
    shard->Start();
  }
  broker->running_ = true;
  broker->Accept();
  return broker;
}

Broker::~Broker() { Shutdown(); }

absl::Status Broker::Listen() {
  std::error_code ec;
  asio::ip::address address = asio::ip::make_address(options_.listen_host, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad listen address ", options_.listen_host));
  }
  const asio::ip::tcp::endpoint endpoint(address, options_.listen_port);
  acceptor_.emplace(shards_[0]->io_context());
  const std::string where = absl::StrCat("listen on ", options_.listen_host,
                                         ":", options_.listen_port);
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  return StatusFromErrorCode(ec, where);
}

std::string Broker::endpoint() const {
  std::error_code ec;
  asio::ip::tcp::endpoint local = acceptor_->local_endpoint(ec);
  return absl::StrCat(local.address().to_string(), ":", local.port());
}

void Broker::Accept() {
  Shard* shard = shards_[next_shard_++ % shards_.size()].get();
  acceptor_->async_accept(
      shard->io_context(),
      [this, shard](std::error_code ec, asio::ip::tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor_->is_open()) {
          return;
        }
        if (ec) {
          Log(LogLevel::kWarning, "server",
              StatusFromErrorCode(ec, "accept").ToString());
          accept_retry_.emplace(shards_[0]->io_context(), kAcceptRetryDelay);
          accept_retry_->async_wait([this](std::error_code ec) {
            if (!ec && acceptor_->is_open()) Accept();
          });
          return;
        }
        if (connections_.load() >= options_.max_connections) {
          Log(LogLevel::kWarning, "server",
              absl::StrCat("refusing a connection: ", options_.max_connections,
                           " are open (--max-connections)"));
          asio::co_spawn(
              shard->executor(),
              Refuse(std::move(socket),
                     absl::ResourceExhaustedError(
                         absl::StrCat("the broker has its maximum of ",
                                      options_.max_connections,
                                      " connections (--max-connections)"))),
              [](std::exception_ptr e) {
                if (!e) return;
                try {
                  std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                  Log(LogLevel::kError, "server",
                      absl::StrCat("refusing a connection threw: ", ex.what()));
                }
              });
        } else {
          connections_.fetch_add(1);
          auto session = std::make_shared<Session>(
              std::move(socket), shard,
              SessionContext{&options_, registry_.get(), catalog_.get(),
                             dead_letters_.get(), &shards_, &connections_,
                             cluster_.get(), topic_admin_.get()});
          asio::post(shard->executor(), [shard, session] {
            shard->sessions().insert(session);
            session->Start();
          });
        }
        Accept();
      });
}

void Broker::ScheduleTimeoutChecks(Shard* shard) {
  asio::steady_timer& timer = *timeout_timers_[shard->index()];
  timer.expires_after(TimeoutCheckInterval(options_));
  timer.async_wait([this, shard](std::error_code ec) {
    if (ec) return;
    const auto now = std::chrono::steady_clock::now();
    // CheckTimeouts never removes a session here: a closed one leaves the
    // set later, from its writer.
    for (const std::shared_ptr<Session>& session : shard->sessions()) {
      session->CheckTimeouts(now);
    }
    ScheduleTimeoutChecks(shard);
  });
}

void Broker::ScheduleRetention(Shard* shard) {
  asio::steady_timer& timer = *retention_timers_[shard->index()];
  timer.expires_after(
      absl::ToChronoMilliseconds(options_.retention_check_interval));
  timer.async_wait([this, shard](std::error_code ec) {
    if (ec) return;
    for (const std::shared_ptr<Partition>& partition : shard->partitions()) {
      partition->ApplyRetention();
    }
    ScheduleRetention(shard);
  });
}

void Broker::Shutdown() {
  if (!running_) return;  // never started, or already stopped
  running_ = false;
  Notification closed;
  asio::post(shards_[0]->executor(), [this, &closed] {
    std::error_code ignored;
    acceptor_->close(ignored);
    closed.Notify();
  });
  closed.WaitForNotification();
  for (auto& shard : shards_) {
    asio::post(shard->executor(), [s = shard.get()] {
      for (const auto& session : s->sessions()) session->BeginDrain();
    });
  }
  // Connections leave their shard's set once their acks are written.
  const absl::Time deadline = absl::Now() + options_.shutdown_grace;
  for (auto& shard : shards_) {
    while (absl::Now() < deadline) {
      Notification checked;
      bool empty = false;
      asio::post(shard->executor(), [&] {
        empty = shard->sessions().empty();
        checked.Notify();
      });
      checked.WaitForNotification();
      if (empty) break;
      absl::SleepFor(absl::Milliseconds(10));
    }
  }
  for (auto& shard : shards_) {
    asio::post(shard->executor(), [s = shard.get(), this] {
      retention_timers_[s->index()]->cancel();
      timeout_timers_[s->index()]->cancel();
      if (s->index() == 0 && accept_retry_) accept_retry_->cancel();
    });
    shard->Stop();
  }
  for (auto& shard : shards_) {
    shard->sessions().clear();
    // Tracked cursors and their partitions hold each other.
    for (const auto& partition : shard->partitions()) {
      partition->DropTrackedCursors();
    }
    shard->partitions().clear();
  }
  dead_letters_.reset();
  catalog_.reset();
  registry_.reset();
  store_.reset();
  Log(LogLevel::kInfo, "server", "stopped");
}

}  // namespace chorus::broker
