// Fuzzes the broker's request handling end to end: a real in-process Broker
// (two shards, a temporary data folder, fsync=never) gets each input over a
// fresh TCP connection, after a valid Hello, as a stream of frames. The
// connection is then half-closed and the broker must finish it: answer what
// it can, close the connection, never crash, hang or trip a sanitizer.
//
// Inputs that are frame streams reach every handler (Publish, Subscribe,
// Credit, Unsubscribe, topic admin, Ping); see corpus/broker_session_fuzz/.
// State (topics, stored messages) carries over between inputs, as it would
// between clients.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "broker/broker.h"
#include "common/log.h"
#include "google/protobuf/stubs/logging.h"
#include "proto/frame_codec.h"

namespace {

// Longest the broker may take to close a connection after its input ends.
constexpr int kCloseTimeoutMs = 10'000;

chorus::broker::Broker* broker = nullptr;
uint16_t port = 0;

void Die(const char* what) {
  std::perror(what);
  std::abort();
}

std::string HelloBytes() {
  chorus::wire::Frame hello;
  hello.set_correlation_id(1);
  hello.mutable_hello()->set_protocol_version(chorus::proto::kProtocolVersion);
  hello.mutable_hello()->set_client_name("fuzz");
  return chorus::proto::EncodeFrame(hello);
}

// Sends `bytes` without blocking on a full socket: reads (and drops) what the
// broker sends meanwhile, since it may stop reading while we do not read.
void SendAll(int fd, const std::string& bytes) {
  size_t sent = 0;
  char sink[64 * 1024];
  while (sent < bytes.size()) {
    pollfd p{fd, POLLOUT | POLLIN, 0};
    if (poll(&p, 1, kCloseTimeoutMs) <= 0) Die("broker stopped reading");
    if (p.revents & POLLIN) {
      if (read(fd, sink, sizeof(sink)) <= 0) return;  // it closed on us
    }
    if (p.revents & (POLLERR | POLLHUP)) return;
    if (p.revents & POLLOUT) {
      const ssize_t n =
          send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n < 0) return;  // reset: the broker refused the stream
      sent += static_cast<size_t>(n);
    }
  }
}

// Reads until the broker closes; aborts if it never does.
void DrainUntilClosed(int fd) {
  char sink[64 * 1024];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, kCloseTimeoutMs) <= 0) {
      std::fprintf(stderr, "broker did not close the connection in %d ms\n",
                   kCloseTimeoutMs);
      std::abort();
    }
    if (read(fd, sink, sizeof(sink)) <= 0) return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  chorus::SetMinLogLevel(chorus::LogLevel::kError);
  google::protobuf::SetLogHandler(nullptr);  // as chorusd does
  // Under $TMPDIR, which the runner (deploy/run-fuzzers.sh) removes after.
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr ? tmp : "/tmp") + "/chorus-fuzz-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) Die("mkdtemp");
  chorus::broker::BrokerOptions options;
  options.listen_port = 0;
  options.threads = 2;
  options.store.data_dir = pattern;
  options.store.fsync = chorus::storage::FsyncMode::kNever;
  options.max_frame_bytes = 256 * 1024;
  options.max_message_bytes = 64 * 1024;
  absl::StatusOr<std::unique_ptr<chorus::broker::Broker>> started =
      chorus::broker::Broker::Start(options);
  if (!started.ok()) {
    std::fprintf(stderr, "%s\n", started.status().ToString().c_str());
    std::abort();
  }
  broker = started->release();  // lives for the process
  const std::string endpoint = broker->endpoint();
  uint32_t parsed = 0;
  if (!absl::SimpleAtoi(endpoint.substr(endpoint.rfind(':') + 1), &parsed)) {
    std::abort();
  }
  port = static_cast<uint16_t>(parsed);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) Die("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
      0) {
    Die("connect");
  }
  std::string bytes = HelloBytes();
  bytes.append(reinterpret_cast<const char*>(data), size);
  SendAll(fd, bytes);
  shutdown(fd, SHUT_WR);
  DrainUntilClosed(fd);
  close(fd);
  return 0;
}
