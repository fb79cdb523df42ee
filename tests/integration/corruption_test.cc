// A damaged record in the log is reported to the subscriber that reaches it
// as data loss, over the wire: not a crash, not a silent stop.
//
// The damage is done the way a bad disk would: on the stopped broker's data
// dir, with RocksDB itself, one stored batch's value is overwritten.
#include <memory>
#include <string>
#include <vector>

#include "common/sync.h"
#include "gmock/gmock.h"
#include "rocksdb/db.h"
#include "tests/integration/test_util.h"

namespace chorus::testing {
namespace {

using ::testing::HasSubstr;

// Overwrites the value of the `index`-th key of the `log` column family.
void CorruptLogValue(const std::string& data_dir, int index) {
  std::vector<std::string> names;
  rocksdb::Options options;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(options, data_dir, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const std::string& name : names) families.push_back({name, {}});
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status opened =
      rocksdb::DB::Open(options, data_dir, families, &handles, &raw);
  ASSERT_TRUE(opened.ok()) << opened.ToString();
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::ColumnFamilyHandle* log = nullptr;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == "log") log = handles[i];
  }
  ASSERT_NE(log, nullptr);
  std::string key;
  {
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), log));
    it->SeekToFirst();
    for (int i = 0; i < index && it->Valid(); ++i) it->Next();
    ASSERT_TRUE(it->Valid());
    key = it->key().ToString();
  }
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), log, key,
                      std::string("\xff\xfe garbage from a bad sector", 28))
                  .ok());
  for (rocksdb::ColumnFamilyHandle* handle : handles) {
    ASSERT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
  }
  ASSERT_TRUE(db->Close().ok());
}

TEST(CorruptionTest, DamagedRecordReachesTheSubscriberAsDataLoss) {
  absl::StatusOr<std::unique_ptr<BrokerProcess>> broker =
      BrokerProcess::Start();
  ASSERT_TRUE(broker.ok()) << broker.status();
  {
    std::unique_ptr<Client> client = ConnectOrDie(**broker);
    // One batch per message: offsets 0..9, one log key each.
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(
          client->PublishAndWait("t.disk", {.value = "m" + std::to_string(i)})
              .ok());
    }
  }
  ASSERT_TRUE((*broker)->Stop().ok());
  CorruptLogValue((*broker)->data_dir(), 4);
  if (HasFatalFailure()) return;
  ASSERT_TRUE((*broker)->Restart().ok()) << (*broker)->Log();

  std::unique_ptr<Client> client = ConnectOrDie(**broker, "reader");
  Collector collector;
  Notification failed;
  absl::Status error;
  SubscribeOptions options;
  options.start = StartPosition::Earliest();
  options.on_error = [&](absl::Status status) {
    error = status;
    failed.Notify();
  };
  auto sub = client->Subscribe("t.disk", options, collector.Handler());
  ASSERT_TRUE(sub.ok()) << sub.status();
  ASSERT_TRUE(failed.WaitForNotificationWithTimeout(absl::Seconds(20)));
  EXPECT_EQ(error.code(), absl::StatusCode::kDataLoss) << error;
  EXPECT_THAT(std::string(error.message()), HasSubstr("t.disk/0 at offset 4"));
  // Everything before the damage arrived, in order; nothing after it.
  std::vector<Received> got = collector.Take();
  ASSERT_EQ(got.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(got[i].value, "m" + std::to_string(i));

  // The broker lives on and serves everything else.
  std::unique_ptr<Client> other = ConnectOrDie(**broker, "other");
  ASSERT_TRUE(other->PublishAndWait("t.fine", {.value = "x"}).ok());
  EXPECT_THAT((*broker)->Log(), HasSubstr("data loss in t.disk/0"));
}

}  // namespace
}  // namespace chorus::testing
