// Fuzzes proto::RecordReader and HeaderReader, the broker's validation of
// every published batch: any input is either refused with kInvalidArgument
// or read as records whose headers number header_count, and the records read
// re-encode (AppendRecord) to bytes that read back the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "proto/records.h"

namespace {

struct Owned {
  std::string key;
  std::string value;
  std::vector<chorus::proto::HeaderPair> headers;
  bool operator==(const Owned&) const = default;
};

// Reads every record; false if the input is malformed.
bool ReadAll(std::string_view input, std::vector<Owned>* out) {
  chorus::proto::RecordReader reader(input);
  chorus::proto::RecordView view;
  while (reader.Next(&view)) {
    // The views lie inside the input, the body inside the encoded field.
    if (view.encoded.data() < input.data() ||
        view.encoded.data() + view.encoded.size() >
            input.data() + input.size() ||
        view.body.data() < view.encoded.data() ||
        view.body.data() + view.body.size() !=
            view.encoded.data() + view.encoded.size()) {
      std::abort();
    }
    Owned record{std::string(view.key), std::string(view.value), {}};
    chorus::proto::HeaderReader headers(view.body);
    std::string_view name, value;
    while (headers.Next(&name, &value)) {
      if (name.empty() || name.size() > 255) std::abort();
      record.headers.emplace_back(std::string(name), std::string(value));
    }
    if (record.headers.size() != view.header_count) std::abort();
    out->push_back(std::move(record));
  }
  if (!reader.status().ok() &&
      reader.status().code() != absl::StatusCode::kInvalidArgument) {
    std::abort();
  }
  return reader.status().ok();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<Owned> records;
  if (!ReadAll(input, &records)) return 0;
  std::string rebuilt;
  for (const Owned& r : records) {
    chorus::proto::AppendRecord(r.key, r.value, r.headers, &rebuilt);
  }
  std::vector<Owned> again;
  if (!ReadAll(rebuilt, &again) || again != records) std::abort();
  return 0;
}
