// PrintError, PrintOut and the `chorus topics` commands.
#include "client/cli/commands.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/string_views.h"

namespace chorus::cli {
namespace {

std::string Limit(uint64_t value) {
  return value == 0 ? "unlimited" : absl::StrCat(value);
}

std::string AgeLimit(absl::Duration age) {
  return age == absl::ZeroDuration() ? "unlimited" : absl::FormatDuration(age);
}

}  // namespace

void PrintOut(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
}

void PrintError(std::string_view message) {
  const std::string line =
      absl::StrCat("chorus: error: ", AsAbsl(message), "\n");
  std::fwrite(line.data(), 1, line.size(), stderr);
}

int RunTopicsCreate(Client& client, const TopicsCreateCommand& command) {
  absl::StatusOr<TopicInfo> info =
      client.CreateTopic(command.name, command.config);
  if (!info.ok()) {
    PrintError(absl::StrCat("create topic ", command.name, ": ",
                            info.status().message()));
    return kExitFailure;
  }
  std::fprintf(stderr, "created topic %s with %u partition%s\n",
               info->name.c_str(), info->config.partitions,
               info->config.partitions == 1 ? "" : "s");
  return kExitOk;
}

int RunTopicsList(Client& client, const TopicsListCommand&) {
  absl::StatusOr<std::vector<TopicInfo>> topics = client.ListTopics();
  if (!topics.ok()) {
    PrintError(absl::StrCat("list topics: ", topics.status().message()));
    return kExitFailure;
  }
  std::sort(
      topics->begin(), topics->end(),
      [](const TopicInfo& a, const TopicInfo& b) { return a.name < b.name; });
  std::string out;
  for (const TopicInfo& topic : *topics) {
    absl::StrAppend(&out, topic.name, "\t", topic.config.partitions, "\n");
  }
  PrintOut(out);
  return kExitOk;
}

int RunTopicsDescribe(Client& client, const TopicsDescribeCommand& command) {
  absl::StatusOr<TopicInfo> info = client.DescribeTopic(command.name);
  if (!info.ok()) {
    PrintError(absl::StrCat("describe topic ", command.name, ": ",
                            info.status().message()));
    return kExitFailure;
  }
  std::string out = absl::StrCat(
      "name: ", info->name, "\npartitions: ", info->config.partitions,
      info->config.status ? "\nstatus: yes" : "",
      "\nretention-age: ", AgeLimit(info->config.retention_age),
      "\nretention-bytes: ", Limit(info->config.retention_bytes),
      "\nretention-messages: ", Limit(info->config.retention_messages), "\n");
  for (const PartitionInfo& partition : info->partitions) {
    absl::StrAppend(&out, "partition ", partition.partition, ": start ",
                    partition.start_offset, " next ", partition.next_offset,
                    " bytes ", partition.bytes, "\n");
  }
  PrintOut(out);
  return kExitOk;
}

int RunTopicsDelete(Client& client, const TopicsDeleteCommand& command) {
  absl::Status deleted = client.DeleteTopic(command.name);
  if (!deleted.ok()) {
    PrintError(
        absl::StrCat("delete topic ", command.name, ": ", deleted.message()));
    return kExitFailure;
  }
  std::fprintf(stderr, "deleted topic %s\n", command.name.c_str());
  return kExitOk;
}

}  // namespace chorus::cli
