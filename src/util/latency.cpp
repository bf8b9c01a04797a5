#include "util/latency.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace voxterm {

int64_t LatencySeries::Percentile(double p) const {
  if (samples_.empty()) return 0;
  std::vector<int64_t> sorted = samples_;
  std::sort(sorted.begin(), sorted.end());
  const double rank = std::ceil(p / 100.0 * static_cast<double>(sorted.size()));
  const size_t index =
      static_cast<size_t>(std::clamp(rank, 1.0, static_cast<double>(sorted.size()))) - 1;
  return sorted[index];
}

std::string Latencies::ToJson() const {
  const std::pair<const char*, const LatencySeries*> series[] = {
      {"capture_to_send", &capture_to_send},   {"send_queue", &send_queue},
      {"first_audio", &first_audio},           {"barge_in", &barge_in},
      {"barge_in_voxterm", &barge_in_voxterm},
  };
  std::string out = "{";
  for (const auto& [name, s] : series) {
    char entry[200];
    snprintf(entry, sizeof entry,
             "%s\"%s\": {\"count\": %zu, \"p50_us\": %lld, \"p99_us\": %lld, \"max_us\": %lld}",
             out.size() > 1 ? ", " : "", name, s->count(),
             static_cast<long long>(s->Percentile(50) / 1000),
             static_cast<long long>(s->Percentile(99) / 1000),
             static_cast<long long>(s->Percentile(100) / 1000));
    out += entry;
  }
  return out + "}\n";
}

}  // namespace voxterm
