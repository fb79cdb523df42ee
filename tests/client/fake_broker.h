// FakeBroker: a scripted broker for client tests, speaking the framed
// protocol on 127.0.0.1 with an ephemeral port.
//
//   FakeBroker broker;
//   broker.OnFrame([&](const wire::Frame& f) {
//     if (f.has_ping()) broker.Reply(f, [](wire::Frame* r) { r->mutable_pong();
//     });
//   });
//   auto client = Client::Connect(broker.address());
//   EXPECT_TRUE((*client)->Ping().ok());
//
// It answers Hello itself (Welcome, or the refusal given in Options) and
// Metadata (every topic asked for exists, with Options::partitions), and
// hands every other frame to the OnFrame handler, on its own thread. One
// connection at a time: a new one (a client reconnecting) replaces the
// previous one.
#ifndef CHORUS_TESTS_CLIENT_FAKE_BROKER_H_
#define CHORUS_TESTS_CLIENT_FAKE_BROKER_H_

#include <asio.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "proto/frame_codec.h"
#include "proto/protocol.pb.h"

namespace chorus::testing {

class FakeBroker {
 public:
  struct Options {
    // Answer Hello at all (false: stay silent, to test connect timeouts).
    bool answer_hello = true;
    // When not OK, Hello gets this error and the connection is closed.
    absl::Status refuse_hello;
    uint64_t max_frame_bytes = 8 << 20;
    uint64_t max_message_bytes = 0;
    // Partitions of every topic in Metadata answers.
    uint32_t partitions = 1;
  };

  FakeBroker() : FakeBroker(Options{}) {}
  explicit FakeBroker(Options options);
  ~FakeBroker();

  // "127.0.0.1:PORT".
  std::string address() const;

  // Called on the broker thread for every frame after Hello. Set it before a
  // client connects.
  void OnFrame(std::function<void(const wire::Frame&)> handler);

  // Sends `frame` to the current connection. Thread-safe.
  void Send(wire::Frame frame);
  // Sends a response to `request`: same correlation id, body set by `fill`.
  void Reply(const wire::Frame& request,
             const std::function<void(wire::Frame*)>& fill);
  // Replies to `request` with an error.
  void ReplyError(const wire::Frame& request, const absl::Status& status);
  // Closes the current connection (the client sees EOF).
  void Disconnect();

  // Waits until at least `n` frames (after Hello) arrived; returns all of
  // them so far (fewer on timeout).
  std::vector<wire::Frame> WaitForFrames(
      size_t n, absl::Duration timeout = absl::Seconds(10));
  // The Hello of the latest connection (empty before one arrives).
  wire::Hello hello() const;
  // Waits until `n` connections said Hello; false on timeout.
  bool WaitForConnections(size_t n, absl::Duration timeout = absl::Seconds(10));

 private:
  struct Connection;
  void Accept();
  void Read(std::shared_ptr<Connection> connection);
  void Handle(const std::shared_ptr<Connection>& connection,
              const wire::Frame& frame);
  void Write(const std::shared_ptr<Connection>& connection,
             const wire::Frame& frame);
  void AnswerMetadata(const std::shared_ptr<Connection>& connection,
                      const wire::Frame& request);

  const Options options_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  // Broker thread only.
  std::shared_ptr<Connection> current_;
  std::function<void(const wire::Frame&)> handler_;

  mutable std::mutex mu_;
  std::condition_variable frames_changed_;
  std::vector<wire::Frame> frames_ ABSL_GUARDED_BY(mu_);
  wire::Hello hello_ ABSL_GUARDED_BY(mu_);
  size_t connections_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace chorus::testing

#endif  // CHORUS_TESTS_CLIENT_FAKE_BROKER_H_
