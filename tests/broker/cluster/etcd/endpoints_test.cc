#include "broker/cluster/etcd/endpoints.h"

#include "broker/cluster/etcd/txn.h"
#include "gtest/gtest.h"

namespace chorus::etcd {
namespace {

TEST(EndpointsTest, ListBecomesOneTargetOverEveryMember) {
  absl::StatusOr<std::string> target =
      GrpcTarget("http://127.0.0.1:2379, 127.0.0.2:2380/,localhost:2381");
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(*target, "ipv4:127.0.0.1:2379,127.0.0.2:2380,127.0.0.1:2381");
}

TEST(EndpointsTest, MalformedEntriesAreNamed) {
  for (const char* bad : {"", "http://", "127.0.0.1", "127.0.0.1:0",
                          "127.0.0.1:65536", ":2379", "h:p"}) {
    absl::StatusOr<std::string> target = GrpcTarget(bad);
    EXPECT_EQ(target.status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_NE(GrpcTarget("127.0.0.1:1,bogus").status().message().find("bogus"),
            absl::string_view::npos);
}

TEST(EndpointsTest, HostsThatDoNotResolveAreRefused) {
  absl::StatusOr<std::string> target =
      GrpcTarget("http://no-such-host.invalid:2379");
  EXPECT_EQ(target.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(EndpointsTest, HttpsIsNotSupportedYet) {
  EXPECT_EQ(GrpcTarget("https://127.0.0.1:2379").status().code(),
            absl::StatusCode::kUnimplemented);
}

TEST(PrefixEndTest, IncrementsTheLastByteThatCanBe) {
  EXPECT_EQ(PrefixEnd("/a/"), "/a0");
  EXPECT_EQ(PrefixEnd(std::string("a\xff", 2)), "b");
  EXPECT_EQ(PrefixEnd(""), std::string(1, '\0'));
  EXPECT_EQ(PrefixEnd(std::string("\xff\xff", 2)), std::string(1, '\0'));
}

}  // namespace
}  // namespace chorus::etcd
