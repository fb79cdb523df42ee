#include "bench/load/chorus_clients.h"

#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "proto/frame_codec.h"

namespace chorus::bench {
namespace {

// Bytes a record takes beyond its value in a publish batch (tags and
// lengths), for the in-flight cap in bytes.
constexpr size_t kRecordOverheadBytes = 16;

}  // namespace

absl::StatusOr<std::unique_ptr<Client>> ConnectClient(const BenchConfig& config,
                                                      absl::Duration linger) {
  ClientOptions options;
  options.client_name = "chorus-bench";
  options.linger = linger;
  options.batch_max_bytes = config.batch_bytes;
  options.max_in_flight_bytes =
      config.max_in_flight * (config.message_bytes + kRecordOverheadBytes);
  return Client::Connect(config.server, options);
}

void PublishStamped(Client& client, uint64_t first, uint64_t count,
                    const BenchConfig& config,
                    const std::function<std::string_view(uint64_t)>& topic_of,
                    ErrorLatch& acks) {
  std::string payload = MakePayload(config.message_bytes);
  for (uint64_t i = first; i < first + count; ++i) {
    StampPayload({i, NowNanos()}, payload);
    client.Publish(topic_of(i), Message{.value = payload},
                   [&acks](absl::StatusOr<PublishResult> result) {
                     if (result.ok()) {
                       acks.Succeeded();
                     } else {
                       acks.Failed(result.status().ToString());
                     }
                   });
  }
}

SubscribeOptions SubscriberOptions(const BenchConfig& config,
                                   StartPosition start) {
  SubscribeOptions options;
  options.start = start;
  options.credit_messages = config.credit;
  options.credit_bytes = config.credit * (config.message_bytes + 64);
  return options;
}

absl::StatusOr<int> OpenIdleConnection(const BenchConfig& config) {
  absl::StatusOr<int> fd = ConnectTcp(config.server);
  if (!fd.ok()) return fd.status();
  wire::Frame hello;
  hello.mutable_hello()->set_protocol_version(proto::kProtocolVersion);
  hello.mutable_hello()->set_client_name("chorus-bench-idle");
  const std::string bytes = proto::EncodeFrame(hello);
  proto::FrameDecoder decoder(proto::kDefaultMaxFrameBytes);
  wire::Frame reply;
  absl::Status status = WriteAll(*fd, bytes);
  while (status.ok()) {
    absl::StatusOr<bool> got = decoder.Next(&reply);
    if (!got.ok()) {
      status = got.status();
    } else if (*got) {
      if (!reply.has_welcome()) {
        status = absl::UnavailableError(
            "the broker answered Hello with "
            "something other than Welcome");
      }
      break;
    } else {
      std::span<char> space = decoder.PrepareBuffer(4096);
      const ssize_t n = read(*fd, space.data(), space.size());
      if (n <= 0) {
        status = absl::UnavailableError("connection closed during Hello");
      } else {
        decoder.Commit(n);
      }
    }
  }
  if (!status.ok()) {
    close(*fd);
    return status;
  }
  return *fd;
}

}  // namespace chorus::bench
