// ConversationEngine: the conversation logic of a spoken session, with no I/O of its own.
//
// The microphone streams to the server as input_audio_buffer.append frames; the server's voice
// activity detection decides the turns and starts the responses. The answer's audio goes to the
// PlaybackPath, its transcript to the view.
//
// Barge-in: when input_audio_buffer.speech_started arrives while the assistant is audible,
// playback stops at once (a flush, carried out within one output callback), the rest of that
// response's audio is dropped, and once the output confirms the flush,
// conversation.item.truncate tells the server how much of the item was actually heard, counted
// in frames by the output (PlayoutTracker), never more than was received. response.cancel is
// sent only where the server is not already cancelling: its VAD cancels on speech, so only a
// typed line, or a session without VAD, needs it.
//
// A response may hold several messages (a reasoning model's spoken preamble, then its answer):
// each is its own transcript line, their audio plays in the order it arrives (a server streams
// one item after another; the deltas of two interleaved items would play interleaved), and a
// barge-in truncates the item that was playing at its own played position (PlayoutTracker);
// items queued behind it, never heard, are truncated at 0.
//
// The user's words are shown as a caption while they are transcribed
// (conversation.item.input_audio_transcription.delta, per item), replaced by the final line,
// once per item (a second .completed for it is ignored, as are deltas after it). A caption left
// over (deltas for an item that never completes) goes when the user starts the next turn.
// .failed shows a notice, once per item, whether or not the item had a caption.
//
// The answer's words, a line per message, are AnswerText's (conversation/answer_text.h).
//
// Typed lines are text turns answered aloud. No response.create is ever sent while a response
// is active or requested: a line typed meanwhile interrupts the answer and waits for its
// response.done. Requests that meet (a push-to-talk take, a tool call's follow-up) share one
// response.create.
//
// Tool calls run through ToolCalls; while a question waits, a typed line answers it.
//
// Across a lost connection: the last seconds of the microphone are kept (every frame, sent or
// not), so the new session can be given the user's turn that had no answer yet (from where
// the speech began, unless its transcript reached History) and what was said during the outage.
// An answer that was cut off plays out what arrived and is asked to go on; a request that was
// out is made again; a typed line the server never had is sent again.
//
// Thread safety: main thread only.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "audio/playback_path.h"
#include "conversation/answer_audio.h"
#include "conversation/answer_text.h"
#include "conversation/conversation_core.h"
#include "conversation/history.h"
#include "conversation/tool_calls.h"
#include "protocol/client_protocol.h"
#include "protocol/server_events.h"
#include "ui/conversation_view.h"

namespace voxterm {

class ConversationEngine : private AnswerText::Lines {
 public:
  // tools: the declared tools' calls; null without tools.
  // history: kept for reconnects; null keeps none.
  // server: where requests go.
  ConversationEngine(SessionSettings session, ClientProtocol* server, PlaybackPath* playback,
                     ConversationView* view, ToolCalls* tools = nullptr,
                     History* history = nullptr);

  void OnServerEvent(const ServerEvent& event);
  // A typed line: a text turn, answered aloud.
  void OnUserLine(std::string line);
  // A 24 kHz frame from the microphone.
  void OnCaptureFrame(const int16_t* samples, size_t count);
  // Call every few milliseconds: moves playback along and completes a barge-in.
  void OnTick();

  // Push-to-talk: stops the assistant if it is speaking or about to (flush, truncate, cancel).
  void Interrupt();
  // Push-to-talk: a take begins (input_audio_buffer.clear); its audio follows as capture frames.
  void BeginTake();
  // Push-to-talk: the take is over: commit it and ask for the answer.
  void CommitTake();
  // The connection is gone; the next session.created resumes the conversation.
  void OnDisconnected();
  // Connected before, and waiting for the new session.
  bool reconnecting() const { return core_.resumed() && !core_.ready(); }
  // Asks for a response (response.create) as soon as none is active or already requested.
  void RequestResponse();
  // The tool runner's fd is readable.
  void OnToolsReady();
  // Ctrl-C: stops running tools; false when none ran.
  bool InterruptTools() { return tools_ && tools_->Interrupt(); }
  // A tool's y/N question waits for a key or a line.
  bool awaiting_tool_answer() const { return tools_ && tools_->awaiting_answer(); }
  void AnswerTool(bool yes);
  bool tools_busy() const { return tools_ && tools_->busy(); }
  // A response is requested, expected (the user finished speaking) or streaming.
  bool AwaitingServer() const {
    return core_.ready() && (active_ || core_.requests().requested() || awaiting_answer_) &&
           !tools_busy();
  }
  // Tells the user the server has gone quiet, once per silence.
  void OnServerSilent(int seconds);
  bool response_active() const { return active_.has_value(); }
  // Responses that ended (response.done for the announced one), and those that completed.
  uint64_t responses_done() const { return responses_done_; }
  uint64_t answers() const { return answers_; }
  // Off for push-to-talk, whose own states the session shows instead.
  void set_report_state(bool report) { report_state_ = report; }

  bool session_ready() const { return core_.ready(); }
  // Nothing is going on: no answer coming or playing, the user not mid-sentence, no line
  // waiting. (At the end of an input file voxterm waits for this before it leaves.)
  bool Idle() const;
  uint64_t appended_frames() const { return appended_frames_; }

 private:
  void BargeIn(bool server_cancels);
  // The server's events, by kind.
  void OnSessionCreated();
  void OnSpeechStarted(const ServerEvent& event);
  void OnInputTranscript(const ServerEvent& event);
  void OnAnswerText(const ServerEvent& event);
  void OnError(const ServerEvent& event);
  void OnAudioDelta(const ServerEvent& event);
  void OnResponseDone(const ServerEvent& event);
  // The oldest typed line, as a text turn, when one waits and no response is active.
  void SendPendingLine();
  void MaybeRequestResponse();
  // Tool outputs are all sent: their follow-up response is requested.
  void CheckToolFollowUp();
  void UpdateState();
  // A new session after a lost connection: the conversation so far, then what was in flight.
  void Resume();
  // The kept microphone audio from frame `from` on, to the new session.
  void ResendAudio(uint64_t from);
  // The user's turn (spoken, a take, or a typed line) has its answer: nothing to send again.
  void TurnAnswered();
  // AnswerText::Lines: the answer's words to the view.
  void Words(std::string_view text) override;
  void EndLine(bool interrupted) override;
  // Input transcription: text more of item_id's caption; Uncaption forgets the item's caption.
  void Caption(std::string_view item_id, std::string_view text);
  void Uncaption(std::string_view item_id);
  // The user starts a new turn: captions left over (an item the server never finished) go.
  void ClearCaptions();
  // Whether item_id's transcription already ended (.completed or .failed); records it if not.
  bool Transcribed(std::string_view item_id, bool record);

  ConversationCore core_;         // the session's set-up, replay and response.create
  const bool server_interrupts_;  // server or semantic VAD: the server cancels on speech
  ClientProtocol* const server_;
  PlaybackPath* const playback_;
  ConversationView* const view_;
  ToolCalls* const tools_;
  History* const history_;  // null: none kept
  AnswerAudio audio_;

  // The response being generated, from its response.created to its response.done.
  struct ActiveResponse {
    std::string id;
    bool delivered = false;  // some of it was shown or played
  };
  std::optional<ActiveResponse> active_;
  std::string dropped_response_id_;  // interrupted: its remaining audio and words are dropped
  bool awaiting_answer_ = false;     // the user finished speaking; a response is due
  bool user_speaking_ = false;
  bool truncate_pending_ = false;  // a flush is under way; truncate when it is done
  AnswerText answer_text_;
  // The captions of items being transcribed, the one updated last at the back. A few at most:
  // a real session transcribes one turn at a time.
  static constexpr size_t kMaxCaptions = 4;
  static constexpr size_t kMaxCaptionBytes = 4096;
  std::deque<std::pair<std::string, std::string>> captions_;
  // The last few items whose transcription ended: a late delta, or a second .completed, is
  // ignored.
  static constexpr size_t kMaxRecentItems = 8;
  std::deque<std::string> transcribed_;
  std::deque<std::string> pending_lines_;
  uint64_t appended_frames_ = 0;

  // The microphone's last kRecentSamples, sent or not, indexed by captured_ (frames ever captured).
  static constexpr size_t kRecentSamples = 10 * 24000;
  std::vector<int16_t> recent_;
  uint64_t captured_ = 0;
  uint64_t session_base_ = 0;  // the frame the session's input audio starts at
  // The user's turn that has no answer yet: spoken (from speech_started on) or a take.
  struct UserTurn {
    uint64_t start_frame = 0;  // where its audio starts, in frames ever captured
    std::string item_id;       // its item, once the server named it
    bool committed = false;    // push-to-talk: the take was committed
  };
  std::optional<UserTurn> turn_;
  std::string line_item_id_;  // a typed line whose answer has not been delivered
  std::string line_;
  int lines_sent_ = 0;
  bool continue_answer_ = false;  // the answer was cut off: ask the new session to go on
  uint64_t outage_start_ = 0;     // the frame the connection was lost at
  uint64_t underruns_reported_ = 0;
  uint64_t responses_done_ = 0;
  uint64_t answers_ = 0;
  VoiceState state_ = VoiceState::kConnecting;
  bool report_state_ = true;
};

}  // namespace voxterm
