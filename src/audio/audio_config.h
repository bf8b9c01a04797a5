// AudioConfig: what the audio engine takes from a run's configuration (app/config.h fills it in,
// AudioConfigOf): which devices or files, the frame and prebuffer sizes, echo control.
#pragma once

#include <optional>
#include <string>

#include "audio/echo_control.h"

namespace voxterm {

// The defaults of the options that set them (Config's initialisers are these).
constexpr int kDefaultFrameMs = 20;
constexpr int kDefaultPrebufferMs = 100;

struct AudioConfig {
  std::string input_device;  // index or part of a name; empty: the default
  std::string output_device;
  std::string input_file;          // the microphone from a file instead
  std::string output_file;         // the assistant's audio into a WAV instead of the speaker
  std::string record;              // both sides of the conversation into a stereo WAV; empty: none
  int frame_ms = kDefaultFrameMs;  // the capture path's frames (10 to 100)
  int prebuffer_ms = kDefaultPrebufferMs;  // jitter buffer before an answer starts playing
  std::optional<EchoMode> echo;            // nullopt: aec, or off with headphones
  bool headphones = false;                 // the speaker cannot reach the microphone
};

}  // namespace voxterm
