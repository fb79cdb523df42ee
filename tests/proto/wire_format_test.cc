#include "proto/wire_format.h"

#include <string>

#include "gtest/gtest.h"
#include "proto/protocol.pb.h"

namespace chorus::proto {
namespace {

TEST(WireFormatTest, VarintRoundTrip) {
  for (uint64_t value : {uint64_t{0}, uint64_t{1}, uint64_t{127}, uint64_t{128},
                         uint64_t{1} << 35, ~uint64_t{0}}) {
    std::string bytes;
    AppendVarint(value, &bytes);
    EXPECT_EQ(bytes.size(), VarintSize(value));
    std::string_view in = bytes;
    uint64_t decoded = 0;
    ASSERT_TRUE(ReadVarint(&in, &decoded));
    EXPECT_EQ(decoded, value);
    EXPECT_TRUE(in.empty());
  }
}

TEST(WireFormatTest, HandBuiltFieldsParseAsProtobuf) {
  std::string bytes;
  AppendVarintField(1, 77, &bytes);       // Deliver.subscription_id
  AppendBytesField(2, "acme.x", &bytes);  // Deliver.topic
  EXPECT_EQ(bytes.size(), VarintFieldSize(1, 77) + BytesFieldSize(2, 6));
  wire::Deliver deliver;
  ASSERT_TRUE(deliver.ParseFromString(bytes));
  EXPECT_EQ(deliver.subscription_id(), 77u);
  EXPECT_EQ(deliver.topic(), "acme.x");

  std::string_view in = bytes;
  WireField field;
  ASSERT_TRUE(ReadField(&in, &field));
  EXPECT_EQ(field.number, 1u);
  EXPECT_EQ(field.type, kVarint);
  EXPECT_EQ(field.varint, 77u);
  ASSERT_TRUE(ReadField(&in, &field));
  EXPECT_EQ(field.type, kLengthDelimited);
  EXPECT_EQ(field.bytes, "acme.x");
  EXPECT_TRUE(in.empty());
}

TEST(WireFormatTest, ReadFieldRejectsMalformedInput) {
  for (std::string bad : {std::string("\x00\x01", 2),  // field number 0
                          std::string("\x0b"),         // wire type 3
                          std::string("\x12\x05"
                                      "ab"),  // short bytes
                          std::string("\x09"
                                      "1234"),         // short fixed64
                          std::string("\x08\xff")}) {  // truncated varint
    std::string_view in = bad;
    WireField field;
    EXPECT_FALSE(ReadField(&in, &field)) << bad;
  }
}

}  // namespace
}  // namespace chorus::proto
