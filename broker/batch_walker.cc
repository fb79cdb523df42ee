#include "broker/batch_walker.h"

#include "absl/strings/str_cat.h"

namespace chorus::broker {

absl::StatusOr<bool> BatchWalker::Seek(uint64_t offset) {
  if (!Holds(offset)) {
    std::vector<std::string> read;
    if (absl::Status status = log_.Read(offset, offset + 1, 1, &read);
        !status.ok()) {
      return status;
    }
    batch_.clear();
    reader_.reset();
    if (read.empty()) return false;
    batch_ = std::move(read.front());
    absl::StatusOr<storage::StoredBatchView> view =
        storage::ParseStoredBatch(batch_);
    if (!view.ok()) {
      batch_.clear();
      return view.status();
    }
    view_ = *view;
    if (!Holds(offset)) return false;  // removed: the next batch came back
  }
  if (!reader_.has_value() || offset < reader_next_) {
    reader_.emplace(view_.records);
    reader_next_ = view_.header.base_offset;
  }
  while (reader_next_ <= offset) {
    if (!reader_->Next(&record_)) {
      return absl::DataLossError(
          absl::StrCat("stored batch at offset ", view_.header.base_offset,
                       " has fewer records than its count"));
    }
    ++reader_next_;
  }
  return true;
}

}  // namespace chorus::broker
