// Writes the seed corpus of the fuzz targets into tests/fuzz/corpus/: small,
// valid inputs of each kind for the fuzzer to mutate. Run it again when the
// protocol or storage format changes:
//
//   build-fuzz/tests/fuzz/fuzz_write_seeds tests/fuzz/corpus
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "proto/frame_codec.h"
#include "proto/records.h"
#include "storage/stored_batch.h"

namespace {

using chorus::wire::Frame;
namespace fs = std::filesystem;

void Write(const fs::path& dir, const std::string& name,
           const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

std::string Records(int count, bool headers) {
  std::string records;
  for (int i = 0; i < count; ++i) {
    std::vector<chorus::proto::HeaderPair> h;
    if (headers) h = {{"trace", "t" + std::to_string(i)}, {"region", "eu"}};
    chorus::proto::AppendRecord("k" + std::to_string(i % 3),
                                "value-" + std::to_string(i), h, &records);
  }
  return records;
}

Frame Publish(uint64_t id, const std::string& topic, int count) {
  Frame f;
  f.set_correlation_id(id);
  f.mutable_publish()->set_topic(topic);
  f.mutable_publish()->set_records(Records(count, count % 2 == 0));
  return f;
}

Frame Subscribe(uint64_t id, uint64_t subscription, const std::string& filter,
                chorus::wire::StartPosition::Kind kind) {
  Frame f;
  f.set_correlation_id(id);
  chorus::wire::Subscribe* s = f.mutable_subscribe();
  s->set_subscription_id(subscription);
  s->set_filter(filter);
  s->mutable_start()->set_kind(kind);
  s->set_credit_messages(100);
  s->set_credit_bytes(1 << 20);
  return f;
}

std::string Stream(const std::vector<Frame>& frames) {
  std::string out;
  for (const Frame& f : frames) chorus::proto::AppendFrame(f, &out);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const fs::path root = argv[1];
  using Kind = chorus::wire::StartPosition;

  Frame create;
  create.set_correlation_id(2);
  create.mutable_create_topic()->set_name("orders");
  create.mutable_create_topic()->mutable_config()->set_partitions(3);
  create.mutable_create_topic()->mutable_config()->set_retention_messages(50);
  Frame keyed = Publish(3, "orders", 6);
  Frame pinned = Publish(4, "orders", 2);
  pinned.mutable_publish()->set_partition(1);
  Frame describe;
  describe.set_correlation_id(5);
  describe.mutable_describe_topic()->set_name("orders");
  Frame list;
  list.set_correlation_id(6);
  list.mutable_list_topics();
  Frame credit;
  credit.mutable_credit()->set_subscription_id(1);
  credit.mutable_credit()->set_messages(10);
  credit.mutable_credit()->set_bytes(4096);
  Frame unsubscribe;
  unsubscribe.set_correlation_id(9);
  unsubscribe.mutable_unsubscribe()->set_subscription_id(1);
  Frame remove;
  remove.set_correlation_id(10);
  remove.mutable_delete_topic()->set_name("orders");
  Frame ping;
  ping.set_correlation_id(11);
  ping.mutable_ping();

  const fs::path session = root / "broker_session_fuzz";
  Write(session, "publish", Stream({Publish(2, "t.a", 3)}));
  Write(session, "admin",
        Stream({create, keyed, pinned, describe, list, remove, ping}));
  Write(session, "subscribe_earliest",
        Stream({Publish(2, "t.b", 4), Subscribe(3, 1, "t.*", Kind::EARLIEST),
                credit, Publish(4, "t.b", 2), ping}));
  Write(session, "subscribe_unsubscribe",
        Stream({create, Subscribe(3, 1, "orders", Kind::LAST), keyed, credit,
                unsubscribe, ping}));
  Write(session, "subscribe_offset_time",
        Stream({Subscribe(2, 1, "t.>", Kind::OFFSET),
                Subscribe(3, 2, "orders", Kind::TIME), list}));

  const fs::path frames = root / "frame_decoder_fuzz";
  Write(frames, "one_frame", "\x01" + Stream({ping}));
  Write(frames, "many_split_7", "\x06" + Stream({create, keyed, credit, list}));
  Write(frames, "too_long", std::string("\x00\x7f\xff\xff\xff", 5));
  Write(frames, "garbage_body",
        std::string("\x03\x00\x00\x00\x03\xff\xff\xff", 8));

  const fs::path records = root / "records_fuzz";
  Write(records, "plain", Records(3, false));
  Write(records, "headers", Records(2, true));
  Write(records, "empty_values",
        Records(1, false) + std::string("\x0a\x00", 2));

  const fs::path batches = root / "stored_batch_fuzz";
  for (int count : {1, 4}) {
    std::string value;
    chorus::storage::AppendStoredBatch({.base_offset = 42,
                                        .timestamp_ms = 1700000000000,
                                        .publisher = "p1",
                                        .count = static_cast<uint32_t>(count)},
                                       Records(count, count > 1), &value);
    Write(batches, "batch_" + std::to_string(count), value);
  }
  return 0;
}
