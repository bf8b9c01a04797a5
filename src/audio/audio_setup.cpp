#include "audio/audio_setup.h"

#include "audio/file_device.h"
#include "audio/null_device.h"

namespace voxterm {

namespace {

// The output's PortAudio buffer: 10 ms keeps barge-in within one short callback.
constexpr int kBufferMs = 10;

// The input's: a frame's 20 ms where frames are made of them (the default), so that each
// callback completes a frame and the main thread, whose ticks follow the callbacks, wakes once
// per frame sent; 10 ms otherwise. Every callback wakes PortAudio's thread and the sound
// system's: an open conversation with 10 ms input buffers cost a third more CPU in all
// (docs/performance.md, (i)). What it adds, 10 ms before the server hears a word, is nothing to
// its VAD.
int InputBufferMs(int frame_ms) { return frame_ms % 20 == 0 ? 20 : kBufferMs; }

using InputResult = Result<std::unique_ptr<AudioInput>>;
using OutputResult = Result<std::unique_ptr<AudioOutput>>;

// Widens a device's Result<unique_ptr<Derived>> to the interface's.
template <typename Base, typename Derived>
Result<std::unique_ptr<Base>> Upcast(Result<std::unique_ptr<Derived>> opened) {
  if (!opened.ok()) return opened.status();
  return std::unique_ptr<Base>(std::move(*opened));
}

InputResult OpenDeviceInput(const AudioConfig& config, PortAudioSystem* portaudio) {
  auto index = portaudio->Find(config.input_device, Direction::kInput);
  if (!index.ok()) return index.status();
  return Upcast<AudioInput>(PortAudioInput::Open(*index, InputBufferMs(config.frame_ms)));
}

OutputResult OpenDeviceOutput(const AudioConfig& config, PortAudioSystem* portaudio) {
  auto index = portaudio->Find(config.output_device, Direction::kOutput);
  if (!index.ok()) return index.status();
  return Upcast<AudioOutput>(PortAudioOutput::Open(*index, kBufferMs));
}

InputResult OpenFileInput(const AudioConfig& config, PortAudioSystem*) {
  return Upcast<AudioInput>(FileInput::Open(config.input_file));
}

OutputResult OpenFileOutput(const AudioConfig& config, PortAudioSystem*) {
  return Upcast<AudioOutput>(FileOutput::Create(config.output_file));
}

InputResult OpenNullInput(const AudioConfig&, PortAudioSystem*) {
  return std::unique_ptr<AudioInput>(std::make_unique<NullInput>());
}

OutputResult OpenNullOutput(const AudioConfig&, PortAudioSystem*) {
  return std::unique_ptr<AudioOutput>(std::make_unique<NullOutput>());
}

bool HasInputFile(const AudioConfig& config) { return !config.input_file.empty(); }
bool HasOutputFile(const AudioConfig& config) { return !config.output_file.empty(); }
bool Always(const AudioConfig&) { return true; }
bool Never(const AudioConfig&) { return false; }

struct BackendRow {
  AudioBackend backend;
  // Whether config asks for this backend, per direction: the first row that says yes wins.
  bool (*chosen_for_input)(const AudioConfig&);
  bool (*chosen_for_output)(const AudioConfig&);
  bool sound_card;  // needs PortAudio initialised first
  InputResult (*open_input)(const AudioConfig&, PortAudioSystem*);
  OutputResult (*open_output)(const AudioConfig&, PortAudioSystem*);
};

constexpr BackendRow kBackends[] = {
    {AudioBackend::kFile, HasInputFile, HasOutputFile, false, OpenFileInput, OpenFileOutput},
    {AudioBackend::kDevice, Always, Always, true, OpenDeviceInput, OpenDeviceOutput},
    // No option chooses the null devices: the rows before always answer first.
    {AudioBackend::kNull, Never, Never, false, OpenNullInput, OpenNullOutput},
};

const BackendRow& RowOf(AudioBackend backend) {
  for (const BackendRow& row : kBackends) {
    if (row.backend == backend) return row;
  }
  return kBackends[1];  // not reached: every backend but kNone has a row
}

}  // namespace

AudioBackends ChooseBackends(const AudioConfig& config, WantInput want_input) {
  AudioBackends chosen;
  bool input_chosen = want_input == WantInput::kNo;
  bool output_chosen = false;
  for (const BackendRow& row : kBackends) {
    if (!input_chosen && row.chosen_for_input(config)) {
      chosen.input = row.backend;
      input_chosen = true;
    }
    if (!output_chosen && row.chosen_for_output(config)) {
      chosen.output = row.backend;
      output_chosen = true;
    }
  }
  return chosen;
}

Result<AudioSetup> OpenAudio(const AudioConfig& config, AudioBackends backends) {
  const BackendRow* input =
      backends.input == AudioBackend::kNone ? nullptr : &RowOf(backends.input);
  const BackendRow& output = RowOf(backends.output);
  AudioSetup setup;
  if ((input && input->sound_card) || output.sound_card) {
    auto system = PortAudioSystem::Create();
    if (!system.ok()) return system.status();
    setup.portaudio = std::move(*system);
  }
  if (input) {
    auto opened = input->open_input(config, setup.portaudio.get());
    if (!opened.ok()) return opened.status();
    setup.input = std::move(*opened);
  }
  auto opened = output.open_output(config, setup.portaudio.get());
  if (!opened.ok()) return opened.status();
  setup.output = std::move(*opened);
  return setup;
}

Status ListDevices(FILE* out) {
  auto system = PortAudioSystem::Create();
  if (!system.ok()) return system.status();
  auto devices = (*system)->Devices();
  if (devices.empty()) {
    fprintf(out, "no audio devices\n");
    return Status::Ok();
  }
  fprintf(out, "%5s  %-7s %-8s %8s  %s\n", "index", "in/out", "default", "rate", "name (host API)");
  for (const AudioDeviceInfo& d : devices) {
    std::string io =
        std::to_string(d.max_input_channels) + "/" + std::to_string(d.max_output_channels);
    std::string which = d.default_input && d.default_output ? "in,out"
                        : d.default_input                   ? "in"
                        : d.default_output                  ? "out"
                                                            : "";
    fprintf(out, "%5d  %-7s %-8s %8.0f  %s (%s)\n", d.index, io.c_str(), which.c_str(),
            d.default_rate_hz, d.name.c_str(), d.host_api.c_str());
  }
  return Status::Ok();
}

}  // namespace voxterm
