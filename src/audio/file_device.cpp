#include "audio/file_device.h"

#include <pthread.h>
#include <sndfile.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "audio/resampler.h"
#include "util/clock.h"
#include "util/output_file.h"

namespace voxterm {
namespace {

constexpr int kChunkMs = 10;       // the input's pacing step
constexpr int kOutputPollMs = 10;  // how often the output writes what has arrived

void SleepUntil(timespec* deadline, long add_ns) {
  deadline->tv_nsec += add_ns;
  while (deadline->tv_nsec >= 1000000000L) {
    deadline->tv_nsec -= 1000000000L;
    ++deadline->tv_sec;
  }
  // Absolute deadlines: the pace does not drift with the time each step takes.
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, deadline, nullptr) != 0) {
  }
}

}  // namespace

Result<std::unique_ptr<FileInput>> FileInput::Open(const std::string& path) {
  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  if (!file) return Status::Error("--input-file " + path + ": " + sf_strerror(nullptr));
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
  timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  while (!stop_) {
    const size_t got = ReadMono(mono.data(), frames);
    if (got == 0) break;
    const size_t written = ring->Write(mono.data(), got);
    overruns_.fetch_add(got - written, std::memory_order_relaxed);
    delivered_at_ns_.store(MonotonicNs(), std::memory_order_relaxed);
    SleepUntil(&deadline, static_cast<long>(got) * 1000000000L / rate_hz_);
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
  thread_ = std::thread([this, ring, counters, monitor] { Run(ring, counters, monitor); });
  return Status::Ok();
}

void FileOutput::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void FileOutput::Drain(SpscRing<int16_t>* ring, PlaybackCounters* counters,
                       SpscRing<int16_t>* monitor) {
  const uint32_t requested = counters->flushes_requested.load(std::memory_order_acquire);
  if (requested != flushes_seen_) {
    // A file plays at once, so a flush finds little to drop; it is still acknowledged.
    (void)ring->Discard(ring->ReadAvailable());
    flushes_seen_ = requested;
    counters->silent_heard_at_ns.store(MonotonicNs(), std::memory_order_relaxed);
    counters->flushes_done.store(requested, std::memory_order_release);
  }
  auto regions = ring->ReadRegions(ring->ReadAvailable());
  // After a failed write (reported once) the audio is still taken from the ring, and counted as
  // played, so that the conversation goes on.
  for (auto [samples, count] : {std::pair(regions.first, regions.first_count),
                                std::pair(regions.second, regions.second_count)}) {
    if (count == 0 || write_failed_) continue;
    errno = 0;
    const sf_count_t written = sf_write_short(file_, samples, static_cast<sf_count_t>(count));
    WavWriteFailed(static_cast<sf_count_t>(count), written, "--output-file", path_, &write_failed_);
  }
  if (monitor) {
    // A file is not played in time: the recording gets the answer's audio as it came.
    (void)monitor->Write(regions.first, regions.first_count);
    (void)monitor->Write(regions.second, regions.second_count);
  }
  ring->CommitRead(regions.total());
  counters->played_frames.fetch_add(regions.total(), std::memory_order_release);
}

void FileOutput::Run(SpscRing<int16_t>* ring, PlaybackCounters* counters,
                     SpscRing<int16_t>* monitor) {
  pthread_setname_np(pthread_self(), "vt-file-out");
  timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  while (!stop_) {
    Drain(ring, counters, monitor);
    SleepUntil(&deadline, kOutputPollMs * 1000000L);
  }
  Drain(ring, counters, monitor);  // what arrived last
}

}  // namespace voxterm
