// Recorder: --record, both sides of a conversation in one stereo WAV at 24 kHz. Left: the
// microphone, as sent to the server. Right: what the speaker played, silence included, from
// the output's monitor, so the two stay in time. (With --output-file the answer is not played
// in time, so the right channel holds the answers back to back.)
// Thread safety: main thread only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "audio/audio_device.h"
#include "audio/resampler.h"

struct sf_private_tag;

namespace voxterm {

class Recorder {
 public:
  // output_rate_hz: the rate of the monitor's samples. with_microphone: false records the
  // speaker alone (--text --speak).
  static Result<std::unique_ptr<Recorder>> Create(const std::string& path, int output_rate_hz,
                                                  bool with_microphone);
  ~Recorder();  // writes what is left and closes the file

  // 24 kHz microphone samples, as sent.
  void AddMicrophone(const int16_t* samples, size_t count);
  // What the output played, at its rate, from its monitor; writes every frame both sides have.
  void AddSpeaker(const int16_t* samples, size_t count);

 private:
  Recorder(sf_private_tag* file, std::string path, int output_rate_hz, bool with_microphone);
  void WriteFrames(size_t frames);

  sf_private_tag* file_;
  const std::string path_;
  bool write_failed_ = false;  // a write failed, and was reported
  const bool with_microphone_;
  Resampler resampler_;
  std::vector<int16_t> mic_, speaker_;  // 24 kHz, waiting for the other side
  std::vector<int16_t> stereo_;         // scratch
};

}  // namespace voxterm
