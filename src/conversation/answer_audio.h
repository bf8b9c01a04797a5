// AnswerAudio: the answers' audio to the speaker, the same in every mode. Each delta is decoded
// once (base64 PCM16, 24 kHz) into a buffer kept for the next, queued on the PlaybackPath, and
// counted by item in a PlayoutTracker, so a barge-in can tell which item was heard, and how far.
// Thread safety: main thread only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "audio/playback_path.h"
#include "audio/playout_tracker.h"
#include "protocol/server_events.h"
#include "util/log.h"

namespace voxterm {

class AnswerAudio {
 public:
  // playback must outlive this.
  explicit AnswerAudio(PlaybackPath* playback)
      : playback_(playback), tracker_(playback->device_rate_hz()) {}

  // An audio delta. Returns the samples queued: 0 for an empty one, for one that is not valid
  // base64, or for one beyond what may wait for the speaker (PlaybackPath::kMaxWaitingSeconds):
  // skipped, with a warning (once an answer for the last).
  size_t Play(const ServerEvent& event);
  const PlayoutTracker& tracker() const { return tracker_; }

 private:
  PlaybackPath* const playback_;
  PlayoutTracker tracker_;
  std::vector<int16_t> decoded_;  // scratch, kept between deltas
  std::string refused_item_;      // the last item whose audio was refused, warned about once
  LogThrottle skipped_lines_{LogLevel::kWarn, "audio deltas skipped"};  // a flood of them
};

}  // namespace voxterm
