// /save PATH: the conversation so far, written to a file: both sides' words (typed turns, and
// spoken ones as their transcripts), the tools' calls and their results, answers cut short
// marked. Plain text, or Markdown when the path ends in .md:
//   you: what's the weather like in Oslo?
//   tool call: get_weather {"city":"Oslo"}
//   tool result: {"exit_code":0,"stdout":"4C"}
//   assistant: It is 4 degrees in Oslo. [interrupted]
// The source is the History (conversation/history.h): the conversation as the server holds it,
// complete for typed and spoken turns in every mode. It keeps the newest 1000 items (2 MiB):
// a longer conversation is saved from where it starts to be kept, and the file says so.
// Thread safety: main thread only, like the History.
#pragma once

#include <string>
#include <vector>

#include "conversation/history.h"
#include "util/output_file.h"
#include "util/status.h"

namespace voxterm {

enum class SavedFormat { kText, kMarkdown };

// Markdown for a path ending in .md, plain text otherwise.
SavedFormat SavedFormatFor(const std::string& path);

// The file's contents.
std::string FormatConversation(const History& history, SavedFormat format);

// Writes it to path ("~/" is the home directory): created 0600, or truncated, never through a
// symbolic link (util/output_file.h). Refused: a FIFO (the conversation would wait for its
// reader) and any file of in_use (the run's own: --transcript, --log-events, --input-file...,
// which the truncation would destroy). Errors are "/save PATH: why".
Status SaveConversation(const History& history, const std::string& path,
                        const std::vector<NamedPath>& in_use = {});

}  // namespace voxterm
