#include "tests/integration/raw_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace chorus::testing {

RawConnection::RawConnection(const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
    return;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, address.substr(0, colon).c_str(), &addr.sin_addr);
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ >= 0 &&
      connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    Close();
  }
}

RawConnection::~RawConnection() { Close(); }

void RawConnection::HalfClose() {
  if (fd_ >= 0) shutdown(fd_, SHUT_WR);
}

void RawConnection::Reset() {
  if (fd_ < 0) return;
  const linger abort{.l_onoff = 1, .l_linger = 0};
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort));
  Close();
}

void RawConnection::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

absl::Status RawConnection::SendBytes(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n =
        send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::UnavailableError("send failed");
    sent += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status RawConnection::SendFrame(const wire::Frame& frame) {
  return SendBytes(proto::EncodeFrame(frame));
}

absl::Status RawConnection::Handshake(bool watch_metadata) {
  wire::Frame hello;
  hello.set_correlation_id(1);
  hello.mutable_hello()->set_protocol_version(proto::kProtocolVersion);
  hello.mutable_hello()->set_client_name("raw");
  hello.mutable_hello()->set_watch_metadata(watch_metadata);
  if (absl::Status sent = SendFrame(hello); !sent.ok()) return sent;
  absl::StatusOr<wire::Frame> welcome = ReadFrame(absl::Seconds(10));
  if (!welcome.ok()) return welcome.status();
  if (!welcome->has_welcome()) {
    return absl::InternalError(welcome->ShortDebugString());
  }
  return absl::OkStatus();
}

absl::StatusOr<wire::Frame> RawConnection::ReadReply(
    uint64_t correlation_id, absl::Duration timeout,
    std::vector<wire::Frame>* pushes) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    absl::StatusOr<wire::Frame> frame = ReadFrame(deadline - absl::Now());
    if (!frame.ok() || frame->correlation_id() == correlation_id) return frame;
    if (pushes != nullptr) pushes->push_back(*std::move(frame));
  }
}

absl::StatusOr<wire::Frame> RawConnection::ReadFrame(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  wire::Frame frame;
  while (true) {
    absl::StatusOr<bool> got = decoder_.Next(&frame);
    if (!got.ok()) return got.status();
    if (*got) return frame;
    const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (ms <= 0) return absl::DeadlineExceededError("no frame in time");
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(ms)) <= 0) continue;
    std::span<char> space = decoder_.PrepareBuffer(64 * 1024);
    const ssize_t n = recv(fd_, space.data(), space.size(), 0);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
      return absl::OutOfRangeError("connection closed by the broker");
    }
    if (n > 0) decoder_.Commit(static_cast<size_t>(n));
  }
}

bool RawConnection::WaitForClose(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    absl::StatusOr<wire::Frame> frame = ReadFrame(deadline - absl::Now());
    if (frame.status().code() == absl::StatusCode::kOutOfRange) return true;
    if (frame.status().code() == absl::StatusCode::kDeadlineExceeded) break;
  }
  return false;
}

}  // namespace chorus::testing
