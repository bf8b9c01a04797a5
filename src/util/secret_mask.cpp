#include "util/secret_mask.h"

#include <algorithm>
#include <cstring>

namespace voxterm {
namespace {

// A piece of up to 8 characters as one number, so a piece is found with one comparison.
uint64_t Pack(const char* text, size_t size) {
  uint64_t packed = 0;
  memcpy(&packed, text, size);
  return packed;
}

size_t FilterBit(uint64_t packed) { return (packed * 0x9E3779B97F4A7C15ull) >> 52; }

// What keys and base64 are made of: a short key is masked only where it stands apart from these.
bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '+' || c == '/' || c == '=';
}

SecretMasks g_process_masks;  // [0]: the API key's

}  // namespace

SecretMask::SecretMask(std::string_view secret) {
  if (secret.empty()) return;
  piece_ = std::min(kMinPiece, secret.size());
  whole_only_ = secret.size() < kMinPiece;
  for (size_t i = 0; i + piece_ <= secret.size(); ++i) {
    const uint64_t packed = Pack(secret.data() + i, piece_);
    pieces_.push_back(packed);
    const size_t bit = FilterBit(packed);
    filter_[bit / 64] |= uint64_t{1} << (bit % 64);
  }
  std::sort(pieces_.begin(), pieces_.end());
}

// Runs are found on the text as it was, then overwritten: a window must not see the stars of
// the one before it, or a run of the key would be masked only in part.
bool SecretMask::MaskInPlace(char* text, size_t size) const {
  if (piece_ == 0 || size < piece_) return false;
  size_t run_start = 0, run_end = 0;  // the run being extended, [start, end)
  bool any = false;
  auto flush = [&] {
    if (run_end > run_start) memset(text + run_start, '*', run_end - run_start);
  };
  for (size_t i = 0; i + piece_ <= size; ++i) {
    const uint64_t packed = Pack(text + i, piece_);
    const size_t bit = FilterBit(packed);
    if (!(filter_[bit / 64] & (uint64_t{1} << (bit % 64)))) continue;
    if (!std::binary_search(pieces_.begin(), pieces_.end(), packed)) continue;
    if (whole_only_ &&
        ((i > 0 && IsWordChar(text[i - 1])) || (i + piece_ < size && IsWordChar(text[i + piece_]))))
      continue;
    any = true;
    if (i > run_end) {  // a new run: the previous one is complete, and no later window reads it
      flush();
      run_start = i;
    }
    run_end = i + piece_;
  }
  flush();
  return any;
}

std::string SecretMask::Masked(std::string_view text) const {
  std::string copy(text);
  Mask(&copy);
  return copy;
}

bool SecretMasks::MaskInPlace(char* text, size_t size) const {
  bool any = false;
  for (const SecretMask& mask : masks_) any = mask.MaskInPlace(text, size) || any;
  return any;
}

std::string SecretMasks::Masked(std::string_view text) const {
  std::string copy(text);
  Mask(&copy);
  return copy;
}

void SecretMasks::Set(size_t index, std::string_view secret) {
  if (masks_.size() <= index) masks_.resize(index + 1);
  masks_[index] = SecretMask(secret);
}

void SetProcessSecret(std::string_view secret) { g_process_masks.Set(0, secret); }

void AddProcessSecret(std::string_view secret) { g_process_masks.Add(secret); }

const SecretMasks& ProcessSecretMask() { return g_process_masks; }

}  // namespace voxterm
