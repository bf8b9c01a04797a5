#include "app/commands.h"

#include <algorithm>

namespace voxterm {
namespace {

enum class Argument {
  kNone,          // /mute
  kWord,          // /voice NAME: one word
  kText,          // /instructions TEXT, /save PATH: the rest of the line, spaces and all
  kWordThenText,  // /image PATH [TEXT]: a word, then the rest of the line, if any
};

// The commands, once: the parser, the help and the list of known ones come from here.
struct CommandRow {
  CommandName name;
  std::string_view word;
  Argument argument;
  std::string_view argument_name;  // for the help and the errors
  std::string_view help;
};

constexpr CommandRow kCommands[] = {
    {CommandName::kMute, "mute", Argument::kNone, "", "stop sending the microphone (Ctrl-T too)"},
    {CommandName::kUnmute, "unmute", Argument::kNone, "", "send the microphone again (Ctrl-T too)"},
    {CommandName::kVoice, "voice", Argument::kWord, "NAME",
     "answer in another voice (marin, cedar, alloy...)"},
    {CommandName::kInstructions, "instructions", Argument::kText, "TEXT",
     "replace the model's instructions"},
    {CommandName::kImage, "image", Argument::kWordThenText, "PATH [TEXT]",
     "send an image (PNG, JPEG, WebP, GIF) with a line of text, if any"},
    {CommandName::kSave, "save", Argument::kText, "PATH",
     "write the conversation so far to a file (.md: Markdown)"},
    {CommandName::kUsage, "usage", Argument::kNone, "", "what this run has used, and its cost"},
    {CommandName::kHelp, "help", Argument::kNone, "", "this list"},
    {CommandName::kQuit, "quit", Argument::kNone, "", "end the conversation"},
};

constexpr std::string_view kSpaces = " \t\r\n";

std::string_view Trim(std::string_view text) {
  const size_t start = text.find_first_not_of(kSpaces);
  if (start == std::string_view::npos) return {};
  return text.substr(start, text.find_last_not_of(kSpaces) - start + 1);
}

std::string Usage(const CommandRow& row) {
  std::string usage = "/" + std::string(row.word);
  if (!row.argument_name.empty()) usage += " " + std::string(row.argument_name);
  return usage;
}

std::string KnownCommands() {
  std::string known;
  for (const CommandRow& row : kCommands)
    known += (known.empty() ? "/" : ", /") + std::string(row.word);
  return known;
}

ParsedLine Error(std::string text) {
  return {ParsedLine::Kind::kError, CommandName::kHelp, std::move(text)};
}

}  // namespace

ParsedLine ParseCommand(std::string_view line) {
  // A raw terminal may leave a '\r'; it is no part of the command, nor of a turn's words.
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.empty() || line.front() != '/') return {ParsedLine::Kind::kTurn, {}, std::string(line)};
  if (line.size() > 1 && line[1] == '/') {
    return {ParsedLine::Kind::kTurn, {}, std::string(line.substr(1))};
  }
  // A paste of several lines that starts with "/": no command takes a newline (a file name
  // with one in it is surely not what was meant).
  if (line.find('\n') != std::string_view::npos) {
    return Error("a command is one line; to send lines that start with /, begin with //");
  }
  const std::string_view rest = line.substr(1);
  const size_t end = rest.find_first_of(kSpaces);
  const std::string_view word = rest.substr(0, end);
  const std::string_view argument =
      end == std::string_view::npos ? std::string_view() : Trim(rest.substr(end));
  for (const CommandRow& row : kCommands) {
    if (word != row.word) continue;
    switch (row.argument) {
      case Argument::kNone:
        if (!argument.empty()) return Error(Usage(row) + ": takes nothing after it");
        break;
      case Argument::kWord:
        if (argument.empty())
          return Error(Usage(row) + ": which " + std::string(row.argument_name) + "?");
        if (argument.find_first_of(kSpaces) != std::string_view::npos) {
          return Error(Usage(row) + ": one " + std::string(row.argument_name) + ", without spaces");
        }
        break;
      case Argument::kText:
      case Argument::kWordThenText:  // "which PATH?": the part that must be there
        if (argument.empty()) {
          return Error(Usage(row) + ": which " +
                       std::string(row.argument_name.substr(0, row.argument_name.find(' '))) + "?");
        }
        break;
    }
    return {ParsedLine::Kind::kCommand, row.name, std::string(argument)};
  }
  std::string shown(word.substr(0, 40));
  return Error((word.empty() ? std::string("/") : "/" + shown) +
               ": no such command; the commands are " + KnownCommands() +
               " (//text sends a line that starts with /)");
}

std::vector<CommandUsage> CommandList() {
  std::vector<CommandUsage> list;
  for (const CommandRow& row : kCommands) list.push_back({Usage(row), std::string(row.help)});
  list.push_back({"//TEXT", "send TEXT with its leading /"});
  list.push_back({"Ctrl-T", "mute or unmute the microphone"});
  return list;
}

std::string CommandHelp() {
  const std::vector<CommandUsage> list = CommandList();
  size_t width = 0;
  for (const CommandUsage& command : list) width = std::max(width, command.usage.size());
  std::string help;
  for (const CommandUsage& command : list) {
    help +=
        command.usage + std::string(width + 2 - command.usage.size(), ' ') + command.help + "\n";
  }
  return help;
}

namespace {

void ShowLines(CommandTarget* target, std::string_view text) {
  while (!text.empty()) {
    const size_t end = text.find('\n');
    target->Show(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

void ShowResult(CommandTarget* target, const Status& status, std::string_view done) {
  target->Show(status.ok() ? done : std::string_view(status.message()));
}

// /image PATH [TEXT]: the path is the first word, or what is between double quotes when it
// starts with one (a name with spaces); the rest of the line is the turn's text.
void SendImage(std::string_view argument, CommandTarget* target) {
  std::string_view path = argument.substr(0, argument.find_first_of(kSpaces));
  std::string_view rest = argument.substr(path.size());
  if (!argument.empty() && argument.front() == '"') {
    const size_t close = argument.find('"', 1);
    if (close == std::string_view::npos) {
      target->Show("/image: the path's closing \" is missing");
      return;
    }
    path = argument.substr(1, close - 1);
    rest = argument.substr(close + 1);
  }
  if (Status sent = target->SendImage(std::string(path), std::string(Trim(rest))); !sent.ok()) {
    target->Show(sent.message());
  }
}

}  // namespace

void RunCommand(const ParsedLine& command, CommandTarget* target) {
  if (command.kind == ParsedLine::Kind::kError) {
    target->Show(command.text);
    return;
  }
  if (command.kind != ParsedLine::Kind::kCommand) return;
  switch (command.name) {
    case CommandName::kMute:
      ShowResult(target, target->SetMuted(true), "muted: the microphone is not sent (/unmute)");
      break;
    case CommandName::kUnmute:
      ShowResult(target, target->SetMuted(false), "unmuted: the microphone is sent again");
      break;
    case CommandName::kVoice:
      ShowResult(target, target->ChangeVoice(command.text), "voice: " + command.text);
      break;
    case CommandName::kInstructions:
      ShowResult(target, target->ChangeInstructions(command.text), "instructions: changed");
      break;
    case CommandName::kImage: SendImage(command.text, target); break;
    case CommandName::kSave:
      ShowResult(target, target->SaveTranscript(command.text), "saved to " + command.text);
      break;
    case CommandName::kUsage: ShowLines(target, target->UsageSummary()); break;
    case CommandName::kHelp: ShowLines(target, CommandHelp()); break;
    case CommandName::kQuit: target->Quit(); break;
  }
}

bool HandleLine(std::string_view line, CommandTarget* target, std::string* turn) {
  ParsedLine parsed = ParseCommand(line);
  if (parsed.kind == ParsedLine::Kind::kTurn) {
    *turn = std::move(parsed.text);
    return false;
  }
  RunCommand(parsed, target);
  return true;
}

}  // namespace voxterm
