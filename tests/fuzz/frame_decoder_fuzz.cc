// Fuzzes proto::FrameDecoder: any byte stream, fed in any split, must decode
// to the same frames and the same final error as when fed at once, and every
// decoded frame must survive an encode/decode round trip.
//
// Input: byte 0 picks the split step (1..64 bytes per Commit); the rest is
// the stream.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/stubs/logging.h"
#include "proto/frame_codec.h"

namespace {

// Small enough that the fuzzer reaches the over-limit path.
constexpr size_t kMaxFrameBytes = 4096;

struct Decoded {
  std::vector<std::string> frames;  // each re-serialized
  absl::Status error;
};

Decoded Decode(std::string_view stream, size_t step) {
  chorus::proto::FrameDecoder decoder(kMaxFrameBytes);
  chorus::wire::Frame frame;
  Decoded out;
  for (size_t at = 0; at < stream.size() && out.error.ok(); at += step) {
    const std::string_view chunk = stream.substr(at, step);
    std::span<char> space = decoder.PrepareBuffer(chunk.size());
    if (space.size() < chunk.size()) std::abort();
    std::memcpy(space.data(), chunk.data(), chunk.size());
    decoder.Commit(chunk.size());
    for (;;) {
      absl::StatusOr<bool> got = decoder.Next(&frame);
      if (!got.ok()) {
        out.error = got.status();
        break;
      }
      if (!*got) break;
      out.frames.push_back(frame.SerializeAsString());
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Protobuf logs every string field that is not UTF-8; chorusd silences
  // it too (broker/main.cc).
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t step = data[0] % 64 + 1;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1,
                                size - 1);
  const Decoded whole = Decode(stream, stream.size() + 1);
  const Decoded split = Decode(stream, step);
  if (whole.frames != split.frames) std::abort();
  if (whole.error.code() != split.error.code()) std::abort();

  // Round trip: what we decoded encodes to a frame that decodes the same.
  for (const std::string& bytes : whole.frames) {
    chorus::wire::Frame frame;
    if (!frame.ParseFromString(bytes)) std::abort();
    const std::string encoded = chorus::proto::EncodeFrame(frame);
    chorus::proto::FrameDecoder decoder(encoded.size());
    decoder.Append(encoded);
    chorus::wire::Frame again;
    absl::StatusOr<bool> got = decoder.Next(&again);
    if (!got.ok() || !*got) std::abort();
    if (again.SerializeAsString() != bytes) std::abort();
    if (decoder.buffered_bytes() != 0) std::abort();
  }
  return 0;
}
