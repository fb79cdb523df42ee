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
//
// A failure can depend on what earlier inputs left behind, so a run can
// record its inputs in order: with CHORUS_FUZZ_RECORD=DIR each input (the
// first kMaxRecorded) is written to DIR/NNNNNNNN before it is sent. With
// CHORUS_FUZZ_REPLAY=DIR the target runs every file of DIR in name order
// against its one broker and exits (0 when each connection finished);
// minimize_sequence.py uses it to find the shortest list that still fails.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "broker/broker.h"
#include "common/log.h"
#include "google/protobuf/stubs/logging.h"
#include "proto/frame_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

// Longest the broker may take to close a connection after its input ends.
constexpr int kCloseTimeoutMs = 10'000;

chorus::broker::Broker* broker = nullptr;
uint16_t port = 0;
// Inputs a run records at most (CHORUS_FUZZ_RECORD): the first 100,000 of a
// long hunt, about 60 s of fuzzing here.
constexpr uint64_t kMaxRecorded = 100'000;
const char* record_dir = nullptr;  // CHORUS_FUZZ_RECORD
uint64_t recorded = 0;

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

// Waits up to kCloseTimeoutMs for `events` on `fd`; the revents, or 0 on
// timeout. libFuzzer's timer (SIGALRM, for -timeout) interrupts poll: an
// interrupted wait goes on for the time left instead of counting as a
// timeout, which once made signals look like hangs of the broker (issue 16).
short WaitFor(int fd, short events) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(kCloseTimeoutMs);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Clock::now());
    if (left.count() <= 0) return 0;
    pollfd p{fd, events, 0};
    const int ready = poll(&p, 1, static_cast<int>(left.count()));
    if (ready > 0) return p.revents;
    if (ready < 0 && errno != EINTR) Die("poll");
  }
}

// Connects to the broker, resuming a connect that a signal interrupted.
int Connect() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) Die("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) ==
      0) {
    return fd;
  }
  if (errno != EINTR) Die("connect");
  // The connection goes on in the background; it is done once writable.
  int error = 0;
  socklen_t length = sizeof(error);
  if (WaitFor(fd, POLLOUT) == 0 ||
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 ||
      error != 0) {
    Die("connect");
  }
  return fd;
}

// Sends `bytes` without blocking on a full socket: reads (and drops) what the
// broker sends meanwhile, since it may stop reading while we do not read.
void SendAll(int fd, const std::string& bytes) {
  size_t sent = 0;
  char sink[64 * 1024];
  while (sent < bytes.size()) {
    const short revents = WaitFor(fd, POLLOUT | POLLIN);
    if (revents == 0) Die("broker stopped reading");
    if (revents & POLLIN) {
      const ssize_t n = read(fd, sink, sizeof(sink));
      if (n == 0 || (n < 0 && errno != EINTR)) return;  // it closed on us
    }
    if (revents & (POLLERR | POLLHUP)) return;
    if (revents & POLLOUT) {
      const ssize_t n =
          send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return;  // reset: the broker refused the stream
      sent += static_cast<size_t>(n);
    }
  }
}

// Reads until the broker closes; aborts if it sends nothing and does not
// close for kCloseTimeoutMs.
void DrainUntilClosed(int fd) {
  char sink[64 * 1024];
  for (;;) {
    if (WaitFor(fd, POLLIN) == 0) {
      std::fprintf(stderr, "broker did not close the connection in %d ms\n",
                   kCloseTimeoutMs);
      std::abort();
    }
    const ssize_t n = read(fd, sink, sizeof(sink));
    if (n == 0 || (n < 0 && errno != EINTR)) return;
  }
}

// Writes the input to record_dir as the next file of the sequence.
void Record(const uint8_t* data, size_t size) {
  if (recorded == kMaxRecorded) {
    std::fprintf(stderr, "CHORUS_FUZZ_RECORD: recorded %llu inputs, no more\n",
                 static_cast<unsigned long long>(recorded));
  }
  if (recorded >= kMaxRecorded) return;
  char name[32];
  std::snprintf(name, sizeof(name), "/%08llu",
                static_cast<unsigned long long>(recorded++));
  const std::string path = std::string(record_dir) + name;
  FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) Die(path.c_str());
  if (std::fwrite(data, 1, size, file) != size || std::fclose(file) != 0) {
    Die(path.c_str());
  }
}

// Runs every file of `dir` in name order (CHORUS_FUZZ_REPLAY), then exits.
void ReplaySequence(const char* dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const std::filesystem::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    const std::string input((std::istreambuf_iterator<char>(in)),
                            std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()),
                           input.size());
  }
  std::fprintf(stderr, "replayed %zu inputs of %s\n", files.size(), dir);
  std::exit(0);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  chorus::SetMinLogLevel(chorus::LogLevel::kError);
  record_dir = std::getenv("CHORUS_FUZZ_RECORD");
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
  if (const char* replay = std::getenv("CHORUS_FUZZ_REPLAY")) {
    ReplaySequence(replay);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (record_dir != nullptr) Record(data, size);
  const int fd = Connect();
  std::string bytes = HelloBytes();
  bytes.append(reinterpret_cast<const char*>(data), size);
  SendAll(fd, bytes);
  shutdown(fd, SHUT_WR);
  DrainUntilClosed(fd);
  close(fd);
  return 0;
}
