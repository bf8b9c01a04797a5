// Choosing and opening the audio devices a configuration asks for, in each direction
// independently, from one table of backends: the sound card (PortAudio, by index or name), files,
// or the null devices. A new backend is a row in audio_setup.cpp's table and a value here.
#pragma once

#include <cstdio>
#include <memory>

#include "audio/audio_config.h"
#include "audio/audio_device.h"
#include "audio/portaudio_device.h"

namespace voxterm {

struct AudioSetup {
  std::unique_ptr<PortAudioSystem>
      portaudio;                      // only when a sound card is used; outlives the streams
  std::unique_ptr<AudioInput> input;  // null when no input is wanted
  std::unique_ptr<AudioOutput> output;
};

enum class WantInput { kNo, kYes };

// Where one direction's audio comes from or goes. kNone: no input (--text --speak); an output
// is always opened.
enum class AudioBackend { kNone, kDevice, kFile, kNull };

struct AudioBackends {
  AudioBackend input = AudioBackend::kNone;
  AudioBackend output = AudioBackend::kDevice;
};

// What config asks for: a file where --input-file or --output-file names one, else the sound
// card; no input unless want_input. No option asks for the null devices (issue 16 adds no
// feature): tests open them by name.
AudioBackends ChooseBackends(const AudioConfig& config, WantInput want_input);

// Opens backends (the sound card's devices and the files as config names them); the error
// says which device and why (exit code 2 or 1).
Result<AudioSetup> OpenAudio(const AudioConfig& config, AudioBackends backends);

// `voxterm devices`: the table of inputs and outputs, to out.
Status ListDevices(FILE* out);

}  // namespace voxterm
