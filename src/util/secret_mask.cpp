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
  for (size_t k = 1; k <= piece_; ++k) {
    std::vector<uint64_t>& prefixes = prefixes_[k - 1];
    for (size_t i = 0; i + piece_ <= secret.size(); ++i)
      prefixes.push_back(Pack(secret.data() + i, k));
    std::sort(prefixes.begin(), prefixes.end());
    prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
  }
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

// A long secret's window that the text holds whole is decided already; a short one's is not until
// the character after it is known (whether it stands apart).
size_t SecretMask::OpenTail(std::string_view text) const {
  const size_t longest = std::min(whole_only_ ? piece_ : piece_ - 1, text.size());
  for (size_t k = longest; k > 0; --k) {
    const std::vector<uint64_t>& prefixes = prefixes_[k - 1];
    if (std::binary_search(prefixes.begin(), prefixes.end(),
                           Pack(text.data() + text.size() - k, k)))
      return k;
  }
  return 0;
}

std::string_view StreamMask::Add(std::string_view text) {
  if (mask_->empty()) return text;
  seen_.append(text);
  size_t end = seen_.size() - mask_->OpenTail(seen_);
  // A tail that could not begin the key then cannot now: what was let through stays so. (A key
  // is printable ASCII, CheckApiKey: a held end begins a character, never splits one.)
  return Release(std::max(end, released_));
}

std::string_view StreamMask::Finish() {
  if (mask_->empty()) return {};
  const std::string_view rest = Release(seen_.size());
  seen_.clear();
  released_ = 0;
  return rest;
}

std::string_view StreamMask::Cut() {
  const size_t held = Finish().size();
  out_.assign(held, '*');
  return out_;
}

// Masks all that is known, so runs across the boundary are found, and keeps kMinPiece + 1
// characters before the new boundary: every window that can still reach past it starts there
// (the one more is a short secret's test of the character before it).
std::string_view StreamMask::Release(size_t end) {
  out_.assign(seen_);
  mask_->MaskInPlace(out_.data(), out_.size());
  const std::string_view shown = std::string_view(out_).substr(released_, end - released_);
  const size_t keep = SecretMask::kMinPiece + 1;
  const size_t drop = end > keep ? end - keep : 0;
  seen_.erase(0, drop);
  released_ = end - drop;
  return shown;
}

bool SecretMasks::MaskInPlace(char* text, size_t size) const {
  bool any = false;
  for (const SecretMask& mask : masks_) any = mask.MaskInPlace(text, size) || any;
  return any;
}

size_t SecretMasks::OpenTail(std::string_view text) const {
  size_t open = 0;
  for (const SecretMask& mask : masks_) open = std::max(open, mask.OpenTail(text));
  return open;
}

bool SecretMasks::empty() const {
  return std::all_of(masks_.begin(), masks_.end(), [](const SecretMask& m) { return m.empty(); });
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
