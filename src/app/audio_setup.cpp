#include "app/audio_setup.h"

#include "audio/file_device.h"

namespace voxterm {

namespace {
// PortAudio's buffer: 10 ms keeps barge-in within one short callback.
constexpr int kBufferMs = 10;
}  // namespace

Result<AudioSetup> OpenAudio(const Config& config, WantInput want_input) {
  AudioSetup setup;
  const bool sound_card =
      (want_input == WantInput::kYes && config.input_file.empty()) || config.output_file.empty();
  if (sound_card) {
    auto system = PortAudioSystem::Create();
    if (!system.ok()) return system.status();
    setup.portaudio = std::move(*system);
  }
  if (want_input == WantInput::kYes) {
    if (!config.input_file.empty()) {
      auto file = FileInput::Open(config.input_file);
      if (!file.ok()) return file.status();
      setup.input = std::move(*file);
    } else {
      auto index = setup.portaudio->Find(config.input_device, Direction::kInput);
      if (!index.ok()) return index.status();
      auto device = PortAudioInput::Open(*index, kBufferMs);
      if (!device.ok()) return device.status();
      setup.input = std::move(*device);
    }
  }
  if (!config.output_file.empty()) {
    auto file = FileOutput::Create(config.output_file);
    if (!file.ok()) return file.status();
    setup.output = std::move(*file);
  } else {
    auto index = setup.portaudio->Find(config.output_device, Direction::kOutput);
    if (!index.ok()) return index.status();
    auto device = PortAudioOutput::Open(*index, kBufferMs);
    if (!device.ok()) return device.status();
    setup.output = std::move(*device);
  }
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
