// MatchDevice: --input-device / --output-device name one device, or say which they could be.
#include <catch2/catch.hpp>

#include "audio/portaudio_device.h"

using namespace voxterm;

namespace {

// index, name, input channels, output channels.
std::vector<AudioDeviceInfo> Devices() {
  return {
      {0, "HDA Intel PCH: ALC257 Analog (hw:0,0)", "ALSA", 2, 2, 48000, false, false},
      {1, "HDA Intel PCH: HDMI 0 (hw:0,3)", "ALSA", 0, 8, 48000, false, false},
      {2, "pulse", "ALSA", 32, 32, 44100, false, false},
      {3, "pulse monitor", "ALSA", 2, 0, 44100, false, false},
      {4, "default", "ALSA", 32, 32, 44100, true, true},
  };
}

}  // namespace

TEST_CASE("a device is named by its number, its whole name or one part of a name",
          "[match_device]") {
  CHECK(*MatchDevice(Devices(), "2", Direction::kInput) == 2);
  CHECK(*MatchDevice(Devices(), "PULSE", Direction::kInput) == 2);  // whole, case aside
  CHECK(*MatchDevice(Devices(), "monitor", Direction::kInput) == 3);
  CHECK(*MatchDevice(Devices(), "hdmi", Direction::kOutput) == 1);
  CHECK(*MatchDevice(Devices(), "ALC257", Direction::kOutput) == 0);
}

TEST_CASE("a part of several names is refused with the names it could be", "[match_device]") {
  auto found = MatchDevice(Devices(), "HDA", Direction::kOutput);
  REQUIRE_FALSE(found.ok());
  CHECK(found.message() ==
        "audio output device \"HDA\" could be any of 0 \"HDA Intel PCH: ALC257 Analog (hw:0,0)\", "
        "1 \"HDA Intel PCH: HDMI 0 (hw:0,3)\": give its number or its whole name");
  // For input, HDMI has no channels: only one HDA device is left.
  CHECK(*MatchDevice(Devices(), "HDA", Direction::kInput) == 0);
  found = MatchDevice(Devices(), "puls", Direction::kInput);
  REQUIRE_FALSE(found.ok());
  CHECK(found.message().find("could be any of 2 \"pulse\", 3 \"pulse monitor\"") !=
        std::string::npos);
}

TEST_CASE("a name of no device lists the devices of that direction", "[match_device]") {
  auto found = MatchDevice(Devices(), "usb", Direction::kOutput);
  REQUIRE_FALSE(found.ok());
  CHECK(found.message() ==
        "no audio output device \"usb\" (there are: 0 \"HDA Intel PCH: ALC257 Analog (hw:0,0)\", "
        "1 \"HDA Intel PCH: HDMI 0 (hw:0,3)\", 2 \"pulse\", 4 \"default\")");
  CHECK_FALSE(MatchDevice(Devices(), "1", Direction::kInput).ok());  // output only
  CHECK_FALSE(MatchDevice({}, "x", Direction::kInput).ok());
}
