// AudioEngine: the devices a run uses, with their rings and the main thread's paths to them.
// Voice mode uses both directions; --text --speak only the output. With both a microphone and a
// speaker it runs echo control (--echo) between them, lining the two up by the devices' timing.
// Thread safety: main thread only; the devices' callbacks and threads touch only the rings and
// the counters.
#pragma once

#include <memory>

#include "audio/audio_setup.h"
#include "audio/capture_path.h"
#include "audio/echo_control.h"
#include "audio/playback_path.h"
#include "audio/recorder.h"

namespace voxterm {

class AudioEngine {
 public:
  // Opens the devices config asks for (ChooseBackends), or the backends given (tests).
  static Result<std::unique_ptr<AudioEngine>> Open(const AudioConfig& config, WantInput want_input);
  static Result<std::unique_ptr<AudioEngine>> Open(const AudioConfig& config,
                                                   AudioBackends backends);
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
  // PumpSpeaker() gives it what the speaker played.
  Recorder* recorder() { return recorder_.get(); }
  EchoMode echo_mode() const { return echo_ ? echo_->mode() : EchoMode::kOff; }

  // What the speaker played, to the recorder and the echo control. Call every tick.
  void PumpSpeaker();
  // The microphone's new frames, through echo control, to sink (after PumpSpeaker, so that
  // what the microphone heard has its reference).
  void PumpMicrophone(const CapturePath::FrameSink& sink);
  void DiscardMicrophone();
  uint64_t capture_overruns() const { return setup_.input ? setup_.input->overruns() : 0; }

 private:
  AudioEngine(AudioSetup setup, const AudioConfig& config, std::unique_ptr<Recorder> recorder,
              EchoMode echo);
  // Lines the echo control's timelines up by the devices' latest timing.
  void AlignEcho();

  AudioSetup setup_;
  // Sized in time: a second of microphone, two seconds of answer (a backlog in PlaybackPath
  // holds what arrives faster than that).
  SpscRing<int16_t> capture_ring_;
  SpscRing<int16_t> playback_ring_;
  SpscRing<int16_t> monitor_ring_;  // what the output played, for the recorder and echo control
  PlaybackCounters counters_;
  std::unique_ptr<EchoControl> echo_;  // null when off
  std::unique_ptr<CapturePath> capture_;
  std::unique_ptr<PlaybackPath> playback_;
  std::unique_ptr<Recorder> recorder_;  // declared after the rings: closed before they go
  bool started_ = false;
  bool input_started_ = false;

  Resampler echo_resampler_;            // the monitor's samples to 24 kHz, for echo control
  std::vector<int16_t> monitor_chunk_;  // scratch
  std::vector<int16_t> speaker_24k_;    // scratch
  uint64_t monitor_dropped_ = 0;        // as last seen
  uint64_t device_underruns_ = 0;       // the output's, as last seen
  uint64_t overruns_seen_ = 0;          // the input's, as last seen, in 24 kHz samples
  static constexpr int kDelayWarmup = 20;
  double delay_estimate_ = 0;  // echo: the line-up of the two timelines, smoothed
  int delay_measurements_ = 0;
};

// The echo control a configuration gets: --echo when given, else aec on a speaker and off with
// --headphones. Off whenever either side is a file: no room lies between them.
EchoMode EffectiveEchoMode(const AudioConfig& config);

}  // namespace voxterm
