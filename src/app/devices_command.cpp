#include "app/devices_command.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "audio/audio_engine.h"
#include "audio/audio_setup.h"
#include "audio/portaudio_device.h"
#include "protocol/json_write.h"
#include "util/exit_code.h"
#include "util/log.h"

namespace voxterm {
namespace {

// One object per device, in PortAudio's order: what the table shows, for scripts.
int ListJson(FILE* out) {
  auto system = PortAudioSystem::Create();
  if (!system.ok()) {
    LOG_ERROR("%s", system.status().message().c_str());
    return ToInt(ExitCode::kFailure);
  }
  JsonBuffer buffer;
  JsonWriter w(buffer);
  w.StartArray();
  for (const AudioDeviceInfo& d : (*system)->Devices()) {
    w.StartObject();
    w.Key("index");
    w.Int(d.index);
    w.Key("name");
    w.String(d.name.c_str(), static_cast<rapidjson::SizeType>(d.name.size()));
    w.Key("host_api");
    w.String(d.host_api.c_str(), static_cast<rapidjson::SizeType>(d.host_api.size()));
    w.Key("input_channels");
    w.Int(d.max_input_channels);
    w.Key("output_channels");
    w.Int(d.max_output_channels);
    w.Key("default_rate_hz");
    w.Double(d.default_rate_hz);
    w.Key("default_input");
    w.Bool(d.default_input);
    w.Key("default_output");
    w.Bool(d.default_output);
    w.EndObject();
  }
  w.EndArray();
  fprintf(out, "%s\n", buffer.GetString());
  return ToInt(ExitCode::kSuccess);
}

constexpr int kToneMs = 1000;
constexpr int kToneHz = 440;
constexpr int kListenMs = 4000;  // the tone's second, then three of the room
constexpr int kTickMs = 20;
// Below this the microphone heard nothing: a quiet room still reads about -60 dBFS or more.
constexpr double kSilentDbfs = -70;

// A second of 440 Hz at -12 dBFS, faded in and out over 10 ms so that it does not click.
std::vector<int16_t> Tone() {
  const int n = kApiSampleRateHz * kToneMs / 1000;
  const int fade = kApiSampleRateHz / 100;
  std::vector<int16_t> samples(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const double envelope = std::min({1.0, i / double(fade), (n - 1 - i) / double(fade)});
    samples[static_cast<size_t>(i)] = static_cast<int16_t>(
        std::lround(8192 * envelope * std::sin(2 * M_PI * kToneHz * i / kApiSampleRateHz)));
  }
  return samples;
}

double Dbfs(int peak) { return peak > 0 ? 20 * std::log10(peak / 32768.0) : -120; }

// The level on one line, rewritten in place on a terminal: "-23 dBFS  [#########.........]".
void ShowLevel(FILE* err, double dbfs, bool terminal) {
  if (!terminal) return;
  const int width = 30;
  const int filled = std::clamp(static_cast<int>((dbfs + 60) / 60 * width), 0, width);
  fprintf(err, "\rmicrophone: %4.0f dBFS  [%s%s]", std::max(dbfs, -99.0),
          std::string(static_cast<size_t>(filled), '#').c_str(),
          std::string(static_cast<size_t>(width - filled), '.').c_str());
  fflush(err);
}

// The devices a conversation would use (the flags and the config file choose them), echo control
// off, so that the level is the microphone's own.
int Test(const Config& config, FILE* out) {
  AudioConfig audio = AudioConfigOf(config);
  audio.echo = EchoMode::kOff;
  audio.record.clear();
  auto opened = AudioEngine::Open(audio, WantInput::kYes);
  if (!opened.ok()) {
    LOG_ERROR("%s", opened.status().message().c_str());
    return ToInt(ExitCode::kFailure);
  }
  AudioEngine& engine = **opened;
  if (Status started = engine.Start(); !started.ok()) {
    LOG_ERROR("%s", started.message().c_str());
    return ToInt(ExitCode::kFailure);
  }
  if (Status started = engine.StartInput(); !started.ok()) {
    LOG_ERROR("%s", started.message().c_str());
    return ToInt(ExitCode::kFailure);
  }
  const bool terminal = isatty(STDERR_FILENO);
  fprintf(out, "speaker: a %d Hz tone for %d s\n", kToneHz, kToneMs / 1000);
  fflush(out);
  const std::vector<int16_t> tone = Tone();
  engine.playback()->SetStreamOpen(true);
  engine.playback()->Write(tone.data(), tone.size());
  engine.playback()->SetStreamOpen(false);
  int loudest = 0;
  int window = 0;  // the last tenth of a second's peak, for the meter
  for (int elapsed = 0; elapsed < kListenMs; elapsed += kTickMs) {
    const timespec tick = {0, kTickMs * 1000000L};
    nanosleep(&tick, nullptr);
    engine.playback()->Pump();
    engine.PumpSpeaker();
    engine.PumpMicrophone([&](const int16_t* samples, size_t count) {
      for (size_t i = 0; i < count; ++i) window = std::max(window, std::abs(int{samples[i]}));
    });
    if ((elapsed + kTickMs) % 100 == 0) {
      ShowLevel(stderr, Dbfs(window), terminal);
      loudest = std::max(loudest, window);
      window = 0;
    }
  }
  if (terminal) fputs("\n", stderr);
  const uint64_t played = engine.counters().played_frames.load();
  engine.Stop();
  fprintf(out, "speaker: %.1f s played\n",
          static_cast<double>(played) / engine.playback()->device_rate_hz());
  const double dbfs = Dbfs(loudest);
  if (dbfs < kSilentDbfs) {
    fprintf(out, "microphone: silent (loudest %.0f dBFS): muted, or not the device you meant?\n",
            dbfs);
    return ToInt(ExitCode::kFailure);
  }
  fprintf(out, "microphone: loudest %.0f dBFS (speech near it: about -30 to -10)\n", dbfs);
  return ToInt(ExitCode::kSuccess);
}

}  // namespace

int RunDevicesCommand(const Config& config, DevicesCommand command, FILE* out) {
  switch (command) {
    case DevicesCommand::kList: {
      Status listed = ListDevices(out);
      if (!listed.ok()) LOG_ERROR("%s", listed.message().c_str());
      return ToInt(listed.ok() ? ExitCode::kSuccess : ExitCode::kFailure);
    }
    case DevicesCommand::kJson: return ListJson(out);
    case DevicesCommand::kTest: return Test(config, out);
  }
  return ToInt(ExitCode::kFailure);
}

}  // namespace voxterm
