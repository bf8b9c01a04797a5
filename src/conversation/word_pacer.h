// WordPacer: a spoken answer's words shown as its audio is heard, not as they arrive. The
// transcript comes far faster than the speech plays; shown as it came, the screen would run
// seconds ahead of the speaker, and after a barge-in would show words the user never heard.
// Each message (item) is paced by its own audio: the words arrived so far, spread over the audio
// arrived so far, shown up to the point playback has reached. They go out whole (a delta, or up
// to a space), never half a character. A message whose audio has played is shown whole; what is
// left when the speaker has nothing more to play (a message with no audio) goes out at once.
// At a barge-in what was heard stays and the rest is dropped: the line then ends [interrupted]
// where the user stopped hearing it.
// Thread safety: main thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "audio/playout_tracker.h"
#include "ui/conversation_view.h"

namespace voxterm {

class WordPacer {
 public:
  // view: where the words go when heard; must outlive this.
  explicit WordPacer(ConversationView* view) : view_(view) {}

  // What AnswerText says, as it arrives: words of message item_id, and the ends of lines.
  void Words(std::string_view item_id, std::string_view text);
  void EndLine(bool interrupted);
  // More of item_id's audio arrived (24 kHz samples).
  void AudioArrived(std::string_view item_id, size_t samples_24k);
  // Where playback is (PlayoutTracker::At): the item playing, heard so far; those whose audio
  // came before it have been heard whole. Shows what that allows.
  void Heard(const std::optional<PlayoutTracker::Heard>& at);
  // The speaker has nothing more to play: everything held is shown.
  void Flush();
  // A barge-in: what was heard is shown, the rest dropped.
  void Cut();
  // Words are waiting to be heard.
  bool holding() const { return !queue_.empty(); }

 private:
  struct Entry {
    std::string item_id;  // empty for a line's end
    std::string text;
    bool interrupted = false;
  };
  struct Item {
    std::string id;
    size_t arrived = 0;        // bytes of its words arrived
    size_t shown = 0;          // and shown
    size_t audio_samples = 0;  // its audio arrived (24 kHz)
    int64_t heard_ms = 0;      // and heard
    bool heard_whole = false;
  };
  Item& Find(std::string_view item_id);
  // Bytes of the item's words the audio heard so far allows.
  size_t Allowed(const Item& item) const;
  void Release(bool all);

  ConversationView* const view_;
  std::deque<Entry> queue_;
  // The last few messages, in the order they arrived: they play in that order.
  static constexpr size_t kItemsKept = 8;
  std::deque<Item> items_;
};

}  // namespace voxterm
