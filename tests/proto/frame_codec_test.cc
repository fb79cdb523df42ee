#include "proto/frame_codec.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace chorus::proto {
namespace {

std::vector<wire::Frame> SampleFrames() {
  std::vector<wire::Frame> frames(3);
  frames[0].set_correlation_id(1);
  frames[0].mutable_hello()->set_protocol_version(kProtocolVersion);
  frames[0].mutable_hello()->set_client_name("svc-a");
  frames[1].set_correlation_id(2);
  frames[1].mutable_publish()->set_topic("acme.payments.status");
  frames[1].mutable_publish()->set_records(std::string(300, 'x'));
  frames[2].set_correlation_id(3);
  frames[2].mutable_ping();
  return frames;
}

std::string EncodeAll(const std::vector<wire::Frame>& frames) {
  std::string bytes;
  for (const wire::Frame& frame : frames) AppendFrame(frame, &bytes);
  return bytes;
}

// Feeds `bytes` in pieces of the given sizes and collects every frame.
std::vector<wire::Frame> DecodeInPieces(const std::string& bytes,
                                        const std::vector<size_t>& cuts) {
  FrameDecoder decoder(kDefaultMaxFrameBytes);
  std::vector<wire::Frame> out;
  size_t begin = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(bytes.size());
  for (size_t end : ends) {
    decoder.Append(std::string_view(bytes).substr(begin, end - begin));
    begin = end;
    wire::Frame frame;
    while (true) {
      absl::StatusOr<bool> got = decoder.Next(&frame);
      EXPECT_TRUE(got.ok()) << got.status();
      if (!got.ok() || !*got) break;
      out.push_back(frame);
    }
  }
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  return out;
}

TEST(FrameDecoderTest, DecodesFramesSplitAtEveryByte) {
  const std::vector<wire::Frame> frames = SampleFrames();
  const std::string bytes = EncodeAll(frames);
  for (size_t cut = 0; cut <= bytes.size(); ++cut) {
    std::vector<wire::Frame> decoded = DecodeInPieces(bytes, {cut});
    ASSERT_EQ(decoded.size(), frames.size()) << "cut at " << cut;
    for (size_t i = 0; i < frames.size(); ++i) {
      EXPECT_EQ(decoded[i].SerializeAsString(), frames[i].SerializeAsString());
    }
  }
}

TEST(FrameDecoderTest, DecodesOneByteAtATime) {
  const std::vector<wire::Frame> frames = SampleFrames();
  const std::string bytes = EncodeAll(frames);
  std::vector<size_t> cuts;
  for (size_t i = 1; i < bytes.size(); ++i) cuts.push_back(i);
  EXPECT_EQ(DecodeInPieces(bytes, cuts).size(), frames.size());
}

TEST(FrameDecoderTest, WaitsForTheRestOfATruncatedFrame) {
  const std::string bytes = EncodeAll(SampleFrames());
  FrameDecoder decoder(kDefaultMaxFrameBytes);
  decoder.Append(std::string_view(bytes).substr(0, 10));
  wire::Frame frame;
  absl::StatusOr<bool> got = decoder.Next(&frame);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(*got);
  EXPECT_EQ(decoder.buffered_bytes(), 10u);
  decoder.Append(std::string_view(bytes).substr(10));
  got = decoder.Next(&frame);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(*got);
  EXPECT_EQ(frame.hello().client_name(), "svc-a");
}

TEST(FrameDecoderTest, RejectsOversizeFrameFromItsHeader) {
  FrameDecoder decoder(1024);
  char header[kFrameHeaderBytes];
  PutFrameLength(1025, header);
  decoder.Append(std::string_view(header, sizeof(header)));
  wire::Frame frame;
  absl::StatusOr<bool> got = decoder.Next(&frame);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kResourceExhausted);
  // Errors are final for the stream.
  EXPECT_EQ(decoder.Next(&frame).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(FrameDecoderTest, RejectsGarbageBody) {
  const std::string garbage = "\xff\xff\xff\xff\xff\xff\xff";
  char header[kFrameHeaderBytes];
  PutFrameLength(garbage.size(), header);
  FrameDecoder decoder(kDefaultMaxFrameBytes);
  decoder.Append(std::string_view(header, sizeof(header)));
  decoder.Append(garbage);
  wire::Frame frame;
  EXPECT_EQ(decoder.Next(&frame).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FrameDecoderTest, EmptyFrameDecodesToNoBody) {
  char header[kFrameHeaderBytes];
  PutFrameLength(0, header);
  FrameDecoder decoder(kDefaultMaxFrameBytes);
  decoder.Append(std::string_view(header, sizeof(header)));
  wire::Frame frame;
  absl::StatusOr<bool> got = decoder.Next(&frame);
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(*got);
  EXPECT_EQ(frame.body_case(), wire::Frame::BODY_NOT_SET);
}

TEST(FrameDecoderTest, PrepareBufferReusesSpaceAfterDecodedFrames) {
  const std::string bytes = EncodeAll(SampleFrames());
  FrameDecoder decoder(kDefaultMaxFrameBytes);
  const char* start = nullptr;
  for (int round = 0; round < 100; ++round) {
    std::span<char> space = decoder.PrepareBuffer(bytes.size());
    ASSERT_GE(space.size(), bytes.size());
    // Everything before was decoded: its space is handed out again, from
    // the start of the same buffer.
    if (round == 0) start = space.data();
    EXPECT_EQ(space.data(), start) << "round " << round;
    std::memcpy(space.data(), bytes.data(), bytes.size());
    decoder.Commit(bytes.size());
    wire::Frame frame;
    int frames = 0;
    while (*decoder.Next(&frame)) ++frames;
    EXPECT_EQ(frames, 3);
  }
}

TEST(FrameDecoderTest, PrepareBufferMovesAPartialFrameForwardInsteadOfGrowing) {
  // A stream read in pieces that end mid-frame, as socket reads do: the
  // undecoded tail moves to the front, so the buffer stays within a small
  // multiple of a piece and a frame (grown by doubling) however long the
  // stream runs.
  const std::string bytes = EncodeAll(SampleFrames());
  std::string stream;
  for (int i = 0; i < 100; ++i) stream += bytes;
  const size_t piece = bytes.size() * 2 / 3 + 1;
  const size_t bound = 2 * (bytes.size() + piece);
  FrameDecoder decoder(kDefaultMaxFrameBytes);
  int frames = 0;
  for (size_t offset = 0; offset < stream.size();) {
    const size_t n = std::min(piece, stream.size() - offset);
    std::span<char> space = decoder.PrepareBuffer(piece);
    ASSERT_GE(space.size(), piece);
    ASSERT_LE(space.size(), bound) << "at stream offset " << offset;
    std::memcpy(space.data(), stream.data() + offset, n);
    decoder.Commit(n);
    offset += n;
    wire::Frame frame;
    while (*decoder.Next(&frame)) ++frames;
  }
  EXPECT_EQ(frames, 300);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

}  // namespace
}  // namespace chorus::proto
