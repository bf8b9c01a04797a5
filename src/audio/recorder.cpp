#include "audio/recorder.h"

#include <sndfile.h>

#include <algorithm>
#include <cerrno>

#include "audio/file_device.h"

namespace voxterm {

Result<std::unique_ptr<Recorder>> Recorder::Create(const std::string& path, int output_rate_hz,
                                                   bool with_microphone) {
  auto file = CreateWav24k(path, 2, "--record");
  if (!file.ok()) return file.status();
  return std::unique_ptr<Recorder>(new Recorder(*file, path, output_rate_hz, with_microphone));
}

Recorder::Recorder(sf_private_tag* file, std::string path, int output_rate_hz, bool with_microphone)
    : file_(file),
      path_(std::move(path)),
      with_microphone_(with_microphone),
      resampler_(output_rate_hz, kApiSampleRateHz) {}

Recorder::~Recorder() {
  // The side that is behind is padded with silence.
  const size_t frames = std::max(mic_.size(), speaker_.size());
  mic_.resize(frames, 0);
  speaker_.resize(frames, 0);
  WriteFrames(frames);
  sf_close(file_);
}

void Recorder::AddMicrophone(const int16_t* samples, size_t count) {
  mic_.insert(mic_.end(), samples, samples + count);
}

void Recorder::AddSpeaker(const int16_t* samples, size_t count) {
  resampler_.Process(samples, count, &speaker_);
  if (!with_microphone_) mic_.resize(speaker_.size(), 0);
  WriteFrames(std::min(mic_.size(), speaker_.size()));
}

void Recorder::WriteFrames(size_t frames) {
  if (frames == 0) return;
  stereo_.resize(frames * 2);
  for (size_t i = 0; i < frames; ++i) {
    stereo_[2 * i] = mic_[i];
    stereo_[2 * i + 1] = speaker_[i];
  }
  if (!write_failed_) {  // after a failure (reported once), the frames are dropped
    errno = 0;
    const sf_count_t written =
        sf_writef_short(file_, stereo_.data(), static_cast<sf_count_t>(frames));
    WavWriteFailed(static_cast<sf_count_t>(frames), written, "--record", path_, &write_failed_);
  }
  mic_.erase(mic_.begin(), mic_.begin() + static_cast<std::ptrdiff_t>(frames));
  speaker_.erase(speaker_.begin(), speaker_.begin() + static_cast<std::ptrdiff_t>(frames));
}

}  // namespace voxterm
