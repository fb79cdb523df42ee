#include "client/cli/values.h"

#include "gtest/gtest.h"

namespace chorus::cli {
namespace {

using Kind = StartPosition::Kind;

void ExpectStart(std::string_view text, Kind kind, int64_t value) {
  absl::StatusOr<StartPosition> start = ParseStartPosition(text);
  ASSERT_TRUE(start.ok()) << text << ": " << start.status();
  EXPECT_EQ(start->kind, kind) << text;
  EXPECT_EQ(start->value, value) << text;
}

TEST(ParseStartPositionTest, AcceptsEveryKind) {
  ExpectStart("latest", Kind::kLatest, 0);
  ExpectStart("earliest", Kind::kEarliest, 0);
  ExpectStart("offset:0", Kind::kOffset, 0);
  ExpectStart("offset:42", Kind::kOffset, 42);
  ExpectStart("last:10", Kind::kLast, 10);
  ExpectStart("time:2024-05-01T12:00:00Z", Kind::kTime, 1714564800000);
  ExpectStart("time:2024-05-01T12:00:00.250Z", Kind::kTime, 1714564800250);
  ExpectStart("time:2024-05-01T14:00:00+02:00", Kind::kTime, 1714564800000);
}

TEST(ParseStartPositionTest, RejectsMalformedValues) {
  for (std::string_view bad :
       {"", "Latest", "offset", "offset:", "offset:-1", "offset:1x",
        "last:", "last:abc", "time:", "time:yesterday", "time:2024-05-01",
        "bogus:3", "offset:99999999999999999999"}) {
    absl::StatusOr<StartPosition> start = ParseStartPosition(bad);
    EXPECT_EQ(start.status().code(), absl::StatusCode::kInvalidArgument)
        << "\"" << bad << "\"";
  }
}

TEST(ParseRetentionAgeTest, AcceptsAbslDurationsAndDays) {
  EXPECT_EQ(*ParseRetentionAge("30m"), absl::Minutes(30));
  EXPECT_EQ(*ParseRetentionAge("1h"), absl::Hours(1));
  EXPECT_EQ(*ParseRetentionAge("1h30m"), absl::Minutes(90));
  EXPECT_EQ(*ParseRetentionAge("90s"), absl::Seconds(90));
  EXPECT_EQ(*ParseRetentionAge("0"), absl::ZeroDuration());
  EXPECT_EQ(*ParseRetentionAge("7d"), absl::Hours(7 * 24));
  EXPECT_EQ(*ParseRetentionAge("1.5d"), absl::Hours(36));
  EXPECT_EQ(*ParseRetentionAge("1d12h"), absl::Hours(36));
}

TEST(ParseRetentionAgeTest, RejectsMalformedOrNegative) {
  for (std::string_view bad : {"", "d", "7", "-1h", "-1d", "7days", "1d-1h",
                               "xd", "1d2", "inf", "1w"}) {
    EXPECT_FALSE(ParseRetentionAge(bad).ok()) << "\"" << bad << "\"";
  }
}

TEST(ParseTimeoutTest, AcceptsSecondsAndDurations) {
  EXPECT_EQ(*ParseTimeout("5"), absl::Seconds(5));
  EXPECT_EQ(*ParseTimeout("0.5"), absl::Milliseconds(500));
  EXPECT_EQ(*ParseTimeout("250ms"), absl::Milliseconds(250));
  EXPECT_EQ(*ParseTimeout("1m"), absl::Minutes(1));
}

TEST(ParseTimeoutTest, RejectsZeroNegativeAndJunk) {
  for (std::string_view bad :
       {"", "0", "0s", "-1", "-1s", "abc", "1e3", "inf"}) {
    EXPECT_FALSE(ParseTimeout(bad).ok()) << "\"" << bad << "\"";
  }
}

TEST(ParseUnsignedTest, ChecksDigitsAndBounds) {
  EXPECT_EQ(*ParseUnsigned("7", 1, 10), 7u);
  EXPECT_FALSE(ParseUnsigned("0", 1, 10).ok());
  EXPECT_FALSE(ParseUnsigned("11", 1, 10).ok());
  EXPECT_FALSE(ParseUnsigned("+3", 0, 10).ok());
  EXPECT_FALSE(ParseUnsigned(" 3", 0, 10).ok());
  EXPECT_FALSE(ParseUnsigned("", 0, 10).ok());
}

}  // namespace
}  // namespace chorus::cli
