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

void TranscriptFile::Write(std::string_view who, const std::string& when, std::string_view text) {
  std::string entry = format_ == Format::kMarkdown
                          ? "**" + std::string(who) + "** (" + when + "): " + std::string(text)
                          : "[" + when + "] " + std::string(who) + ": " + std::string(text);
  entry += format_ == Format::kMarkdown ? "\n\n" : "\n";
  if (failed_) return;
  if (fwrite(entry.data(), 1, entry.size(), file_) != entry.size() || fflush(file_) != 0) {
    failed_ = true;
    ReportOutputFailure("--transcript", path_, errno);
  }
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
  answer_ += text;
  if (view_) view_->AssistantDelta(text);
}

void TranscriptFile::AssistantDone(bool interrupted) {
  if (!answer_when_.empty()) {
    std::string text = std::move(answer_);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    if (interrupted) text += format_ == Format::kMarkdown ? " *[interrupted]*" : " [interrupted]";
    Write("assistant", answer_when_, text);
    answer_.clear();
    answer_when_.clear();
  }
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
