// The two wire dialects of the Realtime API (docs/protocol.md, PROTOCOL.md section 0.1).
#pragma once

#include <optional>
#include <string_view>

namespace voxterm {

enum class Dialect {
  kGa,    // the live API: no OpenAI-Beta header, nested session.audio, output_* event names
  kBeta,  // "OpenAI-Beta: realtime=v1": flat session fields, response.audio.delta and friends
};

inline const char* ToString(Dialect d) { return d == Dialect::kGa ? "ga" : "beta"; }

inline std::optional<Dialect> ParseDialect(std::string_view s) {
  if (s == "ga") return Dialect::kGa;
  if (s == "beta") return Dialect::kBeta;
  return std::nullopt;
}

}  // namespace voxterm
