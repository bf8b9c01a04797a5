// A microphone for unit tests of the spoken modes: a WAV file of a quiet tone, played by the
// file backend in real time, with a null speaker. Not a fake: the real AudioEngine, at the
// seam tests may use (a file for a device).
#pragma once

#include <sndfile.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "audio/audio_engine.h"

namespace voxterm {

// Writes ms of a quiet tone at 24 kHz to path, and returns a started engine with it as the
// microphone.
inline std::unique_ptr<AudioEngine> FileMicrophone(const std::string& path, int ms) {
  SF_INFO info{};
  info.samplerate = 24000;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  REQUIRE(f);
  std::vector<int16_t> samples(static_cast<size_t>(ms) * 24);
  for (size_t i = 0; i < samples.size(); ++i) samples[i] = static_cast<int16_t>(i % 64 * 16);
  sf_write_short(f, samples.data(), static_cast<sf_count_t>(samples.size()));
  sf_close(f);
  AudioConfig config;
  config.headphones = true;
  config.input_file = path;
  auto engine = AudioEngine::Open(config, {AudioBackend::kFile, AudioBackend::kNull});
  REQUIRE(engine.ok());
  REQUIRE((*engine)->Start().ok());
  return std::move(*engine);
}

}  // namespace voxterm
