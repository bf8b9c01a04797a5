#include "audio/playout_tracker.h"

#include <algorithm>

namespace voxterm {

namespace {
constexpr size_t kItemsKept = 8;  // plenty: items play one after another
const std::string kNone;
}  // namespace

void PlayoutTracker::BeginItem(const std::string& item_id, uint64_t queued_frames) {
  items_.push_back({item_id, queued_frames});
  if (items_.size() > kItemsKept) items_.pop_front();
}

void PlayoutTracker::AddAudio(uint64_t frames, uint64_t samples_24k) {
  if (items_.empty()) return;
  items_.back().frames += frames;
  items_.back().samples_24k += samples_24k;
}

const std::string& PlayoutTracker::current_item() const {
  return items_.empty() ? kNone : items_.back().id;
}

std::optional<PlayoutTracker::Heard> PlayoutTracker::At(uint64_t played_frames) const {
  // The latest item that had started playing by then.
  for (auto it = items_.rbegin(); it != items_.rend(); ++it) {
    if (played_frames < it->start_frame) continue;
    const uint64_t heard_frames = std::min(played_frames - it->start_frame, it->frames);
    int64_t ms = static_cast<int64_t>(heard_frames * 1000 / static_cast<uint64_t>(device_rate_hz_));
    // Never past the audio the server sent for it (resampling may round a frame up).
    const int64_t received_ms = static_cast<int64_t>(it->samples_24k * 1000 / 24000);
    return Heard{it->id, std::min(ms, received_ms)};
  }
  return std::nullopt;
}

std::vector<std::string> PlayoutTracker::Unheard(uint64_t played_frames) const {
  std::vector<std::string> unheard;
  for (const Item& item : items_) {
    if (item.start_frame > played_frames && item.frames > 0) unheard.push_back(item.id);
  }
  return unheard;
}

}  // namespace voxterm
