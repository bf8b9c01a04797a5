#include "ui/transcript_file.h"

#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/output_file.h"

namespace voxterm {

Result<std::unique_ptr<TranscriptFile>> TranscriptFile::Create(const std::string& path) {
  auto fd = CreateOutputFile(path, "--transcript");
  if (!fd.ok()) return fd.status();
  FILE* file = fdopen(*fd, "w");
  if (!file) {
    const int error = errno;
    close(*fd);
    return Status::Error("--transcript " + path + ": " + strerror(error));
  }
  const bool markdown = path.size() > 3 && path.compare(path.size() - 3, 3, ".md") == 0;
  return std::unique_ptr<TranscriptFile>(
      new TranscriptFile(file, path, markdown ? Format::kMarkdown : Format::kText));
}

TranscriptFile::~TranscriptFile() {
  if (!answer_when_.empty()) AssistantDone(/*interrupted=*/false);
  if (fclose(file_) != 0 && !failed_) ReportOutputFailure("--transcript", path_, errno);
}

std::string TranscriptFile::Now() {
  const time_t now = time(nullptr);
  tm local{};
  localtime_r(&now, &local);
  char text[16];
  strftime(text, sizeof text, "%H:%M:%S", &local);
  return text;
}

std::string TranscriptFile::Head(std::string_view who, const std::string& when) const {
  return format_ == Format::kMarkdown ? "**" + std::string(who) + "** (" + when + "): "
                                      : "[" + when + "] " + std::string(who) + ": ";
}

void TranscriptFile::Put(std::string_view text, bool flush) {
  if (failed_) return;
  if (fwrite(text.data(), 1, text.size(), file_) != text.size() || (flush && fflush(file_) != 0)) {
    failed_ = true;
    ReportOutputFailure("--transcript", path_, errno);
  }
}

void TranscriptFile::Write(std::string_view who, const std::string& when, std::string_view text) {
  if (spilled_) EndSpilled("");  // a line in between: the answer goes on in one of its own
  std::string entry = Head(who, when);
  entry.append(text);
  entry += LineEnd();
  Put(entry, /*flush=*/true);
}

void TranscriptFile::Spill(std::string_view text) {
  const size_t words_end = text.find_last_not_of('\n') + 1;  // npos + 1: all breaks
  if (words_end == 0) {
    held_breaks_ += text.size();
    return;
  }
  if (!spilled_) Put(Head("assistant", answer_when_), /*flush=*/false);
  spilled_ = true;
  Put(std::string(held_breaks_, '\n'), /*flush=*/false);
  Put(text.substr(0, words_end), /*flush=*/false);
  held_breaks_ = text.size() - words_end;
}

void TranscriptFile::EndSpilled(std::string_view marker) {
  spilled_ = false;
  held_breaks_ = 0;
  answer_when_.clear();  // words after another entry are a line of their own, with their time
  Put(std::string(marker) + LineEnd(), /*flush=*/true);
}

void TranscriptFile::UserSaid(std::string_view text) {
  Write("you", Now(), text);
  if (view_) view_->UserSaid(text);
}

void TranscriptFile::UserTyped(std::string_view text) {
  Write("you (typed)", Now(), text);
  if (view_) view_->UserTyped(text);
}

void TranscriptFile::UserCaption(std::string_view text) {
  if (view_) view_->UserCaption(text);
}

void TranscriptFile::AssistantDelta(std::string_view text) {
  if (answer_when_.empty()) answer_when_ = Now();
  if (spilled_) {
    Spill(text);
  } else if (answer_.size() + text.size() <= kMaxHeldBytes) {
    answer_ += text;
  } else {  // too long to keep: written from here on as it comes
    Spill(answer_);
    answer_.clear();
    answer_.shrink_to_fit();
    Spill(text);
  }
  if (view_) view_->AssistantDelta(text);
}

void TranscriptFile::AssistantDone(bool interrupted) {
  const char* marker = !interrupted                   ? ""
                       : format_ == Format::kMarkdown ? " *[interrupted]*"
                                                      : " [interrupted]";
  if (spilled_) {
    EndSpilled(marker);
  } else if (!answer_when_.empty()) {
    std::string text = std::move(answer_);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    text += marker;
    Write("assistant", answer_when_, text);
    answer_.clear();
  }
  answer_when_.clear();
  if (view_) view_->AssistantDone(interrupted);
}

void TranscriptFile::SetState(VoiceState state) {
  if (view_) view_->SetState(state);
}

void TranscriptFile::SetLevel(float level) {
  if (view_) view_->SetLevel(level);
}

void TranscriptFile::SetDetail(std::string_view text) {
  if (view_) view_->SetDetail(text);
}

void TranscriptFile::Notice(std::string_view text) {
  if (view_) view_->Notice(text);
}

void TranscriptFile::Warning(std::string_view text) {
  if (view_) view_->Warning(text);
}

void TranscriptFile::ToolActivity(std::string_view line) {
  Write("tool", Now(), line);
  if (tools_) tools_->ToolActivity(line);
}

void TranscriptFile::AskToRun(std::string_view question) {
  if (tools_) tools_->AskToRun(question);
}

}  // namespace voxterm
