// AudioEngine: the devices a run uses, with their rings and the main thread's paths to them.
// Voice mode uses both directions; --text --speak only the output.
// Thread safety: main thread only; the devices' callbacks and threads touch only the rings and
// the counters.
#pragma once

#include <memory>

#include "app/audio_setup.h"
#include "audio/capture_path.h"
#include "audio/playback_path.h"
#include "audio/recorder.h"

namespace voxterm {

class AudioEngine {
 public:
  static Result<std::unique_ptr<AudioEngine>> Open(const Config& config, WantInput want_input);
  ~AudioEngine();

  // The output starts at once; the input only when there is somewhere to send it, so that a
  // file's first words are not dropped while the session is being set up.
  Status Start();
  Status StartInput();
  void Stop();

  PlaybackPath* playback() { return playback_.get(); }
  CapturePath* capture() { return capture_.get(); }  // null without an input
  AudioInput* input() { return setup_.input.get(); }
  const PlaybackCounters& counters() const { return counters_; }
  // --record: null when not recording. The microphone side is fed by the caller (what was sent);
  // PumpRecorder() takes what the speaker played.
  Recorder* recorder() { return recorder_.get(); }
  void PumpRecorder();
  uint64_t capture_overruns() const { return setup_.input ? setup_.input->overruns() : 0; }

 private:
  AudioEngine(AudioSetup setup, const Config& config, std::unique_ptr<Recorder> recorder);

  AudioSetup setup_;
  // Sized in time: a second of microphone, two seconds of answer (a backlog in PlaybackPath
  // holds what arrives faster than that).
  SpscRing<int16_t> capture_ring_;
  SpscRing<int16_t> playback_ring_;
  SpscRing<int16_t> monitor_ring_;  // what the output played, for the recorder
  PlaybackCounters counters_;
  std::unique_ptr<CapturePath> capture_;
  std::unique_ptr<PlaybackPath> playback_;
  std::unique_ptr<Recorder> recorder_;  // declared after the rings: closed before they go
  bool started_ = false;
  bool input_started_ = false;
};

}  // namespace voxterm
