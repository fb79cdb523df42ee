#include "client/link.h"

#include <algorithm>
#include <future>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/string_views.h"

namespace chorus::client_internal {

absl::StatusOr<std::vector<std::string>> ParseServerList(
    std::string_view list) {
  std::vector<std::string> servers;
  for (absl::string_view part : absl::StrSplit(AsAbsl(list), ',')) {
    part = absl::StripAsciiWhitespace(part);
    std::string host, port;
    if (absl::Status valid = SplitHostPort(AsStd(part), &host, &port);
        !valid.ok()) {
      return valid;
    }
    servers.emplace_back(part);
  }
  return servers;
}

Link::Link(IoThread* io, std::vector<std::string> servers,
           const ClientOptions& options, LinkObserver* observer)
    : io_(io),
      servers_(std::move(servers)),
      options_(options),
      observer_(observer),
      backoff_timer_(io->io()),
      random_(std::random_device()()) {
  server_ = servers_.empty() ? "" : servers_.front();
}

Link::~Link() = default;

absl::Status Link::Connect() {
  std::promise<absl::Status> result;
  io_->Post([this, &result] {
    TryServers(0, 0, "", [&result](absl::Status status) mutable {
      result.set_value(std::move(status));
    });
  });
  // Each attempt is bounded by connect_timeout.
  return result.get_future().get();
}

void Link::TryServers(size_t index, size_t tried, std::string failures,
                      absl::AnyInvocable<void(absl::Status) &&> done) {
  const size_t at = index % servers_.size();
  auto connection = std::make_shared<Connection>(io_->io(), servers_[at],
                                                 options_, &ids_, this);
  connection->Start([this, connection, index, at, tried,
                     failures = std::move(failures),
                     done = std::move(done)](absl::Status status) mutable {
    if (status.ok()) {
      Adopt(std::move(connection), at);
      std::move(done)(absl::OkStatus());
      return;
    }
    if (!failures.empty()) absl::StrAppend(&failures, "; ");
    absl::StrAppend(&failures, status.message());
    bool stop;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop = shut_down_;
    }
    if (stop || tried + 1 >= servers_.size()) {
      std::move(done)(servers_.size() == 1
                          ? status
                          : absl::Status(status.code(), failures));
      return;
    }
    TryServers(index + 1, tried + 1, std::move(failures), std::move(done));
  });
}

void Link::Adopt(std::shared_ptr<Connection> connection, size_t server_index) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) {
      connection->Shutdown(status_);
      return;
    }
    current_ = connection;
    status_ = absl::OkStatus();
    preferred_ = server_index;
    server_ = connection->server();
    max_frame_bytes_ = connection->max_frame_bytes();
    max_message_bytes_ = connection->max_message_bytes();
    connected_at_ = absl::Now();
    connected_cv_.notify_all();
  }
  observer_->OnConnected();
}

void Link::OnConnectionLost(Connection& from, const absl::Status& status) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (current_.get() != &from) return;  // not the current one
    current_.reset();
    status_ = status;
    // A connection that did not last is one more failed round: a broker
    // that drops every new connection is not hammered.
    if (absl::Now() - connected_at_ >= options_.reconnect_backoff_max) {
      failed_rounds_ = 0;
    } else {
      ++failed_rounds_;
    }
  }
  Log(LogLevel::kInfo, "client",
      absl::StrCat(status.message(), "; reconnecting"));
  observer_->OnDisconnected(status);
  ScheduleReconnect();
}

absl::Duration Link::NextBackoff() {
  absl::Duration base = options_.reconnect_backoff_initial;
  for (int i = 0; i < failed_rounds_ && base < options_.reconnect_backoff_max;
       ++i) {
    base *= 2;
  }
  base = std::min(base, options_.reconnect_backoff_max);
  // Equal jitter: at least half the delay, so clients that lost one broker
  // together do not come back together.
  std::uniform_int_distribution<int64_t> upper(
      0, absl::ToInt64Microseconds(base / 2));
  return base / 2 + absl::Microseconds(upper(random_));
}

void Link::ScheduleReconnect() {
  absl::Duration delay;
  size_t start;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) return;
    delay = NextBackoff();
    start = preferred_;
  }
  backoff_timer_.expires_after(absl::ToChronoNanoseconds(delay));
  backoff_timer_.async_wait([this, start](std::error_code ec) {
    if (ec) return;
    TryServers(start, 0, "", [this](absl::Status status) {
      if (status.ok()) return;
      bool stop;
      {
        std::lock_guard<std::mutex> lock(mu_);
        stop = shut_down_;
        if (!stop) {
          ++failed_rounds_;
          status_ = status;
        }
      }
      if (stop) return;
      Log(LogLevel::kDebug, "client",
          absl::StrCat("reconnect: ", status.message()));
      ScheduleReconnect();
    });
  });
}

absl::StatusOr<uint64_t> Link::Request(wire::Frame* request,
                                       Connection::ResponseHandler handler) {
  std::shared_ptr<Connection> connection;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (current_ == nullptr) return status_;
    connection = current_;
  }
  return connection->Request(request, std::move(handler));
}

absl::Status Link::Send(const wire::Frame& frame) {
  std::shared_ptr<Connection> connection;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (current_ == nullptr) return status_;
    connection = current_;
  }
  return connection->Send(frame);
}

void Link::Abandon(uint64_t correlation_id) {
  std::shared_ptr<Connection> connection;
  {
    std::lock_guard<std::mutex> lock(mu_);
    connection = current_;
  }
  // Ids are unique across connections: abandoning on a newer one is a no-op.
  if (connection != nullptr) connection->Abandon(correlation_id);
}

bool Link::WaitConnected(absl::Time deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  while (current_ == nullptr && !shut_down_) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    connected_cv_.wait_for(lock, absl::ToChronoNanoseconds(left));
  }
  return current_ != nullptr;
}

absl::Status Link::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

void Link::Shutdown(absl::Status status) {
  std::shared_ptr<Connection> connection;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) return;
    shut_down_ = true;
    status_ = status;
    connection = std::move(current_);
    connected_cv_.notify_all();
  }
  if (connection != nullptr) connection->Shutdown(status);
  io_->Post([this] { backoff_timer_.cancel(); });
}

std::string Link::server() const {
  std::lock_guard<std::mutex> lock(mu_);
  return server_;
}

size_t Link::max_frame_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return max_frame_bytes_;
}

size_t Link::max_message_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return max_message_bytes_;
}

void Link::OnPush(Connection& from, wire::Frame& frame) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (current_.get() != &from) return;
  }
  observer_->OnPush(frame);
}

}  // namespace chorus::client_internal
