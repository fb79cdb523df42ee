#include "broker/session.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "asio/experimental/as_tuple.hpp"
#include "common/log.h"
#include "proto/wire_status.h"

namespace chorus::broker {
namespace {

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
// Reads start small and double while they fill the space offered, so an
// idle connection holds one page for its requests instead of 64 KiB (the
// decoder's buffer is zero-filled when it grows: every byte is resident).
constexpr size_t kMinReadChunkBytes = 4 * 1024;
constexpr size_t kMaxReadChunkBytes = 64 * 1024;
// Caps on one gathered write.
constexpr size_t kMaxWriteFrames = 256;
constexpr size_t kMaxWriteBytes = 1 << 20;

std::string EndpointName(const asio::ip::tcp::endpoint& endpoint) {
  const asio::ip::address address = endpoint.address();
  return address.is_v6()
             ? absl::StrCat("[", address.to_string(), "]:", endpoint.port())
             : absl::StrCat(address.to_string(), ":", endpoint.port());
}

std::string PeerName(const asio::ip::tcp::socket& socket) {
  std::error_code ec;
  asio::ip::tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) return "unknown peer";
  return EndpointName(peer);
}

std::string LocalName(const asio::ip::tcp::socket& socket) {
  std::error_code ec;
  asio::ip::tcp::endpoint local = socket.local_endpoint(ec);
  if (ec) return "";
  return EndpointName(local);
}

}  // namespace

Session::Session(asio::ip::tcp::socket socket, Shard* shard,
                 SessionContext context)
    : socket_(std::move(socket)),
      shard_(shard),
      context_(context),
      peer_(PeerName(socket_)),
      local_address_(LocalName(socket_)),
      decoder_(context.options->max_frame_bytes),
      read_chunk_bytes_(kMinReadChunkBytes),
      accepted_at_(Clock::now()),
      last_received_(accepted_at_),
      writer_wake_(shard->io_context()),
      reader_wake_(shard->io_context()) {
  std::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
}

Session::~Session() { context_.connections->fetch_sub(1); }

void Session::Start() {
  auto log_escape = [peer = peer_](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      Log(LogLevel::kError, "session",
          absl::StrCat(peer, ": coroutine threw: ", ex.what()));
    }
  };
  asio::co_spawn(shard_->executor(), ReadLoop(shared_from_this()), log_escape);
  asio::co_spawn(shard_->executor(), WriteLoop(shared_from_this()), log_escape);
}

void Session::BeginDrain() {
  stop_reading_ = true;
  std::error_code ignored;
  // Wakes a pending read with EOF; the writer then flushes the acks.
  socket_.shutdown(asio::ip::tcp::socket::shutdown_receive, ignored);
  reader_wake_.cancel();
}

bool Session::ReaderMustWait() const {
  const BrokerOptions& options = *context_.options;
  return outbound_bytes_ > 2 * options.max_outbound_bytes ||
         (in_flight_publish_bytes_ > 0 &&
          in_flight_publish_bytes_ >= options.max_in_flight_publish_bytes);
}

asio::awaitable<void> Session::ReadLoop(
    [[maybe_unused]] std::shared_ptr<Session> self) {
  while (!stop_reading_ && !closed_) {
    if (ReaderMustWait()) {
      // The peer is not reading its replies, or storage is behind its
      // publishes: take no more requests; TCP pushes back on the peer.
      reader_waiting_ = true;
      reader_wake_.expires_at(asio::steady_timer::time_point::max());
      co_await reader_wake_.async_wait(kNoThrow);
      reader_waiting_ = false;
      // Our pause is neither the peer's idleness nor its slowness.
      last_received_ = Clock::now();
      partial_since_ = last_received_;
      continue;
    }
    absl::StatusOr<bool> got = decoder_.Next(&frame_);
    if (!got.ok()) {
      Fatal(got.status());
      break;
    }
    if (*got) {
      has_partial_frame_ = false;
      HandleFrame(frame_);
      continue;
    }
    if (decoder_.buffered_bytes() > 0 && !has_partial_frame_) {
      has_partial_frame_ = true;
      partial_since_ = last_received_;
    }
    std::span<char> space = decoder_.PrepareBuffer(read_chunk_bytes_);
    auto [ec, n] = co_await socket_.async_read_some(
        asio::buffer(space.data(), space.size()), kNoThrow);
    if (ec) {
      if (stop_reading_) break;  // woken by Fatal or BeginDrain
      if (ec == asio::error::eof && decoder_.buffered_bytes() > 0) {
        Log(LogLevel::kInfo, "session",
            absl::StrCat(peer_, ": connection closed mid-frame (",
                         decoder_.buffered_bytes(), " bytes dropped)"));
      } else if (ec != asio::error::eof &&
                 ec != asio::error::operation_aborted) {
        closed_ = true;  // reset: nobody is left to write to
      }
      break;
    }
    last_received_ = Clock::now();
    decoder_.Commit(n);
    if (n == space.size()) {
      read_chunk_bytes_ = std::min(2 * read_chunk_bytes_, kMaxReadChunkBytes);
    }
  }
  EndReading();
}

void Session::EndReading() {
  reader_done_ = true;
  reading_ended_at_ = Clock::now();
  CloseSubscriptions();
  WakeWriter();
}

void Session::Close() {
  closed_ = true;
  std::error_code ignored;
  socket_.close(ignored);
  reader_wake_.cancel();
  WakeWriter();
}

asio::awaitable<void> Session::WriteLoop(
    [[maybe_unused]] std::shared_ptr<Session> self) {
  while (!closed_) {
    if (queue_.empty()) {
      if (reader_done_ && pending_publishes_ == 0 &&
          pending_admin_replies_ == 0) {
        break;
      }
      writer_wake_.expires_at(asio::steady_timer::time_point::max());
      co_await writer_wake_.async_wait(kNoThrow);
      continue;
    }
    write_buffers_.clear();
    size_t frames = 0;
    size_t bytes = 0;
    for (const Outbound& out : queue_) {
      if (frames == kMaxWriteFrames || bytes >= kMaxWriteBytes) break;
      write_buffers_.push_back(asio::buffer(out.bytes));
      bytes += out.bytes.size();
      if (out.batch) {
        write_buffers_.push_back(asio::buffer(out.batch->body));
        bytes += out.batch->body.size();
      }
      ++frames;
    }
    auto [ec, written] =
        co_await asio::async_write(socket_, write_buffers_, kNoThrow);
    if (ec) {
      closed_ = true;
      break;
    }
    queue_.erase(queue_.begin(), queue_.begin() + frames);
    outbound_bytes_ -= bytes;
    if (outbound_bytes_ <= context_.options->max_outbound_bytes) {
      reader_wake_.cancel();
      if (delivery_blocked_) {
        delivery_blocked_ = false;
        for (const auto& [id, subscription] : subscriptions_) {
          subscription->Resume();
        }
      }
    }
  }
  Finish();
}

void Session::Finish() {
  if (watching_metadata_) {
    watching_metadata_ = false;
    context_.registry->UnwatchMetadata(this);
  }
  stop_reading_ = true;
  Close();
  CloseSubscriptions();
  bound_keys_.MarkAllStale("session-ended");
  queue_.clear();
  outbound_bytes_ = 0;
  shard_->sessions().erase(shared_from_this());
}

bool Session::HasRoom() const {
  if (closed_) return false;
  if (outbound_bytes_ < context_.options->max_outbound_bytes) return true;
  delivery_blocked_ = true;
  return false;
}

void Session::Deliver(uint64_t subscription_id,
                      std::shared_ptr<const DeliveryBatch> batch,
                      uint32_t delivery_count) {
  Enqueue({DeliveryPrefix(subscription_id, *batch, delivery_count),
           std::move(batch)});
}

void Session::SnapshotEnd(uint64_t subscription_id, const std::string& topic,
                          uint32_t partition) {
  wire::Frame frame;
  wire::SnapshotEnd* end = frame.mutable_snapshot_end();
  end->set_subscription_id(subscription_id);
  end->set_topic(topic);
  end->set_partition(partition);
  Reply(0, frame);
}

void Session::Reply(uint64_t correlation_id, wire::Frame& frame) {
  frame.set_correlation_id(correlation_id);
  Enqueue({proto::EncodeFrame(frame), nullptr});
}

void Session::ReplyError(uint64_t correlation_id, const absl::Status& status) {
  wire::Frame frame;
  proto::StatusToWire(status, frame.mutable_error());
  Reply(correlation_id, frame);
}

void Session::Fatal(const absl::Status& status) {
  if (fatal_sent_ || closed_) return;
  Log(LogLevel::kInfo, "session",
      absl::StrCat(peer_, ": closing: ", status.ToString()));
  ReplyError(0, status);
  fatal_sent_ = true;
  stop_reading_ = true;
  std::error_code ignored;
  // Wakes a pending read with EOF; the writer sends the error, then closes.
  socket_.shutdown(asio::ip::tcp::socket::shutdown_receive, ignored);
  reader_wake_.cancel();
}

void Session::FailSubscription(uint64_t subscription_id,
                               const absl::Status& status) {
  if (!subscriptions_.contains(subscription_id)) return;
  wire::Frame frame;
  wire::SubscriptionEnded* ended = frame.mutable_subscription_ended();
  ended->set_subscription_id(subscription_id);
  proto::StatusToWire(status, ended->mutable_status());
  Reply(0, frame);
  // Not from inside the cursor that failed: it is still on the stack.
  asio::post(shard_->executor(), [self = shared_from_this(), subscription_id] {
    self->CloseSubscription(subscription_id);
  });
}

void Session::OnMetadataChanged(uint64_t version) {
  if (metadata_push_posted_.exchange(true)) return;
  asio::post(shard_->executor(), [self = shared_from_this(), version] {
    self->metadata_push_posted_.store(false);
    wire::Frame frame;
    // The latest version: later changes meanwhile share this push.
    frame.mutable_metadata_changed()->set_version(
        std::max(version, self->context_.registry->metadata_version()));
    self->Reply(0, frame);
  });
}

void Session::CheckTimeouts(Clock::time_point now) {
  if (closed_) return;
  const BrokerOptions& options = *context_.options;
  const auto frame_timeout = absl::ToChronoNanoseconds(options.frame_timeout);
  if (reader_done_) {
    // The peer ended its stream, or reading stopped (an error sent, a
    // drain): a peer that does not read what is owed is dropped.
    if (now - reading_ended_at_ > frame_timeout) Close();
    return;
  }
  if (stop_reading_) return;  // the reader is about to end
  if (!greeted_ && now - accepted_at_ >
                       absl::ToChronoNanoseconds(options.handshake_timeout)) {
    Fatal(absl::DeadlineExceededError(absl::StrCat(
        "no Hello within ", absl::FormatDuration(options.handshake_timeout),
        " of connecting (--handshake-timeout)")));
  } else if (has_partial_frame_ && !reader_waiting_ &&
             now - partial_since_ > frame_timeout) {
    Fatal(absl::DeadlineExceededError(absl::StrCat(
        "a frame was not complete ",
        absl::FormatDuration(options.frame_timeout), " after its first bytes (",
        decoder_.buffered_bytes(), " bytes came; --frame-timeout)")));
  } else if (options.idle_timeout > absl::ZeroDuration() && !reader_waiting_ &&
             now - last_received_ >
                 absl::ToChronoNanoseconds(options.idle_timeout)) {
    Fatal(absl::DeadlineExceededError(absl::StrCat(
        "nothing received for ", absl::FormatDuration(options.idle_timeout),
        " (--idle-timeout)")));
  }
}

void Session::Enqueue(Outbound outbound) {
  if (closed_) return;
  outbound_bytes_ += outbound.bytes.size();
  if (outbound.batch) outbound_bytes_ += outbound.batch->body.size();
  queue_.push_back(std::move(outbound));
  WakeWriter();
}

void Session::WakeWriter() { writer_wake_.cancel(); }

}  // namespace chorus::broker
