// AnswerText: the answers' words as the user sees them, the same in every mode; where they go
// (stdout, the conversation view) is the mode's Lines.
//
// A response may hold several messages (a reasoning model's preamble, then its answer): each is
// a line of its own, told apart by the events' item_id; messages stream one after another, so
// each change of item starts a line. A message that comes with no deltas, whole in a .done event
// (response.output_text.done, .output_audio_transcript.done or .output_item.done), is shown from
// there. Where deltas were shown and the .done says otherwise, what was shown stays (it cannot be
// taken back); the history a reconnect replays keeps the .done's text.
//
// The words pass the process's secret mask as one stream per line (util/secret_mask.h): a key
// that a hostile server cuts into deltas too short to mask one by one is masked where they meet.
// Until the line ends, its last few characters may wait for the next delta, when they could be
// the key's beginning.
// Thread safety: main thread only.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>

#include "protocol/server_events.h"
#include "util/secret_mask.h"

namespace voxterm {

class AnswerText {
 public:
  // Where the words go.
  class Lines {
   public:
    virtual ~Lines() = default;
    // Words of message item_id.
    virtual void Words(std::string_view item_id, std::string_view text) = 0;
    // The message's line ends; interrupted: the answer was cut off there.
    virtual void EndLine(bool interrupted) = 0;
  };

  // lines must outlive this.
  explicit AnswerText(Lines* lines) : lines_(lines) {}

  // An answer's text or transcript (a delta or a .done), or response.output_item.done.
  // show: the event is of an answer the user is to see (the mode decides which). end_line: a
  // finished message may end its line here. Returns whether words were shown.
  bool OnEvent(const ServerEvent& event, bool show, bool end_line);
  // The open line, if any, ends.
  void EndLine(bool interrupted);
  // Whether the next words continue the line that is open, if one is, whatever their item: a
  // continuation after a reconnect does; an answer asked for afresh does not.
  void AdoptOpenLine(bool adopt) { adopt_line_ = adopt && line_open_; }
  bool line_open() const { return line_open_; }

 private:
  // cut: the line ends because another message's words came (StreamMask::Cut).
  void EndLine(bool interrupted, bool cut);
  // Words of message item_id, on that message's line. Returns false for none (a lone space that
  // would begin a line).
  bool Show(std::string_view item_id, std::string_view text);
  // Whether some of item_id's words were shown (as deltas, or from a .done).
  bool Shown(std::string_view item_id) const;

  Lines* const lines_;
  bool line_open_ = false;    // words were shown and their line has not ended
  bool adopt_line_ = false;   // the next words continue the open line, whatever their item
  std::string line_item_id_;  // the message whose words the open line shows
  // The last few messages that had words shown: a .done's text is shown only for one that had
  // none.
  static constexpr size_t kMaxShownItems = 8;
  std::deque<std::string> shown_items_;
  StreamMask masked_{&ProcessSecretMask()};  // the open line's words
};

}  // namespace voxterm
