#include "proto/frame_codec.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace chorus::proto {
namespace {

uint32_t ReadFrameLength(const char* in) {
  const auto* b = reinterpret_cast<const unsigned char*>(in);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) |
         (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

}  // namespace

void PutFrameLength(uint32_t length, char* out) {
  out[0] = static_cast<char>(length >> 24);
  out[1] = static_cast<char>(length >> 16);
  out[2] = static_cast<char>(length >> 8);
  out[3] = static_cast<char>(length);
}

void AppendFrame(const wire::Frame& frame, std::string* out) {
  const size_t size = frame.ByteSizeLong();
  const size_t start = out->size();
  out->resize(start + kFrameHeaderBytes + size);
  PutFrameLength(static_cast<uint32_t>(size), out->data() + start);
  frame.SerializeWithCachedSizesToArray(
      reinterpret_cast<uint8_t*>(out->data() + start + kFrameHeaderBytes));
}

std::string EncodeFrame(const wire::Frame& frame) {
  std::string out;
  AppendFrame(frame, &out);
  return out;
}

FrameDecoder::FrameDecoder(size_t max_frame_bytes)
    : max_frame_bytes_(max_frame_bytes) {}

std::span<char> FrameDecoder::PrepareBuffer(size_t min_bytes) {
  if (begin_ == end_) begin_ = end_ = 0;
  if (buffer_.size() - end_ < min_bytes && begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buffer_.size() - end_ < min_bytes) {
    buffer_.resize(std::max(end_ + min_bytes, buffer_.size() * 2));
  }
  return std::span<char>(buffer_.data() + end_, buffer_.size() - end_);
}

void FrameDecoder::Commit(size_t bytes_written) { end_ += bytes_written; }

void FrameDecoder::Append(std::string_view bytes) {
  std::span<char> space = PrepareBuffer(bytes.size());
  std::memcpy(space.data(), bytes.data(), bytes.size());
  Commit(bytes.size());
}

absl::StatusOr<bool> FrameDecoder::Next(wire::Frame* frame) {
  if (!error_.ok()) return error_;
  const size_t available = end_ - begin_;
  if (available < kFrameHeaderBytes) return false;
  const uint32_t length = ReadFrameLength(buffer_.data() + begin_);
  if (length > max_frame_bytes_) {
    error_ = absl::ResourceExhaustedError(
        absl::StrCat("frame of ", length, " bytes is over the limit of ",
                     max_frame_bytes_, " bytes"));
    return error_;
  }
  if (available < kFrameHeaderBytes + length) return false;
  const char* body = buffer_.data() + begin_ + kFrameHeaderBytes;
  if (!frame->ParseFromArray(body, static_cast<int>(length))) {
    error_ = absl::InvalidArgumentError(
        absl::StrCat("malformed frame of ", length, " bytes"));
    return error_;
  }
  begin_ += kFrameHeaderBytes + length;
  return true;
}

}  // namespace chorus::proto
