#include "proto/records.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "proto/protocol.pb.h"

namespace chorus::proto {
namespace {

TEST(RecordsTest, AppendRecordMatchesProtobufEncoding) {
  std::string records;
  AppendRecord("k1", "v1", {{"region", "eu"}, {"trace", "abc"}}, &records);
  AppendRecord("", "only value", {}, &records);
  AppendRecord("", "", {}, &records);

  wire::RecordSet parsed;
  ASSERT_TRUE(parsed.ParseFromString(records));
  ASSERT_EQ(parsed.records_size(), 3);
  EXPECT_EQ(parsed.records(0).key(), "k1");
  EXPECT_EQ(parsed.records(0).value(), "v1");
  ASSERT_EQ(parsed.records(0).headers_size(), 2);
  EXPECT_EQ(parsed.records(0).headers(1).name(), "trace");
  EXPECT_EQ(parsed.records(1).value(), "only value");
  EXPECT_EQ(parsed.records(2).value(), "");
  EXPECT_EQ(records, parsed.SerializeAsString());
}

TEST(RecordsTest, ReaderYieldsViewsAndHeaders) {
  std::string records;
  AppendRecord("key", std::string(1000, 'v'), {{"a", "1"}, {"b", ""}},
               &records);
  AppendRecord("", "second", {}, &records);

  RecordReader reader(records);
  RecordView record;
  ASSERT_TRUE(reader.Next(&record));
  EXPECT_EQ(record.key, "key");
  EXPECT_EQ(record.value.size(), 1000u);
  EXPECT_EQ(record.header_count, 2u);
  HeaderReader headers(record.body);
  std::string_view name, value;
  ASSERT_TRUE(headers.Next(&name, &value));
  EXPECT_EQ(name, "a");
  EXPECT_EQ(value, "1");
  ASSERT_TRUE(headers.Next(&name, &value));
  EXPECT_EQ(name, "b");
  EXPECT_FALSE(headers.Next(&name, &value));

  ASSERT_TRUE(reader.Next(&record));
  EXPECT_EQ(record.value, "second");
  EXPECT_TRUE(record.key.empty());
  EXPECT_FALSE(reader.Next(&record));
  EXPECT_TRUE(reader.status().ok());
}

TEST(RecordsTest, EncodedSlicesConcatenateIntoAValidRecordSet) {
  std::string records;
  for (int i = 0; i < 5; ++i) {
    AppendRecord("", std::to_string(i), {}, &records);
  }
  RecordReader reader(records);
  RecordView record;
  std::string odd;
  int i = 0;
  while (reader.Next(&record)) {
    if (i++ % 2 == 1) odd.append(record.encoded);
  }
  wire::RecordSet parsed;
  ASSERT_TRUE(parsed.ParseFromString(odd));
  ASSERT_EQ(parsed.records_size(), 2);
  EXPECT_EQ(parsed.records(1).value(), "3");
}

TEST(RecordsTest, ReaderRejectsTruncatedInputAtEveryLength) {
  std::string records;
  AppendRecord("key", "value", {{"h", "v"}}, &records);
  for (size_t length = 1; length < records.size(); ++length) {
    RecordReader reader(std::string_view(records).substr(0, length));
    RecordView record;
    EXPECT_FALSE(reader.Next(&record)) << length;
    EXPECT_EQ(reader.status().code(), absl::StatusCode::kInvalidArgument)
        << length;
  }
}

TEST(RecordsTest, ReaderRejectsIllegalHeaderNames) {
  for (const std::string& name :
       {std::string(), std::string("a\nb"), std::string(256, 'n')}) {
    std::string records;
    AppendRecord("", "v", {{name, "x"}}, &records);
    RecordReader reader(records);
    RecordView record;
    EXPECT_FALSE(reader.Next(&record));
    EXPECT_EQ(reader.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace chorus::proto
