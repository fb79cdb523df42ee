#include "broker/dead_letters.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/partition.h"
#include "common/log.h"

namespace chorus::broker {

void DeadLetters::Publish(const std::string& topic, std::string records,
                          std::string publisher) {
  absl::StatusOr<std::shared_ptr<Topic>> found = registry_->FindOrCreate(topic);
  if (!found.ok()) {
    Log(LogLevel::kError, "dead-letter",
        absl::StrCat("cannot use topic ", topic, ": ",
                     found.status().ToString()));
    return;
  }
  std::shared_ptr<Partition> partition = (*found)->partitions.front();
  if (partition == nullptr) {
    Log(LogLevel::kError, "dead-letter",
        absl::StrCat("cannot use topic ", topic,
                     ": its partition 0 is led by another broker"));
    return;
  }
  asio::post(
      partition->shard()->executor(),
      [partition, records = std::move(records),
       publisher = std::move(publisher)]() mutable {
        partition->Append(
            std::move(records), 1, publisher, {},
            [topic = partition->topic()](absl::StatusOr<AppendResult> result) {
              if (result.ok()) return;
              Log(LogLevel::kError, "dead-letter",
                  absl::StrCat("append to ", topic, ": ",
                               result.status().ToString()));
            });
      });
}

}  // namespace chorus::broker
