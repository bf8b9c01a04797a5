// ConversationEngine: the conversation logic of every mode (text, voice, push-to-talk), with no
// I/O of its own. The modes differ only in where input comes from (typed lines, the microphone,
// a key's takes) and where output goes (the view: stdout in text mode, the terminal's
// transcript and status line when spoken; the speaker, if any).
//
// Turns. A typed line is a text turn (conversation.item.create, then response.create). What a
// line typed during an answer does is the mode's LinePolicy: it interrupts the answer and goes
// next (spoken), or waits until the turn before it is over, tool calls and their follow-up
// included, so that a script's answers come back whole and in order (text). In a spoken session
// the microphone streams to the server as input_audio_buffer.append frames; the server's voice
// activity detection decides the turns and starts the responses, or push-to-talk commits a take
// and asks for one. No response.create is ever sent while a response is active or requested
// (ResponseGate); requests that meet (a take, a tool call's follow-up) share one.
//
// Responses. Each is tracked from its response.created to its response.done; a response.done for
// one never announced ends nothing. An answer is shown (its words to the view, a line per
// message, AnswerText; its audio to the speaker, AnswerAudio) when voxterm asked for it, or when
// the server's VAD started it; a response nobody asked for (a hostile or confused server) is
// not, nor the answer to a typed line the server refused.
//
// Barge-in: when input_audio_buffer.speech_started arrives while the assistant is audible (or a
// typed line interrupts), playback stops at once (a flush, carried out within one output
// callback), the rest of that response's audio and words are dropped, and once the output
// confirms the flush, conversation.item.truncate tells the server how much of the item was
// actually heard, counted in frames by the output (PlayoutTracker), never more than was received.
// response.cancel is sent only where the server is not already cancelling: its VAD cancels on
// speech, so only a typed line, or a session without VAD, needs it. A response may hold several
// messages (a reasoning model's spoken preamble, then its answer): a barge-in truncates the item
// that was playing at its own played position; items queued behind it, never heard, at 0.
//
// The user's words are shown as a caption while they are transcribed
// (conversation.item.input_audio_transcription.delta, per item), replaced by the final line,
// once per item (a second .completed for it is ignored, as are deltas after it). A caption left
// over (deltas for an item that never completes) goes when the user starts the next turn.
// .failed shows a notice, once per item, whether or not the item had a caption.
//
// Tool calls run through ToolCalls; while a question waits, a typed line answers it.
//
// Across a lost connection: the last seconds of the microphone are kept (every frame, sent or
// not), so the new session can be given the user's turn that had no answer yet (from where
// the speech began, unless its transcript reached History) and what was said during the outage.
// An answer that was cut off keeps what arrived (its audio plays out) and is asked to go on; a
// request that was out is made again; a typed line the server never had is sent again.
//
// GPT-Live (protocol/live_client.h) has no responses and no turn events: its continuous streams
// are grouped by LiveAnswers into the same events (a response, its item, the user's
// transcription, speech_started for the model's own barge-in) before anything here sees them;
// its delegations, and the tool calls of its delegation backend, are LiveDelegations'.
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
#include "conversation/live_answers.h"
#include "conversation/live_delegations.h"
#include "conversation/tool_calls.h"
#include "conversation/word_pacer.h"
#include "protocol/client_protocol.h"
#include "protocol/server_events.h"
#include "ui/conversation_view.h"
#include "util/log.h"

namespace voxterm {

class ConversationEngine : private AnswerText::Lines {
 public:
  // What a line typed while a turn is in flight does.
  enum class LinePolicy {
    kInterrupt,  // stops the answer (as speech would) and goes as soon as the response is done
    kWait,       // waits until that turn is over, its tool calls and their follow-up included
  };

  // server: where requests go. playback: the speaker; null for none (text only). view: where
  // the words go. tools: the declared tools' calls; null without tools. history: kept for
  // reconnects; null keeps none. All must outlive this.
  ConversationEngine(SessionSettings session, ClientProtocol* server, PlaybackPath* playback,
                     ConversationView* view, ToolCalls* tools = nullptr, History* history = nullptr,
                     LinePolicy lines = LinePolicy::kInterrupt);

  void OnServerEvent(const ServerEvent& event);
  // A typed line: a text turn (or the answer to a tool's question). The first turn carries the
  // images AttachToFirstTurn was given.
  void OnUserLine(std::string line);
  // --image: images for the first typed turn, in one message with its text.
  void AttachToFirstTurn(std::vector<InputImage> images) { first_images_ = std::move(images); }
  // The typed input has ended: images AttachToFirstTurn was given that no turn took will never
  // be sent; they go, and a warning says so.
  void OnInputEnd();
  // /image: one image and a line of text (which may be empty) as one turn. An error while a
  // tool's y/N question waits for its answer (a line then answers it: the image would be lost).
  Status OnUserImage(std::string text, InputImage image);
  // A 24 kHz frame from the microphone.
  void OnCaptureFrame(const int16_t* samples, size_t count);
  // Call every few milliseconds while there is a speaker: moves playback along and completes a
  // barge-in.
  void OnTick();

  // Stops the assistant if it is speaking or about to (flush, truncate, cancel): push-to-talk's
  // take, Ctrl-C in the text chat. An answer asked for and not yet begun is cancelled as soon
  // as it is announced.
  void Interrupt();
  // An answer is due, streaming or playing.
  bool Answering() const { return AwaitingServer() || Audible(); }
  // Push-to-talk: a take begins (input_audio_buffer.clear); its audio follows as capture frames.
  void BeginTake();
  // Push-to-talk: the take is over: commit it and ask for the answer.
  void CommitTake();
  // Push-to-talk: the take is dropped (too short, a double press, Escape): its audio goes.
  void DropTake();
  // The connection is gone; the next session.created resumes the conversation.
  void OnDisconnected();
  // Connected before, and waiting for the new session.
  bool reconnecting() const { return core_.resumed() && !core_.ready(); }
  // Asks for a response (response.create) as soon as none is active or already requested.
  void RequestResponse();
  // The tool runner's fd is readable.
  void OnToolsReady();
  // Ctrl-C: stops running tools (a question waiting is declined); false when none ran.
  bool InterruptTools();
  // A tool's y/N question waits for a key or a line.
  bool awaiting_tool_answer() const { return tools_ && tools_->awaiting_answer(); }
  void AnswerTool(bool yes);
  bool tools_busy() const { return tools_ && tools_->busy(); }
  // An answer is requested, expected (the user finished speaking; GPT-Live: the voice's answer
  // to a delegation's tool outputs), streaming, or waiting for a response nobody asked for to
  // end so that it can be asked for.
  bool AwaitingServer() const;
  // A response is open (announced and not done), whoever asked for it.
  bool response_active() const { return !responses_.empty(); }
  // Responses that ended (response.done for an announced one), and the answers among them
  // that completed.
  uint64_t responses_done() const { return responses_done_; }
  uint64_t answers() const { return answers_; }
  // Typed turns that failed: the answer failed, or the server refused the line or its request.
  int failed_turns() const { return failed_turns_; }
  size_t lines_waiting() const { return pending_lines_.size(); }
  // Off for push-to-talk and text, whose own states the mode shows, if any.
  void set_report_state(bool report) { report_state_ = report; }
  // The spoken modes: an answer's words are shown as its audio is heard (WordPacer), not as
  // they arrive. Needs a speaker.
  void set_pace_words(bool pace) {
    if (pace && playback_) pacer_.emplace(view_);
  }

  // /voice and /instructions: kept for later sessions, and sent to this one if it is up
  // (ConversationCore::ChangeVoice says when the API refuses a voice).
  Status ChangeVoice(std::string voice) { return core_.ChangeVoice(std::move(voice)); }
  void ChangeInstructions(std::string text) { core_.ChangeInstructions(std::move(text)); }

  bool session_ready() const { return core_.ready(); }
  // Nothing is going on: no answer coming or playing, the user not mid-sentence, no line
  // waiting or in flight, no tool running. (At the end of the input voxterm waits for this
  // before it leaves.)
  bool Idle() const;
  uint64_t appended_frames() const { return appended_frames_; }
  // GPT-Live: the open answer's audio since its last words (LiveAnswers::wordless_ms).
  int64_t wordless_answer_ms() const { return live_.wordless_ms(); }

 private:
  // A response, from its response.created to its response.done.
  struct Response {
    std::string id;
    bool ours = false;       // asked for, or started by the server's VAD: the user's answer
    bool shown = false;      // ours, and not the answer to a refused line: shown and played
    bool delivered = false;  // some of it was shown or played
  };
  // The typed line whose turn is in flight, from its conversation.item.create to the end of
  // its answer (tool calls and their follow-up included).
  struct TypedLine {
    std::string text;
    // Its images, kept until its turn is over, in case it must be sent again after a lost
    // connection; History keeps the text alone.
    std::vector<InputImage> images;
    std::string item_id;   // the server has it once History does
    std::string event_id;  // of its conversation.item.create, to match a refusal
    // The first response asked for after it: its answer. Once one was, the server had the line.
    std::string response_id;
    bool refused = false;  // the server refused the item: its answer is not shown
    bool answer_failed = false;
  };
  // A turn typed and not yet sent.
  struct PendingLine {
    std::string text;
    std::vector<InputImage> images;
  };
  // The user's spoken turn that has no answer yet: from speech_started on, or a take.
  struct UserTurn {
    uint64_t start_frame = 0;  // where its audio starts, in frames ever captured
    std::string item_id;       // its item, once the server named it
    bool committed = false;    // push-to-talk: the take was committed
  };

  bool Audible() const { return playback_ && playback_->Audible(); }
  // The responses open: the newest (the one streaming), one by id (as an iterator, end() when
  // none is, or a pointer, null), whether one of ours is.
  Response* Newest() { return responses_.empty() ? nullptr : &responses_.back(); }
  std::deque<Response>::iterator Open(std::string_view response_id);
  Response* Find(std::string_view response_id);
  // An event's response: the one it names, or with no id (as servers stream one at a time) the
  // newest.
  Response* Of(std::string_view response_id);
  bool OursOpen() const;
  void BargeIn(bool server_cancels);
  // The server's events, by kind.
  void OnSessionCreated();
  void OnResponseCreated(const ServerEvent& event);
  void OnSpeechStarted(const ServerEvent& event);
  void OnInputTranscript(const ServerEvent& event);
  void OnAnswerText(const ServerEvent& event);
  void OnError(const ServerEvent& event);
  void OnAudioDelta(const ServerEvent& event);
  // response.done, before anything else sees it: false for one to ignore.
  bool BeforeResponseDone(const ServerEvent& event);
  void OnResponseDone(const ServerEvent& event);
  void OnDelegation(const ServerEvent& event);
  // Whether an answer event (words or audio) belongs to a response that is shown.
  bool Shows(std::string_view response_id);
  // A turn typed: it interrupts (LinePolicy) and waits its turn to be sent.
  void QueueLine(PendingLine line);
  // A line as the views show it: the text, then each image's name and size.
  static std::string ShownLine(const std::string& text, const std::vector<InputImage>& images);
  // The oldest typed line, as a text turn, when one waits and the policy lets it go.
  void SendPendingLine();
  void MaybeRequestResponse();
  // Tool outputs are all sent: their follow-up response is requested. Then the typed line's
  // turn may be over.
  void AfterToolProgress();
  void CheckToolFollowUp();
  // The typed line's turn ends once nothing of it is left: no response active, requested or
  // wanted, no tool running, no follow-up due.
  void MaybeEndLineTurn();
  void UpdateState();
  // A new session after a lost connection: the conversation so far, then what was in flight.
  void Resume();
  // The kept microphone audio from frame `from` on, to the new session.
  void ResendAudio(uint64_t from);
  // AnswerText::Lines: the answer's words to the view.
  void Words(std::string_view item_id, std::string_view text) override;
  void EndLine(bool interrupted) override;
  // Input transcription: text more of item_id's caption; Uncaption forgets the item's caption.
  void Caption(std::string_view item_id, std::string_view text);
  void Uncaption(std::string_view item_id);
  // The user starts a new turn: captions left over (an item the server never finished) go.
  void ClearCaptions();
  // Whether item_id's transcription already ended (.completed or .failed); records it if not.
  bool Transcribed(std::string_view item_id, bool record);

  ConversationCore core_;         // the session's set-up, replay and response.create
  LiveAnswers live_;              // GPT-Live's streams grouped into answers and turns
  LiveDelegations delegations_;   // GPT-Live's delegations and its backend's tool calls
  const bool server_interrupts_;  // server or semantic VAD: the server starts and cancels
  const LinePolicy line_policy_;
  ClientProtocol* const server_;
  PlaybackPath* const playback_;  // null: no speaker
  ConversationView* const view_;
  ToolCalls* const tools_;
  History* const history_;            // null: none kept
  std::optional<AnswerAudio> audio_;  // with a speaker

  // Announced by response.created and not yet done, the newest at the back. One at a time in a
  // sound session; a few at most (the oldest go first) from a server that overlaps them.
  static constexpr size_t kMaxOpenResponses = 8;
  std::deque<Response> responses_;
  std::string dropped_response_id_;  // interrupted: its remaining audio and words are dropped
  bool awaiting_answer_ = false;     // the user finished speaking; a response is due
  bool user_speaking_ = false;
  bool truncate_pending_ = false;  // a flush is under way; truncate when it is done
  AnswerText answer_text_;
  std::optional<WordPacer> pacer_;  // set_pace_words
  // The captions of items being transcribed, the one updated last at the back. A few at most:
  // a real session transcribes one turn at a time.
  static constexpr size_t kMaxCaptions = 4;
  static constexpr size_t kMaxCaptionBytes = 4096;
  std::deque<std::pair<std::string, std::string>> captions_;
  // The last few items whose transcription ended: a late delta, or a second .completed, is
  // ignored.
  static constexpr size_t kMaxRecentItems = 8;
  std::deque<std::string> transcribed_;
  std::deque<PendingLine> pending_lines_;
  std::vector<InputImage> first_images_;  // --image's, until the first typed turn takes them
  std::optional<TypedLine> line_;
  int lines_sent_ = 0;
  int failed_turns_ = 0;
  uint64_t appended_frames_ = 0;

  // The microphone's last kRecentSamples, sent or not, indexed by captured_ (frames ever captured).
  static constexpr size_t kRecentSamples = 10 * 24000;
  std::vector<int16_t> recent_;
  uint64_t captured_ = 0;
  uint64_t session_base_ = 0;  // the frame the session's input audio starts at
  std::optional<UserTurn> turn_;
  bool continue_answer_ = false;      // the answer was cut off: ask the new session to go on
  bool cancel_when_created_ = false;  // Interrupt() came before the answer's response.created
  uint64_t outage_start_ = 0;         // the frame the connection was lost at
  uint64_t underruns_reported_ = 0;
  uint64_t responses_done_ = 0;
  uint64_t answers_ = 0;
  VoiceState state_ = VoiceState::kConnecting;
  bool report_state_ = true;
  LogThrottle error_lines_{LogLevel::kWarn, "server errors"};  // a flood of error events
  LogThrottle ignored_done_lines_{LogLevel::kWarn, "response.done events ignored"};
};

}  // namespace voxterm
