#include "tests/integration/test_util.h"

#include <future>
#include <mutex>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/sync.h"
#include "gmock/gmock.h"

namespace chorus::testing {

Client::MessageHandler Collector::Handler() {
  return [this](const ReceivedMessage& m) {
    Received r{std::string(m.topic),
               m.partition,
               m.offset,
               m.timestamp_ms,
               std::string(m.publisher),
               std::string(m.key),
               std::string(m.value),
               {},
               m.delivery_count};
    for (const auto& [name, value] : m.headers) {
      r.headers.emplace_back(std::string(name), std::string(value));
    }
    std::lock_guard<std::mutex> lock(mutex_);
    messages_.push_back(std::move(r));
    changed_.notify_all();
  };
}

ReceivedMessage Received::View() const {
  ReceivedMessage message;
  message.topic = topic;
  message.partition = partition;
  message.offset = offset;
  message.timestamp_ms = timestamp_ms;
  message.publisher = publisher;
  message.key = key;
  message.value = value;
  message.delivery_count = delivery_count;
  return message;
}

bool Collector::WaitFor(size_t count, absl::Duration timeout) {
  return WaitUntil(
      [count](const std::vector<Received>& got) { return got.size() >= count; },
      timeout);
}

bool Collector::WaitUntil(
    const std::function<bool(const std::vector<Received>&)>& done,
    absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return chorus::WaitFor(changed_, lock, timeout,
                         [&] { return done(messages_); });
}

std::vector<Received> Collector::Take() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::move(messages_);
}

size_t Collector::size() {
  std::lock_guard<std::mutex> lock(mutex_);
  return messages_.size();
}

PeakMemory::PeakMemory(const BrokerProcess& broker)
    : broker_(broker),
      baseline_(broker.ResidentBytes()),
      peak_(baseline_),
      sampler_([this] {
        while (!stop_.load()) {
          const size_t now = broker_.ResidentBytes();
          if (now > peak_.load()) peak_.store(now);
          absl::SleepFor(absl::Milliseconds(10));
        }
      }) {}

PeakMemory::~PeakMemory() {
  stop_ = true;
  sampler_.join();
}

double PeakMemory::GrowthMiB() const {
  return (static_cast<double>(peak()) - static_cast<double>(baseline_)) /
         (1 << 20);
}

void ExpectClosedWithError(RawConnection& raw, absl::StatusCode code,
                           const std::string& text) {
  absl::StatusOr<wire::Frame> error = raw.ReadFrame(absl::Seconds(20));
  ASSERT_TRUE(error.ok()) << error.status();
  ASSERT_TRUE(error->has_error()) << error->ShortDebugString();
  EXPECT_EQ(error->correlation_id(), 0u);
  EXPECT_EQ(static_cast<int>(error->error().code()), static_cast<int>(code));
  EXPECT_THAT(error->error().message(), ::testing::HasSubstr(text));
  EXPECT_TRUE(raw.WaitForClose(absl::Seconds(20)));
}

bool PeakMemory::GrewLessThan(double mib) const {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  constexpr bool kSanitized = true;
#else
  constexpr bool kSanitized = false;
#endif
  return kSanitized || GrowthMiB() < mib;
}

ClientOptions Impatient() {
  ClientOptions options;
  options.request_timeout = absl::Milliseconds(500);
  return options;
}

std::unique_ptr<Client> ConnectOrDie(const BrokerProcess& broker,
                                     std::string name, ClientOptions options) {
  options.client_name = std::move(name);
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect(broker.address(), options);
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

wire::Frame SubscribeFrame(uint64_t correlation_id, const std::string& filter,
                           wire::StartPosition::Kind start) {
  wire::Frame frame;
  frame.set_correlation_id(correlation_id);
  wire::Subscribe* subscribe = frame.mutable_subscribe();
  subscribe->set_subscription_id(correlation_id);
  subscribe->set_filter(filter);
  subscribe->mutable_start()->set_kind(start);
  subscribe->set_credit_messages(1'000'000);
  subscribe->set_credit_bytes(uint64_t{1} << 30);
  return frame;
}

std::vector<PublishResult> PublishAll(Client& client, const std::string& topic,
                                      int count, const std::string& prefix) {
  std::vector<std::future<absl::StatusOr<PublishResult>>> acks;
  for (int i = 0; i < count; ++i) {
    acks.push_back(
        client.Publish(topic, Message{.value = prefix + std::to_string(i)}));
  }
  std::vector<PublishResult> results;
  for (auto& ack : acks) {
    absl::StatusOr<PublishResult> result = ack.get();
    EXPECT_TRUE(result.ok()) << result.status();
    if (result.ok()) results.push_back(*result);
  }
  return results;
}

std::vector<Received> ReadFromStart(Client& client, const std::string& topic,
                                    size_t expected) {
  Collector collector;
  SubscribeOptions options;
  options.start = StartPosition::Earliest();
  auto sub = client.Subscribe(topic, options, collector.Handler());
  EXPECT_TRUE(sub.ok()) << sub.status();
  EXPECT_TRUE(collector.WaitFor(expected));
  EXPECT_TRUE(client.Ping().ok());
  return collector.Take();
}

void BrokerTest::SetUp() {
  absl::StatusOr<std::unique_ptr<BrokerProcess>> broker =
      BrokerProcess::Start(BrokerFlags());
  ASSERT_TRUE(broker.ok()) << broker.status();
  broker_ = *std::move(broker);
  client_ = ConnectOrDie(*broker_);
  ASSERT_NE(client_, nullptr);
}

namespace {

std::vector<std::string> ChorusArgv(const std::vector<std::string>& args,
                                    const BrokerProcess& broker) {
  std::vector<std::string> argv = {ChorusCliPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--server=" + broker.address());
  return argv;
}

}  // namespace

CommandResult CliBrokerTest::Chorus(std::vector<std::string> args,
                                    const std::string& input) {
  absl::StatusOr<CommandResult> result =
      RunCommand(ChorusArgv(args, *broker_), input, absl::Seconds(30));
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : CommandResult{};
}

std::unique_ptr<Subprocess> CliBrokerTest::StartChorus(
    std::vector<std::string> args) {
  absl::StatusOr<std::unique_ptr<Subprocess>> child =
      Subprocess::Start(ChorusArgv(args, *broker_));
  EXPECT_TRUE(child.ok()) << child.status();
  return child.ok() ? *std::move(child) : nullptr;
}

std::vector<std::string> CliBrokerTest::Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

}  // namespace chorus::testing
