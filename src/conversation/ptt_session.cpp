#include "conversation/ptt_session.h"

#include <cstdio>
#include <vector>

#include "conversation/voice_session.h"

namespace voxterm {

namespace {
// The key takes the turns: turn_detection null, whatever the settings asked.
SessionSettings TurnsByKey(SessionSettings settings) {
  settings.turns = SessionSettings::Turns::kOff;
  return settings;
}
}  // namespace

PttSession::PttSession(SessionSettings settings, std::unique_ptr<AudioEngine> audio,
                       ClientProtocol* server, ConversationView* view, const Clock* clock,
                       std::unique_ptr<RawTerminal> terminal, Key key, ToolCalls* tools,
                       History* history)
    : SpokenConversation(TurnsByKey(std::move(settings)), std::move(audio), server, view, tools,
                         history),
      clock_(clock),
      ptt_(clock, this, key),
      terminal_(std::move(terminal)),
      continuous_input_(server->continuous_input()) {
  engine_.set_report_state(false);
  UpdateView();
}

PttSession::~PttSession() {
  audio_->Stop();
  terminal_.reset();  // the terminal as it was, before anything else is printed
}

void PttSession::OnServerEvent(const ServerEvent& event) {
  const uint64_t done = engine_.responses_done();
  engine_.OnServerEvent(event);
  if (engine_.responses_done() != done) ptt_.OnAnswerDone();  // not for a response never announced
  UpdateView();
}

void PttSession::OnToolsReady() {
  engine_.OnToolsReady();
  UpdateView();
}

void PttSession::OnInputBytes(std::string_view bytes) {
  std::vector<Key> keys;
  keys_.Feed(bytes, &keys);
  if (keys_.holding_escape()) escape_since_ms_ = clock_->NowMs();
  OnKeys(keys);
}

void PttSession::OnKeys(const std::vector<Key>& keys) {
  for (const Key& key : keys) {
    if (TypeKey(key)) continue;
    if (key.alt) continue;  // Alt and a key: nothing of push-to-talk's
    if (engine_.awaiting_tool_answer() && !key.release && key.type != Key::Type::kCtrlC) {
      engine_.AnswerTool(key.type == Key::Type::kChar && (key.ch == U'y' || key.ch == U'Y'));
      continue;
    }
    if (muted_ && key == ptt_.key() && !key.release &&
        ptt_.state() == PttController::State::kIdle) {
      view_->Notice("muted: no take until you unmute (Ctrl-T or /unmute)");
      continue;
    }
    if (ptt_.OnKey(key)) continue;
    if (key.release) continue;
    switch (key.type) {
      case Key::Type::kCtrlC:
        if (engine_.InterruptTools()) break;  // a tool stops; the conversation goes on
        interrupted_ = true;
        quit_ = true;
        break;
      case Key::Type::kCtrlD: quit_ = true; break;
      case Key::Type::kChar:
        if (Key::Folded(key.ch) == U'q') quit_ = true;
        break;
      case Key::Type::kCtrlZ: terminal_->Suspend(); break;
      case Key::Type::kCtrl:
        if (key.ch == U't') (void)SetMuted(!muted_);
        break;
      default: break;
    }
  }
  UpdateView();
}

// True when the key went to the line being typed, or started one.
bool PttSession::TypeKey(const Key& key) {
  if (!typing_) return false;
  if (!typing_->Typing()) {
    const bool slash = key.type == Key::Type::kChar && key.ch == U'/' && !(key == ptt_.key());
    if (key.release || ptt_.state() != PttController::State::kIdle ||
        engine_.awaiting_tool_answer() || !(slash || key.type == Key::Type::kPasteStart)) {
      return false;
    }
    if (terminal_) terminal_->TypeText(true);
  }
  typing_->TypeKey(key);
  if (!typing_->Typing() && terminal_) terminal_->TypeText(false);
  return true;
}

void PttSession::OnTick() {
  // A lone ESC that nothing followed: the Escape key.
  if (keys_.holding_escape() && !(typing_ && typing_->Pasting()) &&
      clock_->NowMs() - escape_since_ms_ >= KeyDecoder::kEscapeWaitMs) {
    std::vector<Key> keys;
    keys_.TakeEscape(&keys);
    OnKeys(keys);
  }
  if (engine_.session_ready() && !input_started_) {
    input_started_ = true;
    Status started = audio_->StartInput();
    if (!started.ok()) {
      view_->Notice(started.message());
      quit_ = failed_ = true;
    }
  }
  CapturePath* capture = audio_->capture();
  audio_->PumpSpeaker();  // first: echo control needs what was played before what was heard
  if (input_started_) {
    // Muted, the pre-roll too is silence: a take started after /unmute sends nothing from before.
    audio_->PumpMicrophone([this](const int16_t* samples, size_t count) {
      const bool taking = Taking();
      ptt_.OnFrame(Microphone(samples, count), count);
      // An API whose clock runs on the input (GPT-Live) hears silence between takes.
      if (continuous_input_ && !taking && !Taking()) {
        if (zeros_.size() < count) zeros_.assign(count, 0);
        engine_.OnCaptureFrame(zeros_.data(), count);
      }
    });
    view_->SetLevel(ptt_.state() == PttController::State::kRecording && !muted_ ? capture->level()
                                                                                : 0);
  }
  ptt_.OnTick();
  engine_.OnTick();
  UpdateView();
}

void PttSession::ClearInput() { engine_.BeginTake(); }

void PttSession::DropInput() { engine_.DropTake(); }

void PttSession::SendAudio(const int16_t* samples, size_t count) {
  engine_.OnCaptureFrame(samples, count);
  if (Recorder* recorder = audio_->recorder()) recorder->AddMicrophone(samples, count);
}

void PttSession::CommitAndRespond() { engine_.CommitTake(); }

void PttSession::UpdateView() {
  const std::string key = KeyName(ptt_.key());
  switch (ptt_.state()) {
    case PttController::State::kRecording:
    case PttController::State::kTail: {
      view_->SetState(VoiceState::kRecording);
      char seconds[96];
      snprintf(seconds, sizeof seconds, "%.1f s  (%s: send, Esc: drop)%s", ptt_.take_ms() / 1000.0,
               key.c_str(), muted_ ? "  muted" : "");
      view_->SetDetail(seconds);
      return;
    }
    case PttController::State::kWaiting:
      view_->SetState(VoiceState::kThinking);  // "thinking": waiting for the answer
      view_->SetDetail("");
      return;
    case PttController::State::kIdle: break;
  }
  if (!engine_.session_ready()) {
    view_->SetState(engine_.reconnecting() ? VoiceState::kReconnecting : VoiceState::kConnecting);
    view_->SetDetail("");
  } else if (engine_.awaiting_tool_answer()) {
    view_->SetState(VoiceState::kRunningTool);
    view_->SetDetail("y: run it, any other key: don't");
  } else if (engine_.tools_busy()) {
    view_->SetState(VoiceState::kRunningTool);
    view_->SetDetail("(Ctrl-C to stop it)");
  } else if (engine_.response_active() || !engine_.Idle()) {
    view_->SetState(VoiceState::kAssistantSpeaking);
    view_->SetDetail("(" + key + " to interrupt)");
  } else {
    view_->SetState(VoiceState::kIdle);
    view_->SetDetail(muted_ ? "muted (Ctrl-T or /unmute to talk), q to quit"
                            : "press " + key + " to talk, q to quit");
  }
}

}  // namespace voxterm
