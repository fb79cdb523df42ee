#include "client/publisher.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/publish_ack.h"
#include "common/partitioner.h"
#include "common/string_views.h"
#include "common/sync.h"
#include "proto/frame_codec.h"
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

Publisher::Publisher(Link* link, IoThread* io, MetadataCache* metadata,
                     const ClientOptions& options, uint64_t producer_id)
    : link_(link),
      io_(io),
      metadata_(metadata),
      options_(options),
      producer_id_(producer_id),
      linger_timer_(io->io()),
      expiry_timer_(io->io()),
      random_(std::random_device()()) {}

size_t Publisher::MaxBatchRecordsBytes() const {
  const size_t frame_limit = link_->max_frame_bytes();
  return frame_limit > 2 * kPublishOverheadBytes
             ? frame_limit - kPublishOverheadBytes
             : frame_limit / 2;
}

bool Publisher::CanAcceptLocked() const {
  return !status_.ok() || in_flight_bytes_ < options_.max_in_flight_bytes;
}

uint64_t Publisher::NewProducerIdLocked() {
  uint64_t id = 0;
  while (id == 0) id = random_();
  return id;
}

absl::Status Publisher::CheckRecord(std::string_view record) const {
  const size_t message_bytes = RecordBodyBytes(record);
  const size_t message_limit = link_->max_message_bytes();
  if (message_limit > 0 && message_bytes > message_limit) {
    // The broker would refuse the whole batch; refuse only this one.
    return absl::ResourceExhaustedError(
        absl::StrCat("message is ", message_bytes, " bytes; the limit is ",
                     message_limit, " (the broker's max_message_bytes)"));
  }
  if (record.size() > MaxBatchRecordsBytes()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "message of ", record.size(),
        " bytes does not fit in a frame (the broker accepts frames of at "
        "most ",
        link_->max_frame_bytes(), " bytes)"));
  }
  return absl::OkStatus();
}

void Publisher::Publish(std::string_view topic, const Message& message,
                        Client::PublishCallback done) {
  Outcomes outcomes;
  {
    std::unique_lock<std::mutex> lock(mu_);
    const bool accepted =
        io_->OnIoThread() || WaitFor(cv_, lock, options_.request_timeout,
                                     [this] { return CanAcceptLocked(); });
    if (!status_.ok()) {
      outcomes.push_back({std::move(done), status_});
    } else if (!accepted) {
      outcomes.push_back({std::move(done),
                          absl::DeadlineExceededError(absl::StrCat(
                              "publish to ", AsAbsl(topic), ": blocked for ",
                              absl::FormatDuration(options_.request_timeout),
                              " with ", in_flight_bytes_,
                              " bytes unacknowledged by ", link_->server()))});
    } else {
      auto it = topics_.find(AsAbsl(topic));
      if (it == topics_.end()) {
        it = topics_.emplace(std::string(topic), std::make_unique<Topic>())
                 .first;
        it->second->name = std::string(topic);
      }
      Topic& state = *it->second;
      Pending pending{std::move(done), ++last_ordinal_};
      ++outstanding_;
      if (state.partitions > 0) {
        AddLocked(
            state, message.key, message.bind, message.lease_id,
            [&message](std::string* records) {
              proto::AppendRecord(message.key, message.value, message.headers,
                                  records);
            },
            std::move(pending), /*counted=*/false, &outcomes);
      } else {
        // Placed once the topic's partitions are known.
        Waiting waiting{.key = message.key,
                        .bind = message.bind,
                        .lease_id = message.lease_id,
                        .pending = std::move(pending),
                        .deadline = absl::Now() + options_.publish_timeout};
        proto::AppendRecord(message.key, message.value, message.headers,
                            &waiting.record);
        if (absl::Status bad = CheckRecord(waiting.record); !bad.ok()) {
          CompleteOneLocked(waiting.pending, bad, &outcomes);
        } else {
          in_flight_bytes_ += waiting.record.size();
          if (state.waiting.empty()) waiting_topics_.push_back(&state);
          state.waiting.push_back(std::move(waiting));
          if (!state.resolving) {
            state.resolving = true;
            metadata_->Resolve(topic);
          }
        }
      }
    }
  }
  Run(outcomes);
}

void Publisher::AddLocked(Topic& topic, std::string_view key, bool bind,
                          uint64_t lease_id,
                          absl::FunctionRef<void(std::string*)> encode,
                          Pending pending, bool counted, Outcomes* outcomes) {
  const uint32_t partition =
      key.empty() ? topic.keyless : PartitionForKey(key, topic.partitions);
  Stream& stream = *topic.streams[partition];
  OpenBatch& batch = stream.open;
  if (!batch.records.empty() &&
      (batch.bind != bind || batch.lease_id != lease_id)) {
    // A batch binds all its keys alike: close it first.
    CloseLocked(stream, outcomes);
  }
  const size_t before = batch.records.size();
  encode(&batch.records);
  const size_t added = batch.records.size() - before;
  if (absl::Status bad =
          CheckRecord(std::string_view(batch.records).substr(before));
      !bad.ok()) {
    batch.records.resize(before);
    if (counted) {
      in_flight_bytes_ -= added;
      cv_.notify_all();
    }
    CompleteOneLocked(pending, bad, outcomes);
    return;
  }
  if (batch.records.size() > MaxBatchRecordsBytes()) {
    // The batch without this message is as big as a frame allows.
    std::string record = batch.records.substr(before);
    batch.records.resize(before);
    CloseLocked(stream, outcomes);
    batch.records = std::move(record);
  }
  if (batch.pending.empty()) {
    batch.bind = bind;
    batch.lease_id = lease_id;
    batch.first_at = absl::Now();
  }
  batch.pending.push_back(std::move(pending));
  if (!counted) in_flight_bytes_ += added;
  if (batch.records.size() >= options_.batch_max_bytes ||
      options_.linger <= absl::ZeroDuration()) {
    // Full, or no linger: send it from this thread now, without a hop to
    // the I/O thread (the connection writes it to the socket at once when
    // no other write is in progress).
    CloseLocked(stream, outcomes);
  } else if (!stream.lingering) {
    stream.lingering = true;
    lingering_.push_back(&stream);
    ScheduleLingerLocked();
  }
}

void Publisher::CloseLocked(Stream& stream, Outcomes* outcomes) {
  OpenBatch& open = stream.open;
  if (open.pending.empty()) return;
  auto batch = std::make_unique<SentBatch>();
  wire::Publish* publish = batch->frame.mutable_publish();
  publish->set_topic(stream.topic);
  publish->set_partition(stream.partition);
  batch->bytes = open.records.size();
  publish->set_records(std::move(open.records));
  publish->set_bind(open.bind);
  publish->set_lease_id(open.lease_id);
  publish->set_producer_id(stream.producer_id);
  publish->set_sequence(stream.next_sequence);
  batch->count = static_cast<uint32_t>(open.pending.size());
  batch->pending = std::move(open.pending);
  batch->deadline = open.first_at + options_.publish_timeout;
  stream.next_sequence += batch->count;
  open = OpenBatch{};
  stream.unacked.push_back(std::move(batch));
  ActivateLocked(stream);
  Topic& topic = *stream.owner;
  if (stream.partition == topic.keyless && topic.partitions > 1) {
    // Messages without a key go to the next partition, batch by batch.
    topic.keyless = (topic.keyless + 1) % topic.partitions;
  }
  PumpLocked(stream, outcomes);
}

void Publisher::PumpLocked(Stream& stream, Outcomes* outcomes) {
  while (connected_ && stream.in_flight < stream.unacked.size() &&
         stream.in_flight < proto::kProducerWindowBatches) {
    SentBatch& batch = *stream.unacked[stream.in_flight];
    const uint64_t send_id = ++last_send_id_;
    absl::StatusOr<uint64_t> sent =
        link_->Request(&batch.frame, [this, stream = &stream, send_id](
                                         absl::StatusOr<wire::Frame> response) {
          OnResponse(stream, send_id, std::move(response));
        });
    if (absl::IsUnavailable(sent.status())) return;  // OnConnected pumps
    if (!sent.ok()) {
      // Over the frame limit of the broker now connected: it cannot go.
      CompleteLocked(batch.pending, sent.status(), outcomes);
      const size_t index = stream.in_flight;
      DropLocked(stream, index);
      RestampLocked(stream, index);
      continue;
    }
    batch.send_id = send_id;
    ++stream.in_flight;
  }
}

void Publisher::RestampLocked(Stream& stream, size_t from) {
  stream.producer_id = NewProducerIdLocked();
  stream.next_sequence = 0;
  for (size_t i = from; i < stream.unacked.size(); ++i) {
    SentBatch& batch = *stream.unacked[i];
    batch.frame.mutable_publish()->set_producer_id(stream.producer_id);
    batch.frame.mutable_publish()->set_sequence(stream.next_sequence);
    batch.send_id = 0;
    stream.next_sequence += batch.count;
  }
  stream.in_flight = std::min(stream.in_flight, from);
}

void Publisher::OnResponse(Stream* stream, uint64_t send_id,
                           absl::StatusOr<wire::Frame> response) {
  Outcomes outcomes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    size_t index = 0;
    while (index < stream->in_flight &&
           stream->unacked[index]->send_id != send_id) {
      ++index;
    }
    if (index == stream->in_flight) return;  // a send since superseded
    if (!response.ok() && EndedWithConnection(response.status())) {
      // The connection broke; the batch goes again on the next one.
      last_error_ = response.status();
      return;
    }
    SentBatch& batch = *stream->unacked[index];
    if (response.ok() && response->has_publish_ack()) {
      CompleteLocked(
          batch.pending,
          PublishResultsFromAck(response->publish_ack(), batch.count),
          &outcomes);
      DropLocked(*stream, index);
    } else {
      const absl::Status refused =
          response.ok() ? absl::InternalError(absl::StrCat(
                              "broker answered a publish with frame body ",
                              static_cast<int>(response->body_case())))
                        : response.status();
      if (absl::IsOutOfRange(refused) &&
          batch.frame.publish().sequence() != 0) {
        // The partition expects an earlier sequence: a batch before this
        // one was refused or forgotten. This one was not stored, nor can
        // any later one be under this identity: all go again under a new
        // one.
        RestampLocked(*stream, index);
      } else {
        last_error_ = refused;
        CompleteLocked(batch.pending, refused, &outcomes);
        DropLocked(*stream, index);
        RestampLocked(*stream, index);
      }
    }
    PumpLocked(*stream, &outcomes);
  }
  Run(outcomes);
}

void Publisher::CompleteLocked(
    std::vector<Pending>& pending,
    const absl::StatusOr<std::vector<PublishResult>>& results,
    Outcomes* outcomes) {
  for (size_t i = 0; i < pending.size(); ++i) {
    CompleteOneLocked(pending[i],
                      results.ok()
                          ? absl::StatusOr<PublishResult>((*results)[i])
                          : results.status(),
                      outcomes);
  }
  pending.clear();
}

void Publisher::CompleteOneLocked(Pending& pending,
                                  absl::StatusOr<PublishResult> result,
                                  Outcomes* outcomes) {
  outcomes->push_back(
      {std::move(pending.done), std::move(result), pending.ordinal});
  pending.ordinal = 0;  // counted once
}

void Publisher::DropLocked(Stream& stream, size_t index) {
  in_flight_bytes_ -= stream.unacked[index]->bytes;
  stream.unacked.erase(stream.unacked.begin() + index);
  if (index < stream.in_flight) --stream.in_flight;
  cv_.notify_all();
}

void Publisher::ActivateLocked(Stream& stream) {
  if (stream.active) return;
  stream.active = true;
  active_.push_back(&stream);
}

void Publisher::CloseAllLocked(Outcomes* outcomes) {
  std::vector<Stream*> lingering;
  lingering.swap(lingering_);
  for (Stream* stream : lingering) {
    stream->lingering = false;
    CloseLocked(*stream, outcomes);
  }
}

void Publisher::ScheduleLingerLocked() {
  if (linger_scheduled_) return;
  linger_scheduled_ = true;
  io_->Post([this] { StartLingerTimer(); });
}

void Publisher::StartLingerTimer() {
  linger_timer_.expires_after(absl::ToChronoNanoseconds(options_.linger));
  linger_timer_.async_wait([this](std::error_code ec) {
    if (!ec) SendAllNow();
  });
}

void Publisher::SendAllNow() {
  Outcomes outcomes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    linger_scheduled_ = false;
    CloseAllLocked(&outcomes);
  }
  Run(outcomes);
}

void Publisher::ScheduleExpiry() {
  expiry_timer_.expires_after(absl::ToChronoNanoseconds(std::clamp(
      options_.publish_timeout / 8, absl::Milliseconds(10), absl::Seconds(1))));
  expiry_timer_.async_wait([this](std::error_code ec) {
    if (ec) return;
    ExpireNow();
    ScheduleExpiry();
  });
}

void Publisher::ExpireNow() {
  Outcomes outcomes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const absl::Time now = absl::Now();
    auto expired = [&](std::string_view topic) {
      return absl::DeadlineExceededError(absl::StrCat(
          "publish to ", AsAbsl(topic), ": not acknowledged within ",
          absl::FormatDuration(options_.publish_timeout),
          last_error_.ok() ? "" : " (last error: ",
          last_error_.ok() ? "" : last_error_.message(),
          last_error_.ok() ? "" : ")", "; it may still be stored"));
    };
    for (Topic* topic : waiting_topics_) {
      std::vector<Waiting>& waiting = topic->waiting;
      auto live = waiting.begin();
      while (live != waiting.end() && live->deadline <= now) ++live;
      for (auto it = waiting.begin(); it != live; ++it) {
        in_flight_bytes_ -= it->record.size();
        CompleteOneLocked(it->pending, expired(topic->name), &outcomes);
      }
      waiting.erase(waiting.begin(), live);
    }
    std::erase_if(waiting_topics_,
                  [](const Topic* topic) { return topic->waiting.empty(); });
    for (Stream* stream : active_) {
      // Deadlines grow along a stream: the expired ones are a prefix. They
      // are still sent until acknowledged (they may have been stored).
      for (auto& batch : stream->unacked) {
        if (batch->deadline > now) break;
        if (!batch->pending.empty()) {
          CompleteLocked(batch->pending, expired(stream->topic), &outcomes);
        }
      }
    }
    std::erase_if(active_, [](Stream* stream) {
      if (!stream->unacked.empty()) return false;
      stream->active = false;
      return true;
    });
  }
  Run(outcomes);
}

absl::Status Publisher::Flush(absl::Time deadline) {
  Outcomes outcomes;
  FlushWaiter waiter;
  const bool on_io_thread = io_->OnIoThread();
  {
    std::lock_guard<std::mutex> lock(mu_);
    CloseAllLocked(&outcomes);
    waiter.last_ordinal = last_ordinal_;
    waiter.remaining = outstanding_;
    if (!on_io_thread) waiters_.push_back(&waiter);
  }
  Run(outcomes);
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
    return absl::DeadlineExceededError(
        absl::StrCat("flush: ", waiter.remaining,
                     " messages still unacknowledged by ", link_->server()));
  }
  return waiter.first_error;
}

void Publisher::StopAccepting(absl::Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (status_.ok()) status_ = std::move(status);
  cv_.notify_all();
}

void Publisher::FailWaitingLocked(Topic& topic, const absl::Status& status,
                                  Outcomes* outcomes) {
  for (Waiting& waiting : topic.waiting) {
    in_flight_bytes_ -= waiting.record.size();
    CompleteOneLocked(waiting.pending, status, outcomes);
  }
  topic.waiting.clear();
}

void Publisher::Abort(const absl::Status& status) {
  Outcomes outcomes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (status_.ok()) status_ = status;
    for (auto& [name, topic] : topics_) {
      FailWaitingLocked(*topic, status, &outcomes);
      for (auto& stream : topic->streams) {
        CompleteLocked(stream->open.pending, status, &outcomes);
        stream->open = OpenBatch{};
        stream->lingering = false;
        for (auto& batch : stream->unacked) {
          CompleteLocked(batch->pending, status, &outcomes);
        }
        stream->unacked.clear();
        stream->in_flight = 0;
        stream->active = false;
      }
    }
    lingering_.clear();
    active_.clear();
    waiting_topics_.clear();
    in_flight_bytes_ = 0;
    cv_.notify_all();
  }
  Run(outcomes);
}

void Publisher::OnConnected() {
  if (!expiry_started_) {
    expiry_started_ = true;
    ScheduleExpiry();
  }
  Outcomes outcomes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    connected_ = true;
    // What the last connection left unacknowledged goes first, in order,
    // with the same producer ids and sequences: the broker stores each
    // batch once.
    for (Stream* stream : active_) PumpLocked(*stream, &outcomes);
  }
  Run(outcomes);
}

void Publisher::OnDisconnected(const absl::Status& status) {
  std::lock_guard<std::mutex> lock(mu_);
  connected_ = false;
  last_error_ = status;
  for (Stream* stream : active_) {
    for (auto& batch : stream->unacked) batch->send_id = 0;
    stream->in_flight = 0;
  }
}

void Publisher::OnTopicMetadata(const std::string& topic,
                                absl::StatusOr<uint32_t> partitions) {
  Outcomes outcomes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = topics_.find(topic);
    if (it == topics_.end()) return;
    Topic& state = *it->second;
    state.resolving = false;
    if (partitions.ok() && *partitions == 0) {
      partitions = absl::InternalError(
          absl::StrCat("broker says topic ", topic, " has no partitions"));
    }
    if (!partitions.ok()) {
      if (state.partitions == 0) {
        FailWaitingLocked(state, partitions.status(), &outcomes);
      } else if (absl::IsNotFound(partitions.status())) {
        // Deleted: the next publish asks again (and may re-create it).
        state.partitions = 0;
      }
    } else {
      const uint32_t count = *partitions;
      if (state.partitions == 0 && state.streams.empty()) {
        state.keyless = static_cast<uint32_t>(random_() % count);
      }
      while (state.streams.size() < count) {
        auto stream = std::make_unique<Stream>();
        stream->owner = &state;
        stream->topic = topic;
        stream->partition = static_cast<uint32_t>(state.streams.size());
        stream->producer_id = producer_id_;
        state.streams.push_back(std::move(stream));
      }
      state.partitions = count;
      state.keyless %= count;
      std::vector<Waiting> waiting;
      waiting.swap(state.waiting);
      for (Waiting& message : waiting) {
        AddLocked(
            state, message.key, message.bind, message.lease_id,
            [&message](std::string* records) {
              records->append(message.record);
            },
            std::move(message.pending), /*counted=*/true, &outcomes);
      }
      // A Flush (or Close) is waiting for them: they do not linger.
      if (!waiters_.empty() && !waiting.empty()) CloseAllLocked(&outcomes);
    }
  }
  Run(outcomes);
}

void Publisher::Run(Outcomes& outcomes) {
  if (outcomes.empty()) return;
  for (Outcome& outcome : outcomes) {
    if (outcome.done) outcome.done(outcome.result);
  }
  // Flush waits for callbacks too: their messages count once they ran.
  std::lock_guard<std::mutex> lock(mu_);
  for (const Outcome& outcome : outcomes) {
    if (outcome.ordinal == 0) continue;
    --outstanding_;
    for (FlushWaiter* waiter : waiters_) {
      if (outcome.ordinal > waiter->last_ordinal) continue;
      --waiter->remaining;
      if (!outcome.result.ok() && waiter->first_error.ok()) {
        waiter->first_error = outcome.result.status();
      }
    }
  }
  cv_.notify_all();
}

}  // namespace chorus::client_internal
