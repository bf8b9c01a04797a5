#include "audio/file_device.h"

#include <pthread.h>
#include <sndfile.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "audio/pacer.h"
#include "audio/resampler.h"
#include "util/clock.h"
#include "util/output_file.h"

namespace voxterm {
namespace {

constexpr int kChunkMs = 10;  // the input's pacing step

}  // namespace

Result<std::unique_ptr<FileInput>> FileInput::Open(const std::string& path) {
  SF_INFO info{};
  errno = 0;
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  if (!file) {
    // libsndfile says "System error : No such file or directory." for what errno says plainly.
    const int error = errno;
    return Status::Error("--input-file " + path + ": " +
                         (sf_error(nullptr) == SF_ERR_SYSTEM && error != 0 ? strerror(error)
                                                                           : sf_strerror(nullptr)));
  }
  if (info.channels < 1 || info.channels > 8 || info.samplerate < 8000 ||
      info.samplerate > 192000) {
    sf_close(file);
    return Status::Error("--input-file " + path + ": unsupported layout (" +
                         std::to_string(info.channels) + " channels at " +
                         std::to_string(info.samplerate) + " Hz)");
  }
  return std::unique_ptr<FileInput>(new FileInput(file, info.samplerate, info.channels));
}

FileInput::~FileInput() {
  Stop();
  sf_close(file_);
}

Status FileInput::Start(SpscRing<int16_t>* ring) {
  thread_ = std::thread([this, ring] { Run(ring); });
  return Status::Ok();
}

void FileInput::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

int64_t FileInput::block_ns() const { return int64_t{kChunkMs} * 1'000'000; }

size_t FileInput::ReadMono(int16_t* out, size_t frames) {
  interleaved_.resize(frames * static_cast<size_t>(channels_));
  const sf_count_t got =
      sf_readf_short(file_, interleaved_.data(), static_cast<sf_count_t>(frames));
  if (got <= 0) return 0;
  DownmixToMono(interleaved_.data(), static_cast<size_t>(got), channels_, out);
  return static_cast<size_t>(got);
}

void FileInput::Run(SpscRing<int16_t>* ring) {
  pthread_setname_np(pthread_self(), "vt-file-in");
  const size_t frames = static_cast<size_t>(rate_hz_) * kChunkMs / 1000;
  std::vector<int16_t> mono(frames);
  Pacer pacer;
  while (!stop_) {
    const size_t got = ReadMono(mono.data(), frames);
    if (got == 0) break;
    const size_t written = ring->Write(mono.data(), got);
    overruns_.fetch_add(got - written, std::memory_order_relaxed);
    delivered_at_ns_.store(MonotonicNs(), std::memory_order_relaxed);
    pacer.Wait(FramesToNs(got, rate_hz_));
  }
  finished_.store(true, std::memory_order_release);
}

// The file itself is created as util/output_file.h says (0600, no symbolic link), then handed to
// libsndfile, which closes it.
Result<SNDFILE*> CreateWav24k(const std::string& path, int channels, const std::string& what) {
  auto fd = CreateOutputFile(path, what);
  if (!fd.ok()) return fd.status();
  SF_INFO info{};
  info.samplerate = kApiSampleRateHz;
  info.channels = channels;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* file = sf_open_fd(*fd, SFM_WRITE, &info, SF_TRUE);  // closes fd when it fails, too
  if (!file) {
    // The header is written at once: a full disk shows here, as the system said it.
    const int error = errno;
    return Status::Error(
        what + " " + path + ": " +
        (sf_error(nullptr) == SF_ERR_SYSTEM ? strerror(error) : sf_strerror(nullptr)));
  }
  sf_command(file, SFC_SET_UPDATE_HEADER_AUTO, nullptr, SF_TRUE);
  return file;
}

bool WavWriteFailed(int64_t wanted, int64_t written, const std::string& what,
                    const std::string& path, bool* failed) {
  if (*failed || written >= wanted) return *failed;
  const int error = errno != 0 ? errno : EIO;
  *failed = true;
  ReportOutputFailure(what, path, error);
  return true;
}

Result<std::unique_ptr<FileOutput>> FileOutput::Create(const std::string& path) {
  auto file = CreateWav24k(path, 1, "--output-file");
  if (!file.ok()) return file.status();
  return std::unique_ptr<FileOutput>(new FileOutput(*file, path));
}

FileOutput::~FileOutput() {
  Stop();
  sf_close(file_);
}

Status FileOutput::Start(SpscRing<int16_t>* ring, PlaybackCounters* counters,
                         SpscRing<int16_t>* monitor) {
  ring_ = ring;
  counters_ = counters;
  monitor_ = monitor;
  return Status::Ok();
}

void FileOutput::Stop() {
  Pull();  // what arrived last
  ring_ = nullptr;
}

size_t FileOutput::Pull() {
  if (!ring_) return 0;
  size_t taken = 0;
  for (size_t n; (n = engine_.RenderUntimed(ring_, counters_, chunk_.data(), chunk_.size(),
                                            MonotonicNs(), monitor_)) > 0;) {
    taken += n;
    // After a failed write (reported once) the audio is still taken from the ring, and counted
    // as played, so that the conversation goes on.
    if (write_failed_) continue;
    errno = 0;
    const sf_count_t written = sf_write_short(file_, chunk_.data(), static_cast<sf_count_t>(n));
    WavWriteFailed(static_cast<sf_count_t>(n), written, "--output-file", path_, &write_failed_);
  }
  return taken;
}

}  // namespace voxterm
