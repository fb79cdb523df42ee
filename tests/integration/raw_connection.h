// RawConnection: a bare TCP connection to a broker for protocol-level tests
// — send any bytes, read frames back with a deadline, see the close.
//
//   RawConnection raw(broker.address());
//   raw.SendFrame(hello);
//   absl::StatusOr<wire::Frame> reply = raw.ReadFrame(absl::Seconds(5));
#ifndef CHORUS_TESTS_INTEGRATION_RAW_CONNECTION_H_
#define CHORUS_TESTS_INTEGRATION_RAW_CONNECTION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/frame_codec.h"
#include "proto/protocol.pb.h"

namespace chorus::testing {

class RawConnection {
 public:
  // Connects to "127.0.0.1:PORT"; check ok().
  explicit RawConnection(const std::string& address);
  ~RawConnection();

  bool ok() const { return fd_ >= 0; }

  absl::Status SendBytes(const std::string& bytes);
  absl::Status SendFrame(const wire::Frame& frame);
  // Sends Hello (asking for MetadataChanged pushes if `watch_metadata`)
  // and expects Welcome.
  absl::Status Handshake(bool watch_metadata = false);
  // Reads until the response to `correlation_id`; pushes met on the way
  // are appended to `pushes` when it is not null.
  absl::StatusOr<wire::Frame> ReadReply(
      uint64_t correlation_id, absl::Duration timeout,
      std::vector<wire::Frame>* pushes = nullptr);
  // The next frame. kOutOfRange when the broker closed the connection,
  // kDeadlineExceeded when nothing came in time.
  absl::StatusOr<wire::Frame> ReadFrame(absl::Duration timeout);
  // True once the broker has closed the connection (reads EOF in time).
  bool WaitForClose(absl::Duration timeout);
  // Ends our side of the stream (shutdown for writing) and keeps reading
  // possible: a client that finished sending.
  void HalfClose();
  // Closes with a reset (SO_LINGER 0): a client that vanished.
  void Reset();
  void Close();

 private:
  int fd_ = -1;
  proto::FrameDecoder decoder_{size_t{64} << 20};
};

}  // namespace chorus::testing

#endif  // CHORUS_TESTS_INTEGRATION_RAW_CONNECTION_H_
