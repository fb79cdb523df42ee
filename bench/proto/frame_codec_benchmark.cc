// Frame encode and decode of a Publish of N 128-byte records: the work the
// client does per batch sent and the broker per batch received.
#include <string>

#include "benchmark/benchmark.h"
#include "proto/frame_codec.h"
#include "proto/records.h"

namespace chorus::proto {
namespace {

wire::Frame PublishFrame(int records) {
  wire::Frame frame;
  frame.set_correlation_id(42);
  wire::Publish* publish = frame.mutable_publish();
  publish->set_topic("acme.payments.status");
  const std::string value(128, 'x');
  for (int i = 0; i < records; ++i) {
    AppendRecord("", value, {}, publish->mutable_records());
  }
  return frame;
}

void BM_EncodePublish(benchmark::State& state) {
  const wire::Frame frame = PublishFrame(state.range(0));
  std::string out;
  for (auto _ : state) {
    out.clear();
    AppendFrame(frame, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * out.size());
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_EncodePublish)->Arg(1)->Arg(100)->Arg(2000);

// Frames arrive in 64 KiB reads, split wherever the reads fall.
void BM_DecodePublish(benchmark::State& state) {
  std::string stream;
  for (int i = 0; i < 16; ++i)
    AppendFrame(PublishFrame(state.range(0)), &stream);
  wire::Frame frame;
  for (auto _ : state) {
    FrameDecoder decoder(kDefaultMaxFrameBytes);
    int frames = 0;
    for (size_t at = 0; at < stream.size(); at += 64 * 1024) {
      decoder.Append(std::string_view(stream).substr(at, 64 * 1024));
      while (*decoder.Next(&frame)) ++frames;
    }
    if (frames != 16) state.SkipWithError("frames lost");
  }
  state.SetBytesProcessed(state.iterations() * stream.size());
  state.SetItemsProcessed(state.iterations() * 16 * state.range(0));
}
BENCHMARK(BM_DecodePublish)->Arg(1)->Arg(100)->Arg(2000);

}  // namespace
}  // namespace chorus::proto

BENCHMARK_MAIN();
