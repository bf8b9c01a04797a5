#include "app/saved_conversation.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/paths.h"
#include "util/secret_mask.h"

namespace voxterm {

SavedFormat SavedFormatFor(const std::string& path) {
  return path.size() > 3 && path.compare(path.size() - 3, 3, ".md") == 0 ? SavedFormat::kMarkdown
                                                                         : SavedFormat::kText;
}

namespace {

// One entry: who, then what, with the words' own line breaks kept. In Markdown a tool's JSON
// goes in code spans, so that its characters are not taken for markup.
void Append(std::string* out, SavedFormat format, std::string_view who, std::string_view text,
            bool code = false) {
  if (format == SavedFormat::kMarkdown) {
    *out += "**";
    *out += who;
    *out += "**: ";
    if (code) {
      // A fence longer than any run of backticks in the text.
      size_t longest = 0, run = 0;
      for (char c : text) longest = std::max(longest, run = c == '`' ? run + 1 : 0);
      const std::string fence(longest + 1, '`');
      *out += fence + " " + std::string(text) + " " + fence;
    } else {
      *out += text;
    }
    *out += "\n\n";
  } else {
    *out += who;
    *out += ": ";
    *out += text;
    *out += "\n";
  }
}

}  // namespace

std::string FormatConversation(const History& history, SavedFormat format) {
  std::string out;
  if (history.forgotten() > 0) {
    Append(&out, format, "note",
           "the start of the conversation is not kept (" + std::to_string(history.forgotten()) +
               " items); what follows is the rest");
  }
  const bool md = format == SavedFormat::kMarkdown;
  for (const History::Entry& entry : history.Entries()) {
    switch (entry.kind) {
      case History::Kind::kUser:
        Append(&out, format, "you",
               entry.text.empty()
                   ? (md ? "*(spoken, not transcribed)*" : "(spoken, not transcribed)")
                   : entry.text);
        break;
      case History::Kind::kAssistant: {
        std::string text(entry.text);
        while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
        if (entry.interrupted) text += md ? " *[interrupted]*" : " [interrupted]";
        Append(&out, format, "assistant", text);
        break;
      }
      case History::Kind::kCall:
        Append(&out, format, "tool call",
               std::string(entry.name) + " " + std::string(entry.arguments),
               /*code=*/true);
        break;
      case History::Kind::kOutput:
        Append(&out, format, "tool result", entry.output, /*code=*/true);
        break;
    }
  }
  return out;
}

Status SaveConversation(const History& history, const std::string& path,
                        const std::vector<NamedPath>& in_use) {
  const std::string expanded = ExpandHome(path);
  struct stat st;
  if (stat(expanded.c_str(), &st) == 0 && S_ISFIFO(st.st_mode)) {
    return Status::Error("/save " + path + ": is a FIFO (refused: nothing would read it yet)");
  }
  std::vector<NamedPath> files = in_use;
  files.insert(files.begin(), NamedPath{"/save", expanded});
  if (Status distinct = CheckDistinctFiles(files); !distinct.ok()) return distinct;
  auto fd = CreateOutputFile(expanded, "/save");
  if (!fd.ok()) return fd.status();
  // The history puts answers together from their deltas: a key sent in pieces is whole here.
  const std::string text =
      ProcessSecretMask().Masked(FormatConversation(history, SavedFormatFor(expanded)));
  size_t written = 0;
  int error = 0;
  while (written < text.size()) {
    const ssize_t n = write(*fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = errno;
      break;
    }
    written += static_cast<size_t>(n);
  }
  if (close(*fd) != 0 && error == 0 && errno != EINTR) error = errno;
  if (error != 0) return Status::Error("/save " + path + ": " + strerror(error));
  return Status::Ok();
}

}  // namespace voxterm
