#include "tests/client/fake_broker.h"

#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/sync.h"
#include "proto/wire_status.h"

namespace chorus::testing {

struct FakeBroker::Connection {
  explicit Connection(asio::ip::tcp::socket s)
      : socket(std::move(s)), decoder(proto::kDefaultMaxFrameBytes * 8) {}
  asio::ip::tcp::socket socket;
  proto::FrameDecoder decoder;
  bool greeted = false;
};

FakeBroker::FakeBroker(Options options)
    : options_(std::move(options)),
      acceptor_(io_, asio::ip::tcp::endpoint(
                         asio::ip::make_address("127.0.0.1"), 0)) {
  Accept();
  thread_ = std::thread([this] { io_.run(); });
}

FakeBroker::~FakeBroker() {
  asio::post(io_, [this] {
    std::error_code ignored;
    acceptor_.close(ignored);
    if (current_) current_->socket.close(ignored);
    current_.reset();
  });
  thread_.join();
}

std::string FakeBroker::address() const {
  return absl::StrCat("127.0.0.1:", acceptor_.local_endpoint().port());
}

void FakeBroker::OnFrame(std::function<void(const wire::Frame&)> handler) {
  Notification set;
  asio::post(io_, [&] {
    handler_ = std::move(handler);
    set.Notify();
  });
  set.WaitForNotification();
}

void FakeBroker::Accept() {
  acceptor_.async_accept([this](std::error_code ec, asio::ip::tcp::socket s) {
    if (ec) return;  // closed
    std::error_code ignored;
    if (current_) current_->socket.close(ignored);
    s.set_option(asio::ip::tcp::no_delay(true), ignored);
    current_ = std::make_shared<Connection>(std::move(s));
    Read(current_);
    Accept();
  });
}

void FakeBroker::Read(std::shared_ptr<Connection> connection) {
  std::span<char> space = connection->decoder.PrepareBuffer(64 * 1024);
  connection->socket.async_read_some(
      asio::buffer(space.data(), space.size()),
      [this, connection](std::error_code ec, size_t n) {
        if (ec) return;
        connection->decoder.Commit(n);
        wire::Frame frame;
        while (true) {
          absl::StatusOr<bool> got = connection->decoder.Next(&frame);
          if (!got.ok() || !*got) break;
          Handle(connection, frame);
        }
        if (connection->socket.is_open()) Read(connection);
      });
}

void FakeBroker::Handle(const std::shared_ptr<Connection>& connection,
                        const wire::Frame& frame) {
  if (!connection->greeted) {
    connection->greeted = true;
    {
      std::lock_guard<std::mutex> lock(mu_);
      hello_ = frame.hello();
      ++connections_;
      frames_changed_.notify_all();
    }
    if (!options_.answer_hello) return;
    wire::Frame reply;
    reply.set_correlation_id(frame.correlation_id());
    if (!options_.refuse_hello.ok()) {
      proto::StatusToWire(options_.refuse_hello, reply.mutable_error());
      Write(connection, reply);
      std::error_code ignored;
      connection->socket.close(ignored);
      return;
    }
    wire::Welcome* welcome = reply.mutable_welcome();
    welcome->set_protocol_version(proto::kProtocolVersion);
    welcome->set_server_version("fake");
    welcome->set_node_id("fake-1");
    welcome->set_max_frame_bytes(options_.max_frame_bytes);
    welcome->set_max_message_bytes(options_.max_message_bytes);
    Write(connection, reply);
    return;
  }
  if (frame.has_metadata()) {
    AnswerMetadata(connection, frame);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    frames_.push_back(frame);
    frames_changed_.notify_all();
  }
  if (handler_) handler_(frame);
}

void FakeBroker::Write(const std::shared_ptr<Connection>& connection,
                       const wire::Frame& frame) {
  const std::string bytes = proto::EncodeFrame(frame);
  std::error_code ignored;
  asio::write(connection->socket, asio::buffer(bytes), ignored);
}

void FakeBroker::AnswerMetadata(const std::shared_ptr<Connection>& connection,
                                const wire::Frame& request) {
  wire::Frame reply;
  reply.set_correlation_id(request.correlation_id());
  wire::MetadataReply* metadata = reply.mutable_metadata_reply();
  wire::BrokerInfo* self = metadata->add_brokers();
  self->set_node_id("fake-1");
  self->set_address(address());
  self->set_alive(true);
  metadata->set_version(1);
  for (const std::string& name : request.metadata().topics()) {
    wire::TopicMetadata* topic = metadata->add_topics();
    topic->set_name(name);
    topic->mutable_config()->set_partitions(options_.partitions);
    for (uint32_t i = 0; i < options_.partitions; ++i) {
      wire::PartitionMetadata* partition = topic->add_partitions();
      partition->set_partition(i);
      partition->set_leader("fake-1");
    }
  }
  Write(connection, reply);
}

void FakeBroker::Send(wire::Frame frame) {
  asio::post(io_, [this, frame = std::move(frame)] {
    if (current_) Write(current_, frame);
  });
}

void FakeBroker::Reply(const wire::Frame& request,
                       const std::function<void(wire::Frame*)>& fill) {
  wire::Frame reply;
  reply.set_correlation_id(request.correlation_id());
  fill(&reply);
  Send(std::move(reply));
}

void FakeBroker::ReplyError(const wire::Frame& request,
                            const absl::Status& status) {
  Reply(request, [&](wire::Frame* reply) {
    proto::StatusToWire(status, reply->mutable_error());
  });
}

void FakeBroker::Disconnect() {
  asio::post(io_, [this] {
    std::error_code ignored;
    if (current_) current_->socket.close(ignored);
    current_.reset();
  });
}

std::vector<wire::Frame> FakeBroker::WaitForFrames(size_t n,
                                                   absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  WaitFor(frames_changed_, lock, timeout,
          [this, n] { return frames_.size() >= n; });
  return frames_;
}

bool FakeBroker::WaitForConnections(size_t n, absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return WaitFor(frames_changed_, lock, timeout,
                 [this, n] { return connections_ >= n; });
}

wire::Hello FakeBroker::hello() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hello_;
}

}  // namespace chorus::testing
