#include "protocol/session_options.h"

#include <cstddef>

namespace voxterm {
namespace {

// One table per enum: the wire word of each value, kLeaveDefault excluded.
template <typename E>
struct Word {
  E value;
  std::string_view word;
};

constexpr Word<NoiseReduction> kNoiseReductionWords[] = {
    {NoiseReduction::kNearField, "near_field"},
    {NoiseReduction::kFarField, "far_field"},
    {NoiseReduction::kOff, "off"},
};
constexpr Word<VadEagerness> kEagernessWords[] = {
    {VadEagerness::kLow, "low"},
    {VadEagerness::kMedium, "medium"},
    {VadEagerness::kHigh, "high"},
    {VadEagerness::kAuto, "auto"},
};
constexpr Word<ReasoningEffort> kEffortWords[] = {
    {ReasoningEffort::kMinimal, "minimal"}, {ReasoningEffort::kLow, "low"},
    {ReasoningEffort::kMedium, "medium"},   {ReasoningEffort::kHigh, "high"},
    {ReasoningEffort::kXhigh, "xhigh"},
};

template <typename E, size_t N>
const char* WordOf(const Word<E> (&table)[N], E value) {
  for (const auto& w : table) {
    if (w.value == value) return w.word.data();  // literals: NUL-terminated
  }
  return "";
}

template <typename E, size_t N>
std::optional<E> ValueOf(const Word<E> (&table)[N], std::string_view s) {
  for (const auto& w : table) {
    if (w.word == s) return w.value;
  }
  return std::nullopt;
}

}  // namespace

const char* ToString(NoiseReduction v) { return WordOf(kNoiseReductionWords, v); }
const char* ToString(VadEagerness v) { return WordOf(kEagernessWords, v); }
const char* ToString(ReasoningEffort v) { return WordOf(kEffortWords, v); }

std::optional<NoiseReduction> ParseNoiseReduction(std::string_view s) {
  return ValueOf(kNoiseReductionWords, s);
}
std::optional<VadEagerness> ParseVadEagerness(std::string_view s) {
  return ValueOf(kEagernessWords, s);
}
std::optional<ReasoningEffort> ParseReasoningEffort(std::string_view s) {
  return ValueOf(kEffortWords, s);
}

std::optional<int> ParseMaxOutputTokens(std::string_view s) {
  if (s == "inf") return kMaxOutputTokensInf;
  if (s.empty() || s.size() > 4) return std::nullopt;
  int n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n < 1 || n > kMaxOutputTokensLimit) return std::nullopt;
  return n;
}

}  // namespace voxterm
