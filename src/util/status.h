// Status and Result: how recoverable failures travel (leveldb's Status, SerenityOS's ErrorOr).
// A failure carries one line of the form "what: detail", ready to show to a user.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace voxterm {

class [[nodiscard]] Status {
 public:
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message)); }

  bool ok() const { return !message_.has_value(); }
  // REQUIRES: !ok()
  const std::string& message() const { return *message_; }

 private:
  Status() = default;
  explicit Status(std::string message) : message_(std::move(message)) {}
  std::optional<std::string> message_;
};

// A value or the message of why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}       // NOLINT: implicit on purpose, like ErrorOr.
  Result(Status error) : error_(std::move(error)) {}  // NOLINT
  static Result Error(std::string message) { return Result(Status::Error(std::move(message))); }

  bool ok() const { return value_.has_value(); }
  // REQUIRES: ok()
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T& operator*() { return *value_; }
  const T* operator->() const { return &*value_; }
  T* operator->() { return &*value_; }
  // REQUIRES: !ok()
  const std::string& message() const { return error_.message(); }
  const Status& status() const { return error_; }

 private:
  std::optional<T> value_;
  Status error_ = Status::Ok();
};

}  // namespace voxterm
