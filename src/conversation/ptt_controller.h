// PttController: push-to-talk as a state machine, with no I/O of its own.
//
//   idle --press--> recording --press (or release after a hold)--> tail --200 ms--> waiting
//     ^                |  Escape / double press: dropped                    commit +    |
//     +----------------+---------------------------------------------- response.done --+
//
// - Start of a take: the assistant is interrupted (the session stops playback, truncates and
//   cancels), the server's input buffer is cleared, and the last ~300 ms before the press are
//   sent first (pre-roll), so the first word is not clipped.
// - End of a take: ~200 ms more are captured (tail) so the last word is not clipped, then the
//   buffer is committed and an answer asked for.
// - Two presses under 100 ms apart are an accidental double press: the take is dropped, not
//   committed, and the user told. Less than 100 ms of audio is never committed (the server
//   refuses it).
// - Where the terminal reports releases (kitty protocol), holding the key and letting go ends the
//   take too; a quick tap leaves it recording until the next press.
//
// Thread safety: main thread only.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "ui/keys.h"
#include "util/clock.h"

namespace voxterm {

class PttController {
 public:
  // What the controller asks of the session. Abstract so tests record the calls.
  class Actions {
   public:
    virtual ~Actions() = default;
    virtual void Interrupt() = 0;   // stop the assistant, if it speaks
    virtual void ClearInput() = 0;  // input_audio_buffer.clear, as a take starts
    virtual void DropInput() = 0;   // the take is dropped: its audio thrown away
    virtual void SendAudio(const int16_t* samples, size_t count) = 0;  // 24 kHz
    virtual void CommitAndRespond() = 0;  // commit, then response.create
    virtual void Notice(std::string_view text) = 0;
  };

  enum class State { kIdle, kRecording, kTail, kWaiting };

  static constexpr int kPrerollMs = 300;
  static constexpr int kTailMs = 200;
  static constexpr int kDoublePressMs = 100;
  static constexpr int kMinAudioMs = 100;
  static constexpr int kHoldMs = 300;  // a press held this long ends the take on release

  PttController(const Clock* clock, Actions* actions, Key key);

  // Returns true when the key was push-to-talk's (the talk key, or Escape during a take).
  bool OnKey(const Key& key);
  // A 24 kHz frame from the microphone.
  void OnFrame(const int16_t* samples, size_t count);
  void OnTick();
  // The answer asked for has ended (response.done).
  void OnAnswerDone();

  State state() const { return state_; }
  // How long the current take has been recording.
  int64_t take_ms() const;
  const Key& key() const { return key_; }

 private:
  void StartTake();
  void EndTake();
  void DropTake(std::string_view why);

  const Clock* const clock_;
  Actions* const actions_;
  const Key key_;
  State state_ = State::kIdle;
  int64_t take_started_ms_ = 0;
  int64_t tail_until_ms_ = 0;
  size_t take_samples_ = 0;       // sent in this take, pre-roll included
  std::vector<int16_t> preroll_;  // the last kPrerollMs before a take, oldest first
};

}  // namespace voxterm
