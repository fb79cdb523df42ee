#include "bench/peers/nats_clients.h"

#include <unistd.h>

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "common/string_views.h"

namespace chorus::bench {
namespace {

std::string StreamName(const std::string& subject) {
  return absl::StrCat("BENCH_", absl::StrReplaceAll(subject, {{".", "_"}}));
}

void OnPublishAck(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error,
                  void* closure) {
  auto* acks = static_cast<ErrorLatch*>(closure);
  if (ack != nullptr) {
    acks->Succeeded();
  } else {
    acks->Failed(error != nullptr && error->ErrText != nullptr
                     ? error->ErrText
                     : "publish failed");
  }
  natsMsg_Destroy(msg);
}

}  // namespace

absl::Status FromNats(natsStatus status, std::string_view what) {
  if (status == NATS_OK) return absl::OkStatus();
  const char* last = nats_GetLastError(nullptr);
  return absl::UnavailableError(absl::StrCat(AsAbsl(what), ": ",
                                             natsStatus_GetText(status), " (",
                                             last ? last : "", ")"));
}

absl::StatusOr<NatsConnection> ConnectNats(const BenchConfig& config,
                                           bool send_asap) {
  natsOptions* raw = nullptr;
  CHORUS_RETURN_IF_ERROR(FromNats(natsOptions_Create(&raw), "nats options"));
  std::unique_ptr<natsOptions, void (*)(natsOptions*)> options(
      raw, natsOptions_Destroy);
  natsStatus s = natsOptions_SetURL(raw, config.server.c_str());
  if (s == NATS_OK) {
    s = natsOptions_SetIOBufSize(raw, static_cast<int>(config.batch_bytes));
  }
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(raw, false);
  if (s == NATS_OK) s = natsOptions_SetSendAsap(raw, send_asap);
  CHORUS_RETURN_IF_ERROR(FromNats(s, "nats options"));
  natsConnection* nc = nullptr;
  CHORUS_RETURN_IF_ERROR(FromNats(natsConnection_Connect(&nc, raw),
                                  absl::StrCat("connect ", config.server)));
  return NatsConnection(nc);
}

absl::Status CreateStream(const BenchConfig& config,
                          const std::string& subject) {
  CHORUS_ASSIGN_OR_RETURN(NatsConnection nc, ConnectNats(config));
  jsCtx* raw = nullptr;
  CHORUS_RETURN_IF_ERROR(
      FromNats(natsConnection_JetStream(&raw, nc.get(), nullptr), "jetstream"));
  JetStream js(raw);
  const std::string name = StreamName(subject);
  const char* subjects[] = {subject.c_str()};
  jsStreamConfig stream;
  jsStreamConfig_Init(&stream);
  stream.Name = name.c_str();
  stream.Subjects = subjects;
  stream.SubjectsLen = 1;
  stream.Storage = js_FileStorage;
  jsStreamInfo* info = nullptr;
  jsErrCode error = static_cast<jsErrCode>(0);
  CHORUS_RETURN_IF_ERROR(
      FromNats(js_AddStream(&info, js.get(), &stream, nullptr, &error),
               absl::StrCat("create stream ", name)));
  jsStreamInfo_Destroy(info);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<TrackedSubscription>> TrackedSubscription::Core(
    natsConnection* nc, const std::string& subject, ArrivalTracker* tracker,
    int receiver, std::vector<int64_t>* latencies) {
  auto tracked = std::unique_ptr<TrackedSubscription>(new TrackedSubscription);
  tracked->tracker_ = tracker;
  tracked->receiver_ = receiver;
  tracked->latencies_ = latencies;
  natsStatus s = natsConnection_Subscribe(
      &tracked->subscription_, nc, subject.c_str(), &OnMessage, tracked.get());
  if (s == NATS_OK) {
    s = natsSubscription_SetPendingLimits(tracked->subscription_, -1, -1);
  }
  // The server has the subscription once it answered a PING sent after it.
  if (s == NATS_OK) s = natsConnection_Flush(nc);
  CHORUS_RETURN_IF_ERROR(FromNats(s, absl::StrCat("subscribe ", subject)));
  return tracked;
}

absl::StatusOr<std::unique_ptr<TrackedSubscription>>
TrackedSubscription::ReplayAll(jsCtx* js, const std::string& subject,
                               ArrivalTracker* tracker) {
  auto tracked = std::unique_ptr<TrackedSubscription>(new TrackedSubscription);
  tracked->tracker_ = tracker;
  jsSubOptions options;
  jsSubOptions_Init(&options);
  options.Ordered = true;
  options.Config.DeliverPolicy = js_DeliverAll;
  jsErrCode error = static_cast<jsErrCode>(0);
  CHORUS_RETURN_IF_ERROR(FromNats(
      js_Subscribe(&tracked->subscription_, js, subject.c_str(), &OnMessage,
                   tracked.get(), nullptr, &options, &error),
      absl::StrCat("replay ", subject)));
  return tracked;
}

TrackedSubscription::~TrackedSubscription() {
  if (subscription_ != nullptr) {
    natsSubscription_Unsubscribe(subscription_);
    natsSubscription_Destroy(subscription_);
  }
}

void TrackedSubscription::OnMessage(natsConnection*, natsSubscription*,
                                    natsMsg* msg, void* closure) {
  auto* self = static_cast<TrackedSubscription*>(closure);
  const Stamp stamp = ReadStamp(std::string_view(
      natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg))));
  if (self->latencies_ != nullptr &&
      stamp.sequence < self->latencies_->size()) {
    (*self->latencies_)[stamp.sequence] = NowNanos() - stamp.sent_ns;
  }
  self->tracker_->Receive(self->receiver_, stamp.sequence);
  natsMsg_Destroy(msg);
}

absl::Status PublishCore(
    natsConnection* nc, uint64_t first, uint64_t count,
    const BenchConfig& config,
    const std::function<const std::string&(uint64_t)>& subject_of) {
  std::string payload = MakePayload(config.message_bytes);
  for (uint64_t i = first; i < first + count; ++i) {
    StampPayload({i, NowNanos()}, payload);
    CHORUS_RETURN_IF_ERROR(FromNats(
        natsConnection_Publish(nc, subject_of(i).c_str(), payload.data(),
                               static_cast<int>(payload.size())),
        "publish"));
    if ((i - first + 1) % config.max_in_flight == 0) {
      CHORUS_RETURN_IF_ERROR(FromNats(natsConnection_Flush(nc), "flush"));
    }
  }
  return FromNats(natsConnection_Flush(nc), "flush");
}

absl::StatusOr<double> JetStreamPublishAndTime(const BenchConfig& config,
                                               const std::string& subject) {
  ErrorLatch acks;
  std::vector<NatsConnection> connections;
  std::vector<JetStream> contexts;
  for (int p = 0; p < config.publishers; ++p) {
    CHORUS_ASSIGN_OR_RETURN(NatsConnection nc, ConnectNats(config));
    jsOptions options;
    jsOptions_Init(&options);
    options.PublishAsync.MaxPending =
        static_cast<int64_t>(config.max_in_flight);
    options.PublishAsync.AckHandler = &OnPublishAck;
    options.PublishAsync.AckHandlerClosure = &acks;
    jsCtx* js = nullptr;
    CHORUS_RETURN_IF_ERROR(FromNats(
        natsConnection_JetStream(&js, nc.get(), &options), "jetstream"));
    connections.push_back(std::move(nc));
    contexts.emplace_back(js);
  }
  const uint64_t per_publisher = config.messages / config.publishers;
  std::vector<absl::Status> published(config.publishers);
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int p = 0; p < config.publishers; ++p) {
    threads.emplace_back([&, p] {
      jsCtx* js = contexts[p].get();
      std::string payload = MakePayload(config.message_bytes);
      for (uint64_t i = p * per_publisher; i < (p + 1) * per_publisher; ++i) {
        StampPayload({i, NowNanos()}, payload);
        published[p] =
            FromNats(js_PublishAsync(js, subject.c_str(), payload.data(),
                                     static_cast<int>(payload.size()), nullptr),
                     "publish");
        if (!published[p].ok()) return;
      }
      jsPubOptions wait;
      jsPubOptions_Init(&wait);
      wait.MaxWait = absl::ToInt64Milliseconds(config.max_time);
      published[p] =
          FromNats(js_PublishAsyncComplete(js, &wait), "wait for publish acks");
    });
  }
  for (std::thread& thread : threads) thread.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  contexts.clear();
  connections.clear();
  for (const absl::Status& status : published) CHORUS_RETURN_IF_ERROR(status);
  CHORUS_RETURN_IF_ERROR(
      acks.ExpectSucceeded(per_publisher * config.publishers));
  return seconds;
}

absl::StatusOr<int> OpenIdleNatsConnection(const BenchConfig& config) {
  CHORUS_ASSIGN_OR_RETURN(const int fd, ConnectTcp(config.server));
  absl::Status status = WriteAll(
      fd, "CONNECT {\"verbose\":false,\"pedantic\":false}\r\nPING\r\n");
  std::string received;
  char buffer[4096];
  while (status.ok() && received.find("PONG\r\n") == std::string::npos) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) {
      status = absl::UnavailableError("connection closed during CONNECT");
    } else {
      received.append(buffer, n);
      if (received.find("-ERR") != std::string::npos) {
        status = absl::UnavailableError(received);
      }
    }
  }
  if (!status.ok()) {
    close(fd);
    return status;
  }
  return fd;
}

}  // namespace chorus::bench
