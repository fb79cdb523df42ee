#include "client/cli/contexts.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chorus::cli {
namespace {

using ::testing::HasSubstr;

ContextFile TwoContexts() {
  ContextFile file;
  file.Put({.name = "prod",
            .servers = {"b1:7400", "b2:7400"},
            .token_file = "/home/me/.chorus/prod.token",
            .client_name = "ops",
            .description = "the real one"});
  file.Put({.name = "dev", .servers = {"127.0.0.1:7400"}});
  file.current = "prod";
  return file;
}

TEST(ContextFileTest, JsonKeepsEveryFieldAndNamesInOrder) {
  const std::string json = ContextsToJson(TwoContexts());
  EXPECT_EQ(json,
            R"({
  "current": "prod",
  "contexts": {
    "dev": {
      "servers": [
        "127.0.0.1:7400"
      ]
    },
    "prod": {
      "servers": [
        "b1:7400",
        "b2:7400"
      ],
      "token_file": "/home/me/.chorus/prod.token",
      "client_name": "ops",
      "description": "the real one"
    }
  }
}
)");
  absl::StatusOr<ContextFile> back = ParseContexts(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->current, "prod");
  ASSERT_EQ(back->contexts.size(), 2u);
  EXPECT_EQ(back->contexts[0].name, "dev");
  const Context* prod = back->Find("prod");
  ASSERT_NE(prod, nullptr);
  EXPECT_EQ(prod->servers, (std::vector<std::string>{"b1:7400", "b2:7400"}));
  EXPECT_EQ(prod->token_file, "/home/me/.chorus/prod.token");
  EXPECT_EQ(prod->client_name, "ops");
  EXPECT_EQ(prod->description, "the real one");
}

TEST(ContextFileTest, PutReplacesAndRemoveClearsTheSelection) {
  ContextFile file = TwoContexts();
  file.Put({.name = "prod", .servers = {"b3:7400"}});
  ASSERT_EQ(file.contexts.size(), 2u);
  EXPECT_EQ(file.Find("prod")->servers, (std::vector<std::string>{"b3:7400"}));
  file.Put({.name = "a", .servers = {"x:1"}});
  EXPECT_EQ(file.contexts.front().name, "a");
  EXPECT_TRUE(file.Remove("prod"));
  EXPECT_EQ(file.current, "");
  EXPECT_FALSE(file.Remove("prod"));
  EXPECT_EQ(file.Find("prod"), nullptr);
}

void ExpectMalformed(const std::string& json, const std::string& part) {
  absl::StatusOr<ContextFile> file = ParseContexts(json);
  ASSERT_FALSE(file.ok()) << json;
  EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(file.status().message()), HasSubstr(part));
}

TEST(ContextFileTest, MalformedFilesSayWhatIsWrong) {
  ExpectMalformed("{", "not a JSON object");
  ExpectMalformed("[]", "not a JSON object");
  ExpectMalformed(R"({"current": 3})", "current must be a string");
  ExpectMalformed(R"({"current": "x", "contexts": {}})",
                  "current names context x, which does not exist");
  ExpectMalformed(R"({"contexts": {"p": {"servers": []}}})",
                  "servers must be a list");
  ExpectMalformed(R"({"contexts": {"p": {}}})", "context p has no servers");
  ExpectMalformed(R"({"contexts": {"p": {"servers": [1]}}})",
                  "servers must be a string");
  ExpectMalformed(
      R"({"contexts": {"p": {"servers": ["a:1"], "tls_ca": "/ca.pem"}}})",
      "context p: unknown key \"tls_ca\" (written by a newer chorus?)");
  ExpectMalformed(R"({"contexts": {".p": {"servers": ["a:1"]}}})",
                  "context name \".p\"");
  ExpectMalformed(R"({"contexts": {}, "extra": 1})", "unknown key \"extra\"");
}

TEST(ContextFileTest, NamesAreLettersDigitsDotsDashesUnderscores) {
  EXPECT_TRUE(CheckContextName("prod-eu_1.b").ok());
  EXPECT_FALSE(CheckContextName("").ok());
  EXPECT_FALSE(CheckContextName(".hidden").ok());
  EXPECT_FALSE(CheckContextName("a/b").ok());
  EXPECT_FALSE(CheckContextName("a b").ok());
}

TEST(ContextsPathTest, FollowsXdgConfigHomeThenHome) {
  EXPECT_EQ(ContextsPath("/x/config", "/home/me"),
            "/x/config/chorus/contexts.json");
  EXPECT_EQ(ContextsPath(nullptr, "/home/me"),
            "/home/me/.config/chorus/contexts.json");
  // The XDG spec: a relative XDG_CONFIG_HOME is ignored.
  EXPECT_EQ(ContextsPath("relative", "/home/me"),
            "/home/me/.config/chorus/contexts.json");
  EXPECT_EQ(ContextsPath(nullptr, nullptr), "");
  EXPECT_EQ(ContextsPath("", ""), "");
}

class ContextStorageTest : public ::testing::Test {
 protected:
  ContextStorageTest() {
    char folder[] = "/tmp/chorus_contexts_test.XXXXXX";
    folder_ = mkdtemp(folder);
  }
  ~ContextStorageTest() override { std::filesystem::remove_all(folder_); }

  static mode_t Mode(const std::string& path) {
    struct stat info;
    EXPECT_EQ(stat(path.c_str(), &info), 0) << path;
    return info.st_mode & 0777;
  }

  std::string folder_;
};

TEST_F(ContextStorageTest, SavedFileIsPrivateAndLoadsBack) {
  const std::string path = folder_ + "/config/chorus/contexts.json";
  absl::StatusOr<ContextFile> missing = LoadContexts(path);
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_TRUE(missing->contexts.empty());

  ASSERT_TRUE(SaveContexts(path, TwoContexts()).ok());
  EXPECT_EQ(Mode(path), 0600u);
  EXPECT_EQ(Mode(folder_ + "/config/chorus"), 0700u);
  EXPECT_EQ(Mode(folder_ + "/config"), 0700u);
  absl::StatusOr<ContextFile> loaded = LoadContexts(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->current, "prod");
  EXPECT_EQ(loaded->contexts.size(), 2u);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  // A file someone made readable for all is private again once saved.
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  ASSERT_TRUE(SaveContexts(path, *loaded).ok());
  EXPECT_EQ(Mode(path), 0600u);
}

TEST_F(ContextStorageTest, MalformedFileIsAnErrorNamingIt) {
  const std::string path = folder_ + "/contexts.json";
  std::ofstream(path) << "{\"contexts\": 7}";
  absl::StatusOr<ContextFile> loaded = LoadContexts(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message(), path + ": contexts must be an object");
}

TEST_F(ContextStorageTest, NoPathMeansNoContextsAndNowhereToSave) {
  absl::StatusOr<ContextFile> loaded = LoadContexts("");
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded->contexts.empty());
  EXPECT_EQ(SaveContexts("", TwoContexts()).code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace chorus::cli
