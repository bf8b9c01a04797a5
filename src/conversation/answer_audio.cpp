#include "conversation/answer_audio.h"

#include <string>

#include "audio/pcm.h"
#include "util/log.h"

namespace voxterm {

size_t AnswerAudio::Play(const ServerEvent& event) {
  auto decoded = DecodePcm16(event.delta, &decoded_);
  if (!decoded) {
    if (skipped_lines_.Admit(event.received_ns / 1000000))
      LOG_WARN("skipped an audio delta that is not valid base64 (%zu characters)",
               event.delta.size());
    return 0;
  }
  const size_t samples = *decoded;
  if (samples == 0) return 0;
  const std::string item_id(event.item_id);
  if (item_id != tracker_.current_item()) tracker_.BeginItem(item_id, playback_->queued_frames());
  playback_->SetStreamOpen(true);
  const size_t frames = playback_->Write(decoded_.data(), samples);
  if (frames == 0) {
    // A server that sends minutes ahead of what is heard: what waits is bounded.
    if (item_id != refused_item_) {
      refused_item_ = item_id;
      LOG_WARN("dropped audio of an answer: more than %d s of it already waits for the speaker",
               PlaybackPath::kMaxWaitingSeconds);
    }
    return 0;
  }
  tracker_.AddAudio(frames, samples);
  return samples;
}

}  // namespace voxterm
