#include "client/publisher.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/publish_ack.h"
#include "common/string_views.h"
#include "common/sync.h"
#include "proto/records.h"

namespace chorus::client_internal {
namespace {

// Room in a Publish frame for everything but the records: the topic (at most
// 255 bytes), tags and lengths.
constexpr size_t kPublishOverheadBytes = 1024;

// The size of the Record body of the one record encoded in `record`, which
// is what the broker holds against its max_message_bytes.
size_t RecordBodyBytes(std::string_view record) {
  proto::RecordReader reader(record);
  proto::RecordView view;
  return reader.Next(&view) ? view.body.size() : record.size();
}

}  // namespace

Publisher::Publisher(Connection* connection, const ClientOptions& options)
    : connection_(connection),
      options_(options),
      linger_timer_(connection->io()) {}

size_t Publisher::MaxBatchRecordsBytes() const {
  const size_t frame_limit = connection_->max_frame_bytes();
  return frame_limit > 2 * kPublishOverheadBytes
             ? frame_limit - kPublishOverheadBytes
             : frame_limit / 2;
}

bool Publisher::CanAcceptLocked() const {
  return !status_.ok() || in_flight_bytes_ < options_.max_in_flight_bytes;
}

void Publisher::Publish(std::string_view topic, const Message& message,
                        Client::PublishCallback done) {
  std::vector<Failure> failures;
  {
    std::unique_lock<std::mutex> lock(mu_);
    const bool accepted = connection_->OnIoThread() ||
                          WaitFor(cv_, lock, options_.request_timeout,
                                  [this] { return CanAcceptLocked(); });
    if (!status_.ok()) {
      failures.push_back({{std::move(done)}, status_});
    } else if (!accepted) {
      failures.push_back(
          {{std::move(done)},
           absl::DeadlineExceededError(absl::StrCat(
               "publish to ", AsAbsl(topic), ": blocked for ",
               absl::FormatDuration(options_.request_timeout), " with ",
               in_flight_bytes_, " bytes unacknowledged by ",
               connection_->server()))});
    } else {
      auto it = open_.find(AsAbsl(topic));
      if (it == open_.end()) it = open_.try_emplace(std::string(topic)).first;
      OpenBatch& batch = it->second;
      if (!batch.records.empty() &&
          (batch.bind != message.bind || batch.lease_id != message.lease_id)) {
        // A batch binds all its keys alike: close it first.
        (void)SendLocked(topic, batch, &failures);  // failures hold it
      }
      batch.bind = message.bind;
      batch.lease_id = message.lease_id;
      const size_t before = batch.records.size();
      proto::AppendRecord(message.key, message.value, message.headers,
                          &batch.records);
      const size_t added = batch.records.size() - before;
      const size_t limit = MaxBatchRecordsBytes();
      const size_t message_bytes =
          RecordBodyBytes(std::string_view(batch.records).substr(before));
      const size_t message_limit = connection_->max_message_bytes();
      if (message_limit > 0 && message_bytes > message_limit) {
        // The broker would refuse the whole batch; refuse only this one.
        batch.records.resize(before);
        if (batch.records.empty()) open_.erase(it);
        failures.push_back(
            {{std::move(done)},
             absl::ResourceExhaustedError(absl::StrCat(
                 "message is ", message_bytes, " bytes; the limit is ",
                 message_limit, " (the broker's max_message_bytes)"))});
      } else if (added > limit) {
        batch.records.resize(before);
        if (batch.records.empty()) open_.erase(it);
        failures.push_back({{std::move(done)},
                            absl::InvalidArgumentError(absl::StrCat(
                                "message of ", added,
                                " bytes does not fit in a frame (the "
                                "broker accepts frames of at most ",
                                connection_->max_frame_bytes(), " bytes)"))});
      } else {
        if (batch.records.size() > limit) {
          // The batch without this message is as big as a frame allows.
          std::string message_bytes = batch.records.substr(before);
          batch.records.resize(before);
          (void)SendLocked(topic, batch, &failures);  // failures hold it
          batch.records = std::move(message_bytes);
          batch.bind = message.bind;
          batch.lease_id = message.lease_id;
        }
        batch.callbacks.push_back(std::move(done));
        in_flight_bytes_ += added;
        if (batch.records.size() >= options_.batch_max_bytes ||
            options_.linger <= absl::ZeroDuration()) {
          // Full, or no linger: send it from this thread now, without a
          // hop to the I/O thread (the connection writes it to the socket
          // at once when no other write is in progress).
          (void)SendLocked(topic, batch, &failures);  // failures hold it
          open_.erase(it);
        } else {
          ScheduleLingerLocked();
        }
      }
    }
  }
  RunFailures(failures);
}

absl::Status Publisher::SendLocked(std::string_view topic, OpenBatch& batch,
                                   std::vector<Failure>* failures) {
  const uint64_t batch_id = ++last_batch_id_;
  const size_t bytes = batch.records.size();
  auto callbacks = std::make_shared<std::vector<Client::PublishCallback>>(
      std::move(batch.callbacks));
  wire::Frame frame;
  wire::Publish* publish = frame.mutable_publish();
  publish->set_topic(std::string(topic));
  publish->set_records(std::move(batch.records));
  publish->set_bind(batch.bind);
  publish->set_lease_id(batch.lease_id);
  batch = OpenBatch{};
  absl::StatusOr<uint64_t> sent = connection_->Request(
      &frame,
      [this, batch_id, bytes, callbacks](absl::StatusOr<wire::Frame> response) {
        OnBatchDone(batch_id, bytes, *callbacks, std::move(response));
      });
  if (!sent.ok()) {
    in_flight_bytes_ -= bytes;
    cv_.notify_all();
    failures->push_back({std::move(*callbacks), sent.status()});
    return sent.status();
  }
  ++unacked_batches_;
  return absl::OkStatus();
}

absl::Status Publisher::SendAllLocked(std::vector<Failure>* failures) {
  absl::Status first_error;
  for (auto& [topic, batch] : open_) {
    absl::Status sent = SendLocked(topic, batch, failures);
    if (first_error.ok()) first_error = sent;
  }
  open_.clear();
  return first_error;
}

void Publisher::ScheduleLingerLocked() {
  if (linger_scheduled_) return;
  linger_scheduled_ = true;
  connection_->Post([this] { StartLingerTimer(); });
}

void Publisher::StartLingerTimer() {
  linger_timer_.expires_after(absl::ToChronoNanoseconds(options_.linger));
  linger_timer_.async_wait([this](std::error_code ec) {
    if (!ec) SendAllNow();
  });
}

void Publisher::SendAllNow() {
  std::vector<Failure> failures;
  {
    std::lock_guard<std::mutex> lock(mu_);
    linger_scheduled_ = false;
    // A send error is also in `failures`, which report it to each message.
    (void)SendAllLocked(&failures);
  }
  RunFailures(failures);
}

void Publisher::OnBatchDone(uint64_t batch_id, size_t bytes,
                            std::vector<Client::PublishCallback>& callbacks,
                            absl::StatusOr<wire::Frame> response) {
  absl::StatusOr<std::vector<PublishResult>> results;
  if (!response.ok()) {
    results = response.status();
  } else if (response->has_publish_ack()) {
    results = PublishResultsFromAck(response->publish_ack(), callbacks.size());
  } else {
    results = absl::InternalError(
        absl::StrCat("broker answered a publish with frame body ",
                     static_cast<int>(response->body_case())));
  }
  for (size_t i = 0; i < callbacks.size(); ++i) {
    if (!callbacks[i]) continue;
    if (results.ok()) {
      callbacks[i]((*results)[i]);
    } else {
      callbacks[i](results.status());
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  in_flight_bytes_ -= bytes;
  --unacked_batches_;
  for (FlushWaiter* waiter : waiters_) {
    if (batch_id > waiter->last_batch_id) continue;
    --waiter->remaining;
    if (!results.ok() && waiter->first_error.ok()) {
      waiter->first_error = results.status();
    }
  }
  cv_.notify_all();
}

absl::Status Publisher::Flush(absl::Time deadline) {
  std::vector<Failure> failures;
  FlushWaiter waiter;
  absl::Status send_error;
  const bool on_io_thread = connection_->OnIoThread();
  {
    std::lock_guard<std::mutex> lock(mu_);
    send_error = SendAllLocked(&failures);
    waiter.last_batch_id = last_batch_id_;
    waiter.remaining = unacked_batches_;
    if (!on_io_thread) waiters_.push_back(&waiter);
  }
  RunFailures(failures);
  if (on_io_thread) {
    return absl::FailedPreconditionError(
        "Flush cannot wait on the client's I/O thread (called from a handler "
        "or callback); the batches were sent");
  }
  bool done;
  {
    std::unique_lock<std::mutex> lock(mu_);
    done = WaitUntil(cv_, lock, deadline,
                     [&waiter] { return waiter.remaining == 0; });
    waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &waiter));
  }
  if (!done) {
    return absl::DeadlineExceededError(absl::StrCat(
        "flush: ", waiter.remaining,
        " publish batches still unacknowledged by ", connection_->server()));
  }
  if (!send_error.ok()) return send_error;
  return waiter.first_error;
}

void Publisher::StopAccepting(absl::Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (status_.ok()) status_ = std::move(status);
  cv_.notify_all();
}

void Publisher::Abort(const absl::Status& status) {
  std::vector<Failure> failures;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (status_.ok()) {
      status_ = status.code() == absl::StatusCode::kUnavailable
                    ? status
                    : absl::UnavailableError(status.message());
    }
    for (auto& [topic, batch] : open_) {
      in_flight_bytes_ -= batch.records.size();
      failures.push_back({std::move(batch.callbacks), status});
    }
    open_.clear();
    cv_.notify_all();
  }
  RunFailures(failures);
}

void Publisher::RunFailures(std::vector<Failure>& failures) {
  for (Failure& failure : failures) {
    for (Client::PublishCallback& callback : failure.callbacks) {
      if (callback) callback(failure.status);
    }
  }
}

}  // namespace chorus::client_internal
