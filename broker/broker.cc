#include "broker/broker.h"

#include <chrono>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "broker/partition.h"
#include "broker/session.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/sync.h"
#include "common/system_status.h"

namespace chorus::broker {

Broker::Broker(BrokerOptions options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<Broker>> Broker::Start(BrokerOptions options) {
  if (options.threads <= 0) {
    options.threads =
        std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  }
  // Lease ids name their shard in 8 bits.
  options.threads = std::min(options.threads, kMaxShards);
  std::unique_ptr<Broker> broker(new Broker(std::move(options)));
  CHORUS_ASSIGN_OR_RETURN(broker->store_,
                          storage::Store::Open(broker->options_.store));
  for (int i = 0; i < broker->options_.threads; ++i) {
    broker->shards_.push_back(std::make_unique<Shard>(i, broker->store_.get()));
  }
  broker->registry_ =
      std::make_unique<TopicRegistry>(broker->store_.get(), &broker->shards_);
  CHORUS_RETURN_IF_ERROR(broker->registry_->Load());
  broker->catalog_ =
      std::make_unique<SubscriptionCatalog>(broker->store_.get());
  CHORUS_RETURN_IF_ERROR(broker->catalog_->Load());
  broker->dead_letters_ =
      std::make_unique<DeadLetters>(broker->registry_.get());
  CHORUS_RETURN_IF_ERROR(broker->Listen());
  for (auto& shard : broker->shards_) {
    broker->retention_timers_.push_back(
        std::make_unique<asio::steady_timer>(shard->io_context()));
    broker->ScheduleRetention(shard.get());
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
        } else {
          auto session = std::make_shared<Session>(
              std::move(socket), shard,
              SessionContext{&options_, registry_.get(), catalog_.get(),
                             dead_letters_.get(), &shards_});
          asio::post(shard->executor(), [shard, session] {
            shard->sessions().insert(session);
            session->Start();
          });
        }
        Accept();
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
