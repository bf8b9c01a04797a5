// The user's commands: a line typed in a conversation that starts with "/" is a command, not a
// turn (issue 17). The line editor hands every submitted line to HandleLine; what a command does
// is asked of a CommandTarget, which app/run.cpp implements over the conversation, the History
// and the usage totals.
//   /mute  /unmute  /voice NAME  /instructions TEXT  /image PATH [TEXT]  /save PATH  /usage
//   /help  /quit
// "//text" sends "/text" as a turn. Every answer to the user (help, usage, errors) is one line
// or a few, each through CommandTarget::Show.
// Thread safety: main thread only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace voxterm {

enum class CommandName {
  kMute,
  kUnmute,
  kVoice,
  kInstructions,
  kImage,
  kSave,
  kUsage,
  kHelp,
  kQuit
};

// What a typed line is.
struct ParsedLine {
  enum class Kind {
    kTurn,     // not a command: text is the turn to send ("//x" becomes "/x")
    kCommand,  // name and text, its argument (trimmed; empty for none)
    kError,    // an unknown command, or a missing or extra argument: text says which
  };
  Kind kind = Kind::kTurn;
  CommandName name = CommandName::kHelp;
  std::string text;
};

ParsedLine ParseCommand(std::string_view line);

// What the commands act on. Abstract so that tests record the calls (a fake target), and so
// that this file needs nothing of the run loop.
class CommandTarget {
 public:
  virtual ~CommandTarget() = default;
  virtual Status SetMuted(bool muted) = 0;  // Conversation::SetMuted: an error in text mode
  virtual Status ChangeVoice(std::string voice) = 0;
  virtual Status ChangeInstructions(std::string text) = 0;
  // /image: the image at path, and text (empty for none), sent as one turn; an error (the
  // file, or an API without images) says why nothing was sent.
  virtual Status SendImage(const std::string& path, std::string text) = 0;
  virtual Status SaveTranscript(const std::string& path) = 0;  // SaveConversation
  virtual std::string UsageSummary() = 0;                      // UsageTotals::Summary
  virtual void Quit() = 0;
  // A line of output for the user: help, usage, a confirmation, an error.
  virtual void Show(std::string_view line) = 0;
};

// Carries command out against target; failures are shown, as "what: why".
void RunCommand(const ParsedLine& command, CommandTarget* target);

// A submitted line: a command (or its error) is handled and true returned; otherwise false,
// and *turn holds the text to send as a turn.
bool HandleLine(std::string_view line, CommandTarget* target, std::string* turn);

// The commands as /help and the manual page list them: how each is typed, and what it does;
// then //TEXT and Ctrl-T.
struct CommandUsage {
  std::string usage;  // "/voice NAME"
  std::string help;
};
std::vector<CommandUsage> CommandList();

// /help's lines: one per command, then //text and Ctrl-T.
std::string CommandHelp();

}  // namespace voxterm
