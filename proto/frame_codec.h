// Length-prefixed framing of the client protocol, with no I/O.
//
// A wire frame is a 4-byte big-endian length followed by that many bytes of a
// serialized wire::Frame. FrameDecoder takes bytes as they arrive, in any
// split, and hands out whole frames:
//
//   FrameDecoder decoder(kDefaultMaxFrameBytes);
//   std::span<char> space = decoder.PrepareBuffer(64 * 1024);
//   size_t n = read(fd, space.data(), space.size());
//   decoder.Commit(n);
//   wire::Frame frame;
//   while (true) {
//     absl::StatusOr<bool> got = decoder.Next(&frame);
//     if (!got.ok()) { /* reply with the error and close */ }
//     if (!*got) break;  // need more bytes
//     Handle(frame);
//   }
#ifndef CHORUS_PROTO_FRAME_CODEC_H_
#define CHORUS_PROTO_FRAME_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/protocol.pb.h"

namespace chorus::proto {

inline constexpr uint32_t kProtocolVersion = 1;
inline constexpr size_t kFrameHeaderBytes = 4;
inline constexpr size_t kDefaultMaxFrameBytes = 8 * 1024 * 1024;
// Idempotent publishing (Publish.producer_id): a partition remembers the
// last this many batches of each producer, which is what lets it answer a
// retried batch with its original offsets. A producer therefore keeps at
// most this many batches per partition awaiting their ack.
inline constexpr size_t kProducerWindowBatches = 8;

// Writes the 4-byte big-endian frame length `length` at `out[0..3]`.
void PutFrameLength(uint32_t length, char* out);

// Appends `frame` to `*out` as one wire frame (length prefix + bytes).
void AppendFrame(const wire::Frame& frame, std::string* out);

// Returns `frame` as one wire frame.
std::string EncodeFrame(const wire::Frame& frame);

// Incremental decoder of wire frames. Owns a growable buffer that holds at
// most one partial frame plus what was read past it. Not thread-safe; one per
// connection.
class FrameDecoder {
 public:
  explicit FrameDecoder(size_t max_frame_bytes);

  FrameDecoder(const FrameDecoder&) = delete;
  FrameDecoder& operator=(const FrameDecoder&) = delete;

  // Returns writable space of at least `min_bytes`; fill a prefix of it and
  // call Commit with how much was written. The span is valid until the next
  // call on the decoder.
  std::span<char> PrepareBuffer(size_t min_bytes);
  void Commit(size_t bytes_written);

  // Copies `bytes` in; the same as PrepareBuffer + memcpy + Commit.
  void Append(std::string_view bytes);

  // Decodes the next complete frame into `*frame`. Returns true when a frame
  // was decoded, false when more bytes are needed. Errors are final for the
  // stream (every later call returns the same error):
  //   kResourceExhausted: a frame's length is over max_frame_bytes;
  //   kInvalidArgument:   a complete frame is not a valid Frame.
  absl::StatusOr<bool> Next(wire::Frame* frame);

  // Bytes received but not yet decoded (non-zero at EOF means the peer
  // stopped mid-frame).
  size_t buffered_bytes() const { return end_ - begin_; }

 private:
  size_t max_frame_bytes_;
  std::string buffer_;
  size_t begin_ = 0;  // first undecoded byte
  size_t end_ = 0;    // one past the last received byte
  absl::Status error_;
};

}  // namespace chorus::proto

#endif  // CHORUS_PROTO_FRAME_CODEC_H_
