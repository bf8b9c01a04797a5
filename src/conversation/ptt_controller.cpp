#include "conversation/ptt_controller.h"

#include <algorithm>

namespace voxterm {

namespace {
constexpr size_t SamplesOf(int ms) { return static_cast<size_t>(24 * ms); }  // 24 kHz
}  // namespace

PttController::PttController(const Clock* clock, Actions* actions, Key key)
    : clock_(clock), actions_(actions), key_(key) {}

int64_t PttController::take_ms() const {
  return state_ == State::kRecording || state_ == State::kTail ? clock_->NowMs() - take_started_ms_
                                                               : 0;
}

bool PttController::OnKey(const Key& key) {
  const bool recording = state_ == State::kRecording || state_ == State::kTail;
  if (key.type == Key::Type::kEscape && !key.release) {
    if (!recording) return false;
    DropTake("take dropped");
    return true;
  }
  if (!(key == key_)) return false;
  if (key.release) {
    // Hold-to-talk, where releases are reported: letting go after a real hold ends the take.
    if (state_ == State::kRecording && clock_->NowMs() - take_started_ms_ >= kHoldMs) EndTake();
    return true;
  }
  switch (state_) {
    case State::kIdle:
    case State::kWaiting: StartTake(); break;
    case State::kRecording:
      if (clock_->NowMs() - take_started_ms_ < kDoublePressMs) {
        DropTake("double press: take dropped");
      } else {
        EndTake();
      }
      break;
    case State::kTail: break;  // already ending
  }
  return true;
}

void PttController::StartTake() {
  actions_->Interrupt();
  actions_->ClearInput();
  take_samples_ = 0;
  if (!preroll_.empty()) {
    actions_->SendAudio(preroll_.data(), preroll_.size());
    take_samples_ = preroll_.size();
    preroll_.clear();
  }
  take_started_ms_ = clock_->NowMs();
  state_ = State::kRecording;
}

void PttController::EndTake() {
  tail_until_ms_ = clock_->NowMs() + kTailMs;
  state_ = State::kTail;
}

void PttController::DropTake(std::string_view why) {
  actions_->DropInput();
  actions_->Notice(why);
  state_ = State::kIdle;
}

void PttController::OnFrame(const int16_t* samples, size_t count) {
  if (state_ == State::kRecording || state_ == State::kTail) {
    actions_->SendAudio(samples, count);
    take_samples_ += count;
    return;
  }
  // Not sending: keep the most recent pre-roll's worth.
  preroll_.insert(preroll_.end(), samples, samples + count);
  const size_t keep = SamplesOf(kPrerollMs);
  if (preroll_.size() > keep)
    preroll_.erase(preroll_.begin(), preroll_.end() - static_cast<std::ptrdiff_t>(keep));
}

void PttController::OnTick() {
  if (state_ != State::kTail || clock_->NowMs() < tail_until_ms_) return;
  if (take_samples_ < SamplesOf(kMinAudioMs)) {
    DropTake("too short: take dropped");
    return;
  }
  actions_->CommitAndRespond();
  state_ = State::kWaiting;
}

void PttController::OnAnswerDone() {
  if (state_ == State::kWaiting) state_ = State::kIdle;
}

}  // namespace voxterm
