// PlayoutTracker: which assistant item was playing, and how far, at a given count of played
// frames. conversation.item.truncate needs audio_end_ms = what the user actually heard of the
// item: counted from the output's played frames, never more than the item's audio that arrived.
// A response may have several items (a preamble, then the answer), queued one after the other:
// each keeps its own start, so the truncate names the item that was heard, with its own
// position. Pure bookkeeping, no I/O.
// Thread safety: main thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace voxterm {

class PlayoutTracker {
 public:
  explicit PlayoutTracker(int device_rate_hz) : device_rate_hz_(device_rate_hz) {}

  // An item's audio starts at this queue position (PlaybackPath::queued_frames()).
  void BeginItem(const std::string& item_id, uint64_t queued_frames);
  // frames more of the current item were queued, from samples_24k samples received.
  void AddAudio(uint64_t frames, uint64_t samples_24k);
  const std::string& current_item() const;

  struct Heard {
    std::string item_id;
    int64_t audio_end_ms;
  };
  // The item being played at played_frames, and how much of it was heard.
  std::optional<Heard> At(uint64_t played_frames) const;
  // The items queued to start after played_frames (a response's next message, behind the one
  // playing): none of them was heard.
  std::vector<std::string> Unheard(uint64_t played_frames) const;

 private:
  struct Item {
    std::string id;
    uint64_t start_frame;
    uint64_t frames = 0;
    uint64_t samples_24k = 0;
  };
  const int device_rate_hz_;
  std::deque<Item> items_;  // the last few, oldest first
};

}  // namespace voxterm
