// Conversation: what the run loop (app/run.cpp) drives, whatever the mode. The loop owns the
// connection, stdin, signals and the clock; a conversation owns the logic and its devices.
// Thread safety: main thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/server_events.h"
#include "util/image_file.h"
#include "util/status.h"

namespace voxterm {

class KeyTyping;  // ui/terminal_input.h

class Conversation {
 public:
  virtual ~Conversation() = default;
  virtual void OnServerEvent(const ServerEvent& event) = 0;
  virtual void OnUserLine(std::string line) = 0;
  // --image: images that go with the first typed (or piped) turn, in its message.
  virtual void AttachToFirstTurn(std::vector<InputImage>) {}
  // /image: an image and a line of text (which may be empty), sent as one turn; an error says
  // why not (a tool's question waits for its answer).
  virtual Status OnUserImage(std::string, InputImage) {
    return Status::Error("image: this conversation sends no images");
  }
  virtual void OnInputEnd() = 0;
  // Called at each tick while the connection is open: every tick_ms(), or when NextTickNs()
  // says; tick_ms() 0 means never.
  virtual void OnTick() {}
  virtual int tick_ms() const { return 0; }
  // When the tick after the one at now_ns falls (MonotonicNs): spoken modes follow the
  // microphone's deliveries (audio/capture_ticks.h).
  virtual int64_t NextTickNs(int64_t now_ns) { return now_ns + int64_t{tick_ms()} * 1'000'000; }
  // The tick of conversations that move audio: the devices' buffer period, so each tick finds
  // about one buffer's worth. Rings hold seconds, so a tick is never needed sooner, and every
  // wake-up costs a context switch.
  static constexpr int kAudioTickMs = 10;
  virtual bool session_ready() const = 0;
  // Everything is done: the loop closes the connection politely and exits.
  virtual bool Finished() const = 0;
  // Waiting for a typed line (the loop shows a prompt on an interactive terminal).
  virtual bool WantsPrompt() const = 0;
  // Turns that failed, for the exit code.
  virtual int failed_turns() const = 0;
  // Keys rather than lines: stdin's bytes go to OnInputBytes as they come (push-to-talk).
  virtual bool WantsRawInput() const { return false; }
  virtual void OnInputBytes(std::string_view) {}
  // Where keys go while the user types a line (push-to-talk: "/" or a paste starts one).
  virtual void SetTyping(KeyTyping*) {}
  // Finished because the user interrupted (Ctrl-C as a key): exit code 130.
  virtual bool Interrupted() const { return false; }
  // Ctrl-C (SIGINT): true when the conversation used it (it stopped a running tool); false
  // means the loop ends the session.
  virtual bool OnInterrupt() { return false; }
  // The tool runner's fd is readable (app/tool_calls.h).
  virtual void OnToolsReady() {}
  // An answer is due from the server: a request is out, and no tool or user holds it up.
  virtual bool AwaitingServer() const = 0;
  // The server has sent nothing for seconds while an answer was due. True ends the session
  // as failed (text mode: a script must not hang); false goes on waiting (the user was told).
  virtual bool OnServerSilent(int seconds) = 0;

  // The connection is gone and voxterm is reconnecting. Nothing is sent until the next
  // session.created, which the conversation answers as it did the first: session.update, then
  // the conversation so far (History), then the turn that was in flight.
  virtual void OnDisconnected() = 0;
  // Answers completed so far (response.done, completed, for a response it was waiting for):
  // the loop's measure of progress, after which a lost connection's tries start over.
  virtual uint64_t answers() const = 0;
  // Nothing is in flight: a good moment to renew the session before the server's time limit.
  virtual bool Quiet() const = 0;
  // Room for more input; the loop stops reading stdin while false, so a long pipe waits in
  // the pipe rather than in memory.
  virtual bool WantsInput() const { return true; }

  // The user's commands (app/commands.h), carried out by the mode.
  // /mute, /unmute: while muted no microphone audio goes to the server. Text mode has none.
  virtual Status SetMuted(bool) {
    return Status::Error("mute: there is no microphone in text mode");
  }
  virtual bool muted() const { return false; }
  // /voice, /instructions: kept for the rest of the run (a reconnect's session carries them)
  // and sent to the session at once; an error says why the voice cannot change now.
  virtual Status ChangeVoice(std::string voice) = 0;
  virtual void ChangeInstructions(std::string text) = 0;
};

}  // namespace voxterm
