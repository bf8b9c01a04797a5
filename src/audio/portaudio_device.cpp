#include "audio/portaudio_device.h"

#include <fcntl.h>
#include <portaudio.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "audio/resampler.h"
#include "util/clock.h"
#include "util/log.h"

namespace voxterm {
namespace {

// ALSA and JACK print dozens of lines to stderr while PortAudio probes them (missing cards, no
// JACK server), none of them about voxterm. While PortAudio enumerates and opens, stderr points
// at /dev/null, except with -vv. Devices are opened before any other thread starts, so nothing
// else of ours is silenced meanwhile.
class QuietStderr {
 public:
  QuietStderr() {
    if (LogEnabled(LogLevel::kDebug)) return;
    fflush(stderr);
    saved_ = dup(STDERR_FILENO);
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved_ >= 0 && null >= 0) dup2(null, STDERR_FILENO);
    if (null >= 0) close(null);
  }
  ~QuietStderr() {
    if (saved_ < 0) return;
    dup2(saved_, STDERR_FILENO);
    close(saved_);
  }
  QuietStderr(const QuietStderr&) = delete;
  QuietStderr& operator=(const QuietStderr&) = delete;

 private:
  int saved_ = -1;
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return s;
}

Status PaFailure(const std::string& what, PaError error) {
  return Status::Error(what + ": " + Pa_GetErrorText(error));
}

// 24 kHz when the device takes it (no resampling at all), else its default rate; mono when it
// takes one channel, else two.
struct Choice {
  PaStreamParameters params;
  int rate_hz;
};

Result<Choice> ChooseFormat(int device_index, Direction direction) {
  const PaDeviceInfo* info = Pa_GetDeviceInfo(device_index);
  if (!info) return Status::Error("no audio device " + std::to_string(device_index));
  const bool input = direction == Direction::kInput;
  const int max_channels = input ? info->maxInputChannels : info->maxOutputChannels;
  if (max_channels < 1) {
    return Status::Error(std::string("audio device \"") + info->name + "\" has no " +
                         (input ? "input" : "output"));
  }
  PaStreamParameters params{};
  params.device = device_index;
  params.sampleFormat = paInt16;
  params.suggestedLatency = input ? info->defaultLowInputLatency : info->defaultLowOutputLatency;
  for (double rate : {static_cast<double>(kApiSampleRateHz), info->defaultSampleRate}) {
    for (int channels : {1, 2}) {
      if (channels > max_channels) continue;
      params.channelCount = channels;
      if (Pa_IsFormatSupported(input ? &params : nullptr, input ? nullptr : &params, rate) == paFormatIsSupported) {
        return Choice{params, static_cast<int>(rate)};
      }
    }
  }
  return Status::Error(std::string("audio device \"") + info->name +
                       "\" takes neither 24000 Hz nor its default rate in 16-bit mono or stereo");
}

using Callback = int (*)(const void*, void*, unsigned long, const void*, unsigned long, void*);

// Opens a one-direction stream in the format ChooseFormat picks, buffer_ms long buffers.
Status OpenStream(Direction direction, int device_index, int buffer_ms, Callback callback, void* user,
                  void** stream, int* rate_hz, int* channels) {
  const bool input = direction == Direction::kInput;
  double latency_s = 0;
  {
    QuietStderr quiet;  // ends before the log line below, which must be seen
    auto choice = ChooseFormat(device_index, direction);
    if (!choice.ok()) return choice.status();
    *rate_hz = choice->rate_hz;
    *channels = choice->params.channelCount;
    const unsigned long frames = static_cast<unsigned long>(choice->rate_hz * buffer_ms / 1000);
    PaError error = Pa_OpenStream(reinterpret_cast<PaStream**>(stream), input ? &choice->params : nullptr,
                                  input ? nullptr : &choice->params, choice->rate_hz, frames, paClipOff,
                                  reinterpret_cast<PaStreamCallback*>(callback), user);
    if (error != paNoError) return PaFailure(input ? "opening the audio input" : "opening the audio output", error);
    if (const PaStreamInfo* info = Pa_GetStreamInfo(*stream)) latency_s = input ? info->inputLatency : info->outputLatency;
  }
  // What the device opened as: the first thing to know when audio misbehaves (-v).
  LOG_INFO("audio %s: \"%s\" at %d Hz, %d channel%s, %.0f ms latency", input ? "input" : "output",
           Pa_GetDeviceInfo(device_index)->name, *rate_hz, *channels, *channels == 1 ? "" : "s", latency_s * 1000);
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<PortAudioSystem>> PortAudioSystem::Create() {
  // JACK would otherwise try to start a server of its own.
  setenv("JACK_NO_START_SERVER", "1", 0);
  QuietStderr quiet;
  PaError error = Pa_Initialize();
  if (error != paNoError) return PaFailure("audio system", error);
  return std::unique_ptr<PortAudioSystem>(new PortAudioSystem());
}

PortAudioSystem::~PortAudioSystem() {
  QuietStderr quiet;
  Pa_Terminate();
}

std::vector<AudioDeviceInfo> PortAudioSystem::Devices() const {
  std::vector<AudioDeviceInfo> devices;
  const int count = Pa_GetDeviceCount();
  const PaDeviceIndex default_in = Pa_GetDefaultInputDevice();
  const PaDeviceIndex default_out = Pa_GetDefaultOutputDevice();
  for (int i = 0; i < count; ++i) {
    const PaDeviceInfo* info = Pa_GetDeviceInfo(i);
    if (!info) continue;
    const PaHostApiInfo* api = Pa_GetHostApiInfo(info->hostApi);
    devices.push_back({i, info->name, api ? api->name : "?", info->maxInputChannels,
                       info->maxOutputChannels, info->defaultSampleRate, i == default_in,
                       i == default_out});
  }
  return devices;
}

Result<int> PortAudioSystem::Find(const std::string& spec, Direction direction) const {
  const bool input = direction == Direction::kInput;
  const char* what = input ? "input" : "output";
  auto usable = [input](const AudioDeviceInfo& d) {
    return (input ? d.max_input_channels : d.max_output_channels) > 0;
  };
  const std::vector<AudioDeviceInfo> devices = Devices();
  std::string list;
  for (const AudioDeviceInfo& d : devices) {
    if (usable(d)) list += (list.empty() ? "" : ", ") + std::to_string(d.index) + " \"" + d.name + "\"";
  }
  if (list.empty()) list = "none";
  if (spec.empty()) {
    PaDeviceIndex index = input ? Pa_GetDefaultInputDevice() : Pa_GetDefaultOutputDevice();
    if (index == paNoDevice) return Status::Error(std::string("no default audio ") + what + " device (there are: " + list + ")");
    return static_cast<int>(index);
  }
  const bool numeric = std::all_of(spec.begin(), spec.end(), [](char c) { return isdigit(static_cast<unsigned char>(c)); });
  for (const AudioDeviceInfo& d : devices) {
    if (!usable(d)) continue;
    if (numeric ? std::to_string(d.index) == spec : Lower(d.name).find(Lower(spec)) != std::string::npos) {
      return d.index;
    }
  }
  return Status::Error(std::string("no audio ") + what + " device \"" + spec + "\" (there are: " + list + ")");
}

Result<std::unique_ptr<PortAudioInput>> PortAudioInput::Open(int device_index, int buffer_ms) {
  std::unique_ptr<PortAudioInput> device(new PortAudioInput());
  Status opened = OpenStream(Direction::kInput, device_index, buffer_ms, &PortAudioInput::Callback, device.get(),
                             &device->stream_, &device->rate_hz_, &device->channels_);
  if (!opened.ok()) return opened;
  return device;
}

PortAudioInput::~PortAudioInput() {
  Stop();
  if (stream_) Pa_CloseStream(stream_);
}

Status PortAudioInput::Start(SpscRing<int16_t>* ring) {
  ring_ = ring;
  PaError error = Pa_StartStream(stream_);
  return error == paNoError ? Status::Ok() : PaFailure("starting the audio input", error);
}

void PortAudioInput::Stop() {
  if (stream_ && Pa_IsStreamActive(stream_) == 1) Pa_StopStream(stream_);
}

int PortAudioInput::Callback(const void* input, void*, unsigned long frames, const void* time_info,
                             unsigned long, void* self) {
  // How long ago this buffer's first frame was captured, as the host API reports it (0 if it
  // does not, or reports nonsense).
  const auto* time = static_cast<const PaStreamCallbackTimeInfo*>(time_info);
  const double behind_s = time ? time->currentTime - time->inputBufferAdcTime : 0;
  const int64_t behind_ns = behind_s > 0 && behind_s < 1 ? static_cast<int64_t>(behind_s * 1e9) : 0;
  return static_cast<PortAudioInput*>(self)->OnAudio(static_cast<const int16_t*>(input), frames, behind_ns);
}

int PortAudioInput::OnAudio(const int16_t* input, size_t frames, int64_t behind_ns) noexcept {
  if (!input) return paContinue;
  const int64_t now_ns = MonotonicNs();
  capture_origin_ns_.store(now_ns - behind_ns - FramesToNs(captured_frames_, rate_hz_), std::memory_order_relaxed);
  captured_frames_ += frames;
  // Into the ring in place: downmixing writes straight into its regions, no temporary.
  auto regions = ring_->WriteRegions(frames);
  DownmixToMono(input, regions.first_count, channels_, regions.first);
  DownmixToMono(input + regions.first_count * channels_, regions.second_count, channels_, regions.second);
  ring_->CommitWrite(regions.total());
  if (regions.total() < frames) overruns_.fetch_add(frames - regions.total(), std::memory_order_relaxed);
  delivered_at_ns_.store(now_ns, std::memory_order_relaxed);
  return paContinue;
}

Result<std::unique_ptr<PortAudioOutput>> PortAudioOutput::Open(int device_index, int buffer_ms) {
  std::unique_ptr<PortAudioOutput> device(new PortAudioOutput());
  Status opened = OpenStream(Direction::kOutput, device_index, buffer_ms, &PortAudioOutput::Callback, device.get(),
                             &device->stream_, &device->rate_hz_, &device->channels_);
  if (!opened.ok()) return opened;
  device->engine_ = PlaybackEngine(device->rate_hz_);
  return device;
}

PortAudioOutput::~PortAudioOutput() {
  Stop();
  if (stream_) Pa_CloseStream(stream_);
}

Status PortAudioOutput::Start(SpscRing<int16_t>* ring, PlaybackCounters* counters, SpscRing<int16_t>* monitor) {
  ring_ = ring;
  counters_ = counters;
  monitor_ = monitor;
  PaError error = Pa_StartStream(stream_);
  return error == paNoError ? Status::Ok() : PaFailure("starting the audio output", error);
}

void PortAudioOutput::Stop() {
  if (stream_ && Pa_IsStreamActive(stream_) == 1) Pa_StopStream(stream_);
}

int PortAudioOutput::Callback(const void*, void* output, unsigned long frames, const void* time_info,
                              unsigned long, void* self) {
  // How far ahead of now this buffer will be heard, as the host API reports it (0 if it does
  // not, or reports nonsense).
  const auto* time = static_cast<const PaStreamCallbackTimeInfo*>(time_info);
  const double ahead_s = time ? time->outputBufferDacTime - time->currentTime : 0;
  const int64_t ahead_ns = ahead_s > 0 && ahead_s < 1 ? static_cast<int64_t>(ahead_s * 1e9) : 0;
  return static_cast<PortAudioOutput*>(self)->OnAudio(static_cast<int16_t*>(output), frames, ahead_ns);
}

int PortAudioOutput::OnAudio(int16_t* output, size_t frames, int64_t ahead_ns) noexcept {
  counters_->device_ahead_ns.store(ahead_ns, std::memory_order_relaxed);
  const int64_t heard_at_ns = MonotonicNs() + ahead_ns;
  engine_.Render(ring_, counters_, output, frames, channels_, heard_at_ns, monitor_);
  return paContinue;
}

}  // namespace voxterm
