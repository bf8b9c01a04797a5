#include "audio/portaudio_device.h"

#include <fcntl.h>
#include <pa_linux_alsa.h>
#include <portaudio.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "audio/alsa_messages.h"
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

constexpr double kMinOutputLatencyS = 0.08;

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
  // The output keeps at least kMinOutputLatencyS queued: with the 20 ms of ALSA's pulse device's
  // "low" latency, a busy machine ran it dry several times an answer (SCHED_FIFO or not: the
  // pulse client's own thread is an ordinary one), and each underrun moves the echo under the
  // canceller. It costs as much in how soon a barge-in silences the speaker.
  params.suggestedLatency = input ? info->defaultLowInputLatency
                                  : std::max(info->defaultLowOutputLatency, kMinOutputLatencyS);
  for (double rate : {static_cast<double>(kApiSampleRateHz), info->defaultSampleRate}) {
    for (int channels : {1, 2}) {
      if (channels > max_channels) continue;
      params.channelCount = channels;
      if (Pa_IsFormatSupported(input ? &params : nullptr, input ? nullptr : &params, rate) ==
          paFormatIsSupported) {
        return Choice{params, static_cast<int>(rate)};
      }
    }
  }
  return Status::Error(std::string("audio device \"") + info->name +
                       "\" takes neither 24000 Hz nor its default rate in 16-bit mono or stereo");
}

using Callback = int (*)(const void*, void*, unsigned long, const void*, unsigned long, void*);

// Opens a one-direction stream in the format ChooseFormat picks, buffer_ms long buffers.
Status OpenStream(Direction direction, int device_index, int buffer_ms, Callback callback,
                  void* user, void** stream, int* rate_hz, int* channels) {
  const bool input = direction == Direction::kInput;
  double latency_s = 0;
  {
    QuietStderr quiet;  // ends before the log line below, which must be seen
    auto choice = ChooseFormat(device_index, direction);
    if (!choice.ok()) return choice.status();
    *rate_hz = choice->rate_hz;
    *channels = choice->params.channelCount;
    const unsigned long frames = static_cast<unsigned long>(choice->rate_hz * buffer_ms / 1000);
    PaError error =
        Pa_OpenStream(reinterpret_cast<PaStream**>(stream), input ? &choice->params : nullptr,
                      input ? nullptr : &choice->params, choice->rate_hz, frames, paClipOff,
                      reinterpret_cast<PaStreamCallback*>(callback), user);
    if (error != paNoError)
      return PaFailure(input ? "opening the audio input" : "opening the audio output", error);
    // A busy machine delays an ordinary thread by tens of ms, and the device runs dry: ask for
    // SCHED_FIFO for the stream's thread. PortAudio falls back to normal scheduling when the
    // system refuses (no privilege, no rtkit); the callbacks are short and never block.
    const PaHostApiInfo* api = Pa_GetHostApiInfo(Pa_GetDeviceInfo(device_index)->hostApi);
    if (api && api->type == paALSA) PaAlsa_EnableRealtimeScheduling(*stream, 1);
    if (const PaStreamInfo* info = Pa_GetStreamInfo(*stream))
      latency_s = input ? info->inputLatency : info->outputLatency;
  }
  // What the device opened as: the first thing to know when audio misbehaves (-v).
  LOG_INFO("audio %s: \"%s\" at %d Hz, %d channel%s, %.0f ms latency", input ? "input" : "output",
           Pa_GetDeviceInfo(device_index)->name, *rate_hz, *channels, *channels == 1 ? "" : "s",
           latency_s * 1000);
  return Status::Ok();
}

}  // namespace

void CallbackTiming::Begin(int64_t now_ns, bool xrun) noexcept {
  if (policy.load(std::memory_order_relaxed) < 0) {
    // Whether PortAudio got real-time scheduling for this thread: it falls back quietly.
    sched_param param{};
    sched_getparam(0, &param);
    priority.store(param.sched_priority, std::memory_order_relaxed);
    policy.store(sched_getscheduler(0), std::memory_order_relaxed);
  }
  callbacks.store(callbacks.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  if (xrun) {
    device_xruns.store(device_xruns.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  if (last_start_ns && now_ns - last_start_ns > longest_gap_ns.load(std::memory_order_relaxed)) {
    longest_gap_ns.store(now_ns - last_start_ns, std::memory_order_relaxed);
  }
  last_start_ns = now_ns;
}

void CallbackTiming::End(int64_t start_ns, int64_t end_ns) noexcept {
  if (end_ns - start_ns > longest_callback_ns.load(std::memory_order_relaxed)) {
    longest_callback_ns.store(end_ns - start_ns, std::memory_order_relaxed);
  }
}

namespace {

// How the callbacks were scheduled, for -v: real time keeps a busy machine from running the
// device dry; without it (no rtkit, no RLIMIT_RTPRIO) underruns under load are likelier.
std::string DescribeScheduling(int policy, int priority) {
  if (policy == SCHED_FIFO || policy == SCHED_RR) {
    return std::string("real-time scheduling (") +
           (policy == SCHED_FIFO ? "SCHED_FIFO" : "SCHED_RR") + " " + std::to_string(priority) +
           ")";
  }
  return "normal scheduling (the system refused real time)";
}

}  // namespace

void CallbackTiming::Report(const char* what, const char* xruns, int buffer_ms) const {
  const uint64_t count = callbacks.load(std::memory_order_relaxed);
  if (!count) return;
  LOG_INFO(
      "audio %s: %llu callbacks of %d ms, at most %.1f ms apart, the longest took %.0f us; "
      "the device reported %llu %s; %s",
      what, static_cast<unsigned long long>(count), buffer_ms,
      static_cast<double>(longest_gap_ns.load(std::memory_order_relaxed)) / 1e6,
      static_cast<double>(longest_callback_ns.load(std::memory_order_relaxed)) / 1e3,
      static_cast<unsigned long long>(device_xruns.load(std::memory_order_relaxed)), xruns,
      DescribeScheduling(policy.load(std::memory_order_relaxed),
                         priority.load(std::memory_order_relaxed))
          .c_str());
}

Result<std::unique_ptr<PortAudioSystem>> PortAudioSystem::Create() {
  // JACK would otherwise try to start a server of its own.
  setenv("JACK_NO_START_SERVER", "1", 0);
  CountAlsaMessages();
  QuietStderr quiet;
  PaError error = Pa_Initialize();
  if (error != paNoError) return PaFailure("audio system", error);
  return std::unique_ptr<PortAudioSystem>(new PortAudioSystem());
}

PortAudioSystem::~PortAudioSystem() {
  {
    QuietStderr quiet;
    Pa_Terminate();
  }
  const AlsaMessageCounts alsa = AlsaMessages();
  if (alsa.underruns || alsa.other) {
    LOG_INFO("ALSA's messages, not shown: %llu under- or overruns, %llu others (device probing)",
             static_cast<unsigned long long>(alsa.underruns),
             static_cast<unsigned long long>(alsa.other));
  }
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

namespace {

std::vector<const AudioDeviceInfo*> Usable(const std::vector<AudioDeviceInfo>& devices,
                                           Direction direction) {
  std::vector<const AudioDeviceInfo*> usable;
  for (const AudioDeviceInfo& d : devices) {
    const int channels =
        direction == Direction::kInput ? d.max_input_channels : d.max_output_channels;
    if (channels > 0) usable.push_back(&d);
  }
  return usable;
}

// 3 "pulse", 5 "default"; or none.
std::string Listed(const std::vector<const AudioDeviceInfo*>& devices) {
  std::string list;
  for (const AudioDeviceInfo* d : devices)
    list += (list.empty() ? "" : ", ") + std::to_string(d->index) + " \"" + d->name + "\"";
  return list.empty() ? "none" : list;
}

const char* Name(Direction direction) {
  return direction == Direction::kInput ? "input" : "output";
}

}  // namespace

Result<int> MatchDevice(const std::vector<AudioDeviceInfo>& devices, const std::string& spec,
                        Direction direction) {
  const std::vector<const AudioDeviceInfo*> usable = Usable(devices, direction);
  const bool numeric = !spec.empty() && std::all_of(spec.begin(), spec.end(), [](char c) {
    return isdigit(static_cast<unsigned char>(c));
  });
  std::vector<const AudioDeviceInfo*> parts;
  for (const AudioDeviceInfo* d : usable) {
    if (numeric ? std::to_string(d->index) == spec : Lower(d->name) == Lower(spec)) return d->index;
    if (!numeric && Lower(d->name).find(Lower(spec)) != std::string::npos) parts.push_back(d);
  }
  if (parts.size() == 1) return parts[0]->index;
  const std::string what = std::string("audio ") + Name(direction) + " device \"" + spec + "\"";
  if (parts.size() > 1) {
    return Status::Error(what + " could be any of " + Listed(parts) +
                         ": give its number or its whole name");
  }
  return Status::Error("no " + what + " (there are: " + Listed(usable) + ")");
}

Result<int> PortAudioSystem::Find(const std::string& spec, Direction direction) const {
  if (!spec.empty()) return MatchDevice(Devices(), spec, direction);
  const bool input = direction == Direction::kInput;
  const PaDeviceIndex index = input ? Pa_GetDefaultInputDevice() : Pa_GetDefaultOutputDevice();
  if (index != paNoDevice) return static_cast<int>(index);
  const std::vector<AudioDeviceInfo> devices = Devices();
  return Status::Error(std::string("no default audio ") + Name(direction) +
                       " device (there are: " + Listed(Usable(devices, direction)) + ")");
}

Result<std::unique_ptr<PortAudioInput>> PortAudioInput::Open(int device_index, int buffer_ms) {
  std::unique_ptr<PortAudioInput> device(new PortAudioInput());
  Status opened = OpenStream(Direction::kInput, device_index, buffer_ms, &PortAudioInput::Callback,
                             device.get(), &device->stream_, &device->rate_hz_, &device->channels_);
  if (!opened.ok()) return opened;
  device->buffer_ms_ = buffer_ms;
  return device;
}

PortAudioInput::~PortAudioInput() {
  Stop();
  if (stream_) Pa_CloseStream(stream_);
  timing_.Report("input", "overruns", buffer_ms_);
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
                             unsigned long flags, void* self) {
  // How long ago this buffer's first frame was captured, as the host API reports it (0 if it
  // does not, or reports nonsense).
  const auto* time = static_cast<const PaStreamCallbackTimeInfo*>(time_info);
  const double behind_s = time ? time->currentTime - time->inputBufferAdcTime : 0;
  const int64_t behind_ns = behind_s > 0 && behind_s < 1 ? static_cast<int64_t>(behind_s * 1e9) : 0;
  return static_cast<PortAudioInput*>(self)->OnAudio(static_cast<const int16_t*>(input), frames,
                                                     behind_ns, (flags & paInputOverflow) != 0);
}

int PortAudioInput::OnAudio(const int16_t* input, size_t frames, int64_t behind_ns,
                            bool overflow) noexcept {
  if (!input) return paContinue;
  const int64_t now_ns = MonotonicNs();
  timing_.Begin(now_ns, overflow);
  capture_origin_ns_.store(now_ns - behind_ns - FramesToNs(captured_frames_, rate_hz_),
                           std::memory_order_relaxed);
  captured_frames_ += frames;
  // Into the ring in place: downmixing writes straight into its regions, no temporary.
  auto regions = ring_->WriteRegions(frames);
  DownmixToMono(input, regions.first_count, channels_, regions.first);
  DownmixToMono(input + regions.first_count * channels_, regions.second_count, channels_,
                regions.second);
  ring_->CommitWrite(regions.total());
  if (regions.total() < frames)
    overruns_.fetch_add(frames - regions.total(), std::memory_order_relaxed);
  delivered_at_ns_.store(now_ns, std::memory_order_relaxed);
  timing_.End(now_ns, MonotonicNs());
  return paContinue;
}

Result<std::unique_ptr<PortAudioOutput>> PortAudioOutput::Open(int device_index, int buffer_ms) {
  std::unique_ptr<PortAudioOutput> device(new PortAudioOutput());
  Status opened =
      OpenStream(Direction::kOutput, device_index, buffer_ms, &PortAudioOutput::Callback,
                 device.get(), &device->stream_, &device->rate_hz_, &device->channels_);
  if (!opened.ok()) return opened;
  device->engine_ = PlaybackEngine(device->rate_hz_);
  device->buffer_ms_ = buffer_ms;
  return device;
}

PortAudioOutput::~PortAudioOutput() {
  Stop();
  if (stream_) Pa_CloseStream(stream_);
  timing_.Report("output", "underruns", buffer_ms_);
}

Status PortAudioOutput::Start(SpscRing<int16_t>* ring, PlaybackCounters* counters,
                              SpscRing<int16_t>* monitor) {
  ring_ = ring;
  counters_ = counters;
  monitor_ = monitor;
  PaError error = Pa_StartStream(stream_);
  return error == paNoError ? Status::Ok() : PaFailure("starting the audio output", error);
}

void PortAudioOutput::Stop() {
  if (stream_ && Pa_IsStreamActive(stream_) == 1) Pa_StopStream(stream_);
}

int PortAudioOutput::Callback(const void*, void* output, unsigned long frames,
                              const void* time_info, unsigned long flags, void* self) {
  // How far ahead of now this buffer will be heard, as the host API reports it (0 if it does
  // not, or reports nonsense).
  const auto* time = static_cast<const PaStreamCallbackTimeInfo*>(time_info);
  const double ahead_s = time ? time->outputBufferDacTime - time->currentTime : 0;
  const int64_t ahead_ns = ahead_s > 0 && ahead_s < 1 ? static_cast<int64_t>(ahead_s * 1e9) : 0;
  return static_cast<PortAudioOutput*>(self)->OnAudio(static_cast<int16_t*>(output), frames,
                                                      ahead_ns, (flags & paOutputUnderflow) != 0);
}

int PortAudioOutput::OnAudio(int16_t* output, size_t frames, int64_t ahead_ns,
                             bool underflow) noexcept {
  const int64_t now_ns = MonotonicNs();
  timing_.Begin(now_ns, underflow);
  counters_->device_ahead_ns.store(ahead_ns, std::memory_order_relaxed);
  const int64_t heard_at_ns = now_ns + ahead_ns;
  engine_.Render(ring_, counters_, output, frames, channels_, heard_at_ns, monitor_);
  timing_.End(now_ns, MonotonicNs());
  return paContinue;
}

}  // namespace voxterm
