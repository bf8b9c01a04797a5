#include "conversation/answer_audio.h"

#include <string>

#include "audio/pcm.h"
#include "util/log.h"

namespace voxterm {

size_t AnswerAudio::Play(const ServerEvent& event) {
  auto decoded = DecodePcm16(event.delta, &decoded_);
  if (!decoded) {
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
  tracker_.AddAudio(frames, samples);
  return samples;
}

}  // namespace voxterm
