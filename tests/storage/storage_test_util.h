// Test helpers for storage/: a temporary data folder and status assertions.
//
//   ScopedTempDir dir;
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> store,
//                        Store::Open({.data_dir = dir.path()}));
//   ASSERT_OK(store->SyncWal());
#ifndef CHORUS_TESTS_STORAGE_STORAGE_TEST_UTIL_H_
#define CHORUS_TESTS_STORAGE_STORAGE_TEST_UTIL_H_

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace chorus::storage {

// A fresh folder under /tmp, removed with everything in it on destruction.
class ScopedTempDir {
 public:
  ScopedTempDir() {
    std::string pattern = "/tmp/chorus_storage_test_XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
    }
    path_ = pattern;
  }
  ~ScopedTempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
    EXPECT_FALSE(ec) << "remove " << path_ << ": " << ec.message();
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline ::testing::AssertionResult IsOk(const absl::Status& status) {
  if (status.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << status;
}

template <typename T>
::testing::AssertionResult IsOk(const absl::StatusOr<T>& status_or) {
  return IsOk(status_or.status());
}

}  // namespace chorus::storage

#define ASSERT_OK(expr) ASSERT_TRUE(::chorus::storage::IsOk(expr))
#define EXPECT_OK(expr) EXPECT_TRUE(::chorus::storage::IsOk(expr))

#define CHORUS_TEST_CONCAT_INNER_(a, b) a##b
#define CHORUS_TEST_CONCAT_(a, b) CHORUS_TEST_CONCAT_INNER_(a, b)

// Asserts that `expr` (an absl::StatusOr<T>) is OK and moves its value to
// `lhs`, which may be a declaration.
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(           \
      CHORUS_TEST_CONCAT_(chorus_test_statusor_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                               \
  ASSERT_OK(statusor);                                  \
  lhs = *std::move(statusor)

#endif  // CHORUS_TESTS_STORAGE_STORAGE_TEST_UTIL_H_
