#include "client/cli/json.h"

#include "gtest/gtest.h"

namespace chorus::cli {
namespace {

std::string Json(std::string_view bytes) {
  return JsonLine(std::string(bytes));
}

TEST(JsonLineTest, PlainTextIsQuoted) {
  EXPECT_EQ(Json(""), R"("")");
  EXPECT_EQ(Json("up"), R"("up")");
}

TEST(JsonLineTest, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(Json("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(Json("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(Json(std::string("\x00\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
  EXPECT_EQ(Json("\x7f/"), "\"\x7f/\"");
}

TEST(JsonLineTest, ValidUtf8PassesThrough) {
  EXPECT_EQ(Json("h\xC3\xA9llo"), "\"h\xC3\xA9llo\"");          // é
  EXPECT_EQ(Json("\xE2\x82\xAC"), "\"\xE2\x82\xAC\"");          // €
  EXPECT_EQ(Json("\xF0\x9F\x98\x80"), "\"\xF0\x9F\x98\x80\"");  // 😀
  EXPECT_EQ(Json("\xF4\x8F\xBF\xBF"), "\"\xF4\x8F\xBF\xBF\"");  // U+10FFFF
}

TEST(JsonLineTest, InvalidUtf8BytesBecomeLatin1Escapes) {
  EXPECT_EQ(Json("\xff"), R"("\u00ff")");
  EXPECT_EQ(Json("a\x80z"), R"("a\u0080z")");
  EXPECT_EQ(Json("\xC3"), R"("\u00c3")");            // truncated
  EXPECT_EQ(Json("\xC3(x"), R"("\u00c3(x")");        // bad continuation
  EXPECT_EQ(Json("\xC0\xAF"), R"("\u00c0\u00af")");  // overlong '/'
  EXPECT_EQ(Json("\xE0\x80\xAF"), R"("\u00e0\u0080\u00af")");  // overlong
  EXPECT_EQ(Json("\xED\xA0\x80"), R"("\u00ed\u00a0\u0080")");  // surrogate
  EXPECT_EQ(Json("\xF4\x90\x80\x80"),
            R"("\u00f4\u0090\u0080\u0080")");  // above U+10FFFF
  EXPECT_EQ(Json("\xF8\x88\x80\x80\x80"),
            R"("\u00f8\u0088\u0080\u0080\u0080")");
}

TEST(JsonLineTest, EveryByteValueGivesValidOutput) {
  for (int b = 0; b < 256; ++b) {
    const std::string out = Json(std::string(1, static_cast<char>(b)));
    ASSERT_GE(out.size(), 3u);
    for (unsigned char c : out) EXPECT_LT(c, 0x80) << b;  // lone bytes: ASCII
  }
}

TEST(FormatTimestampTest, IsRfc3339UtcWithMilliseconds) {
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatTimestamp(1714564800123), "2024-05-01T12:00:00.123Z");
}

TEST(MessageToJsonTest, HasEveryFieldOnOneLine) {
  ReceivedMessage m;
  m.topic = "acme.x";
  m.partition = 2;
  m.offset = 41;
  m.timestamp_ms = 1714564800123;
  m.publisher = "svc";
  m.key = "eu-1";
  m.value = "line1\nline2";
  m.headers = {{"region", "eu"}, {"bin", "\xff"}};
  EXPECT_EQ(MessageToJson(m),
            R"({"topic":"acme.x","partition":2,"offset":41,)"
            R"("timestamp":"2024-05-01T12:00:00.123Z","publisher":"svc",)"
            R"("key":"eu-1","headers":{"region":"eu","bin":"\u00ff"},)"
            R"("value":"line1\nline2"})");
}

TEST(MessageToJsonTest, NoKeyIsNullAndRepeatedHeaderKeepsLastValue) {
  ReceivedMessage m;
  m.topic = "t";
  m.value = "";
  m.headers = {{"a", "1"}, {"b", "2"}, {"a", "3"}};
  EXPECT_EQ(MessageToJson(m),
            R"({"topic":"t","partition":0,"offset":0,)"
            R"("timestamp":"1970-01-01T00:00:00.000Z","publisher":"",)"
            R"("key":null,"headers":{"b":"2","a":"3"},"value":""})");
}

TEST(JsonLineTest, LineWithBytesThatAreNotUtf8IsAllAscii) {
  // nlohmann-json cannot write such bytes as they are; the whole line turns
  // to ASCII escapes instead, valid characters included.
  EXPECT_EQ(Json("\xC3\xA9\xff\x7f"), R"("\u00e9\u00ff\u007f")");
  EXPECT_EQ(Json("\xF0\x9F\x98\x80\x80"), R"("\ud83d\ude00\u0080")");
  nlohmann::ordered_json object = nlohmann::ordered_json::object();
  object["caf\xC3\xA9"] = "ok";
  object["k\xfe"] = "v";
  EXPECT_EQ(JsonLine(object), R"({"caf\u00e9":"ok","k\u00fe":"v"})");
  object.erase("k\xfe");
  EXPECT_EQ(JsonLine(object), "{\"caf\xC3\xA9\":\"ok\"}");
}

TEST(MessageToJsonTest, DeliveryCountComesLastWhenCounted) {
  ReceivedMessage m;
  m.topic = "t";
  m.key = "k";
  m.value = "v\xff";
  m.delivery_count = 2;
  EXPECT_EQ(MessageToJson(m),
            R"({"topic":"t","partition":0,"offset":0,)"
            R"("timestamp":"1970-01-01T00:00:00.000Z","publisher":"",)"
            R"("key":"k","headers":{},"value":"v\u00ff","delivery_count":2})");
}

}  // namespace
}  // namespace chorus::cli
