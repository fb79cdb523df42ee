// Helpers shared by the integration tests: a running broker with a connected
// client, and a thread-safe collector of delivered messages.
//
//   BrokerFixture f;                       // in a TEST_F
//   auto sub = f.client->Subscribe("t", {}, collector.Handler());
//   ASSERT_TRUE(collector.WaitFor(10));
#ifndef CHORUS_TESTS_INTEGRATION_TEST_UTIL_H_
#define CHORUS_TESTS_INTEGRATION_TEST_UTIL_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "client/client.h"
#include "gtest/gtest.h"
#include "tests/integration/broker_process.h"
#include "tests/integration/raw_connection.h"
#include "tests/integration/subprocess.h"

namespace chorus::testing {

// An owned copy of a delivered message.
struct Received {
  std::string topic;
  uint32_t partition = 0;
  uint64_t offset = 0;
  int64_t timestamp_ms = 0;
  std::string publisher;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
  uint32_t delivery_count = 0;

  // A view for Subscription::Ack and Nack; valid while this lives.
  ReceivedMessage View() const;
};

class Collector {
 public:
  // A handler for Client::Subscribe that records every message.
  Client::MessageHandler Handler();
  // Waits until at least `count` messages arrived; false on timeout.
  bool WaitFor(size_t count, absl::Duration timeout = absl::Seconds(20));
  // Waits until `done` holds for the messages held (received and not yet
  // taken); false on timeout.
  bool WaitUntil(const std::function<bool(const std::vector<Received>&)>& done,
                 absl::Duration timeout = absl::Seconds(20));
  std::vector<Received> Take();
  size_t size();

 private:
  std::mutex mutex_;
  std::condition_variable changed_;  // notified on every message
  std::vector<Received> messages_ ABSL_GUARDED_BY(mutex_);
};

// Samples a broker's resident memory (VmRSS) every 10 ms from construction
// until destruction, keeping the peak: evidence that an abusive load leaves
// the broker's memory bounded.
class PeakMemory {
 public:
  explicit PeakMemory(const BrokerProcess& broker);
  ~PeakMemory();
  size_t baseline() const { return baseline_; }
  size_t peak() const { return peak_.load(); }
  // How far the peak rose above the baseline, in MiB.
  double GrowthMiB() const;
  // Whether the peak stayed within `mib` of the baseline. Always true in
  // sanitizer builds: their runtimes keep freed memory (ASan's quarantine)
  // and shadow memory, so RSS bounds only mean something in plain builds.
  bool GrewLessThan(double mib) const;

 private:
  const BrokerProcess& broker_;
  const size_t baseline_;
  std::atomic<size_t> peak_;
  std::atomic<bool> stop_{false};
  std::thread sampler_;
};

// Expects a connection-level Error (correlation id 0) with `code` whose
// message holds `text`, then the broker's close of `raw`.
void ExpectClosedWithError(RawConnection& raw, absl::StatusCode code,
                           const std::string& text);

// Connects a client to `broker`, failing the test on error.
std::unique_ptr<Client> ConnectOrDie(const BrokerProcess& broker,
                                     std::string name = "it-client",
                                     ClientOptions options = {});
// Options for a client that must not wait long for a broker that is gone
// (it closes within a second).
ClientOptions Impatient();

// A Subscribe frame (subscription id = correlation id) with ample credit,
// for protocol-level tests over a RawConnection.
wire::Frame SubscribeFrame(uint64_t correlation_id, const std::string& filter,
                           wire::StartPosition::Kind start);

// Publishes `count` messages "<prefix><i>" and waits for every ack.
std::vector<PublishResult> PublishAll(Client& client, const std::string& topic,
                                      int count,
                                      const std::string& prefix = "m");

// Reads the stored messages of `topic` from the start until `expected` have
// arrived (failing the test if they do not), and returns what came: those and
// whatever more is stored (a Ping follows them).
std::vector<Received> ReadFromStart(Client& client, const std::string& topic,
                                    size_t expected);

class BrokerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  // Flags for chorusd on top of the harness's; override to change.
  virtual std::vector<std::string> BrokerFlags() { return {}; }

  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<Client> client_;
};

// A broker and the chorus tool pointed at it.
class CliBrokerTest : public BrokerTest {
 protected:
  // Runs `chorus ARGS... --server=ADDRESS` to completion with `input` on
  // stdin.
  CommandResult Chorus(std::vector<std::string> args,
                       const std::string& input = "");
  // Starts `chorus ARGS... --server=ADDRESS` and returns at once.
  std::unique_ptr<Subprocess> StartChorus(std::vector<std::string> args);
  // The non-empty lines of `text`.
  static std::vector<std::string> Lines(const std::string& text);
};

}  // namespace chorus::testing

#endif  // CHORUS_TESTS_INTEGRATION_TEST_UTIL_H_
