#include "conversation/event_log.h"

#include <rapidjson/document.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "protocol/json_parse.h"
#include "protocol/json_write.h"
#include "util/base64.h"
#include "util/log.h"
#include "util/output_file.h"
#include "util/secret_mask.h"

namespace voxterm {
namespace {

bool IsAudioDelta(std::string_view type) {
  return type == "response.output_audio.delta" || type == "response.audio.delta" ||
         type == "session.output_audio.delta";  // GPT-Live
}

// An image's data: URL, as "<image: image/png, N bytes>"; any other URL stays as it is.
bool RedactImageUrl(rapidjson::Value& v, rapidjson::Document::AllocatorType& alloc) {
  const std::string_view url(v.GetString(), v.GetStringLength());
  constexpr std::string_view kBase64 = ";base64,";
  const size_t comma = url.find(kBase64);
  if (url.compare(0, 5, "data:") != 0 || comma == std::string_view::npos) return false;
  std::string marker =
      "<image: " + std::string(url.substr(5, std::min<size_t>(comma - 5, 40))) + ", " +
      std::to_string(Base64DecodedSize(url.substr(comma + kBase64.size()))) + " bytes>";
  v.SetString(marker.c_str(), static_cast<rapidjson::SizeType>(marker.size()), alloc);
  return true;
}

// Replaces every string member named "audio" (appends, input_audio content) with its length, and
// every image_url that holds an image's bytes with its type and size.
void RedactAudio(rapidjson::Value& v, rapidjson::Document::AllocatorType& alloc) {
  if (v.IsArray()) {
    for (auto& element : v.GetArray()) RedactAudio(element, alloc);
    return;
  }
  if (!v.IsObject()) return;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    if (it->value.IsString() && std::string_view(it->name.GetString()) == "audio") {
      std::string_view b64(it->value.GetString(), it->value.GetStringLength());
      std::string marker = "<audio: " + std::to_string(Base64DecodedSize(b64)) + " bytes>";
      it->value.SetString(marker.c_str(), static_cast<rapidjson::SizeType>(marker.size()), alloc);
    } else if (it->value.IsString() && std::string_view(it->name.GetString()) == "image_url") {
      RedactImageUrl(it->value, alloc);
    } else {
      RedactAudio(it->value, alloc);
    }
  }
}

// A log cannot hold back a line as the screen holds back words (util/secret_mask.h's StreamMask):
// a delta is masked with the text before it, so a run of the key that began there is masked from
// this delta on. What the lines before showed of that run is shorter than a maskable piece.
void MaskAfter(std::string* text_tail, rapidjson::Value* delta,
               rapidjson::Document::AllocatorType& allocator) {
  const size_t before = text_tail->size();
  std::string joined = *text_tail;
  joined.append(delta->GetString(), delta->GetStringLength());
  text_tail->assign(joined, joined.size() - std::min(joined.size(), SecretMask::kMinPiece));
  if (!ProcessSecretMask().Mask(&joined)) return;
  delta->SetString(joined.data() + before, static_cast<rapidjson::SizeType>(joined.size() - before),
                   allocator);
}

}  // namespace

EventLog::~EventLog() {
  if (file_) fclose(file_);
}

Status EventLog::Open(const std::string& path) {
  auto fd = CreateOutputFile(path, "--log-events");
  if (!fd.ok()) return fd.status();
  file_ = fdopen(*fd, "w");
  if (!file_) {
    close(*fd);
    return Status::Error("--log-events " + path + ": " + strerror(errno));
  }
  path_ = path;
  return Status::Ok();
}

std::string EventLog::Redact(std::string_view json, std::string* text_tail) {
  // A copy to parse in place; depth-limited, since both the walk below and Accept() recurse.
  std::string copy;
  copy.reserve(json.size() + kJsonPadding);  // the parser's padding, without a second copy
  copy.append(json);
  rapidjson::Document doc;
  const bool valid = ParseJsonInsitu(&copy, &doc).ok();
  JsonBuffer out;
  JsonWriter writer(out);
  if (!valid) {
    writer.String(Printable(std::string(json), 300).c_str());
    return std::string("{\"invalid\":") + out.GetString() + "}";
  }
  if (doc.IsObject()) {
    auto type = doc.FindMember("type");
    auto delta = doc.FindMember("delta");
    if (type != doc.MemberEnd() && type->value.IsString() &&
        IsAudioDelta(type->value.GetString()) && delta != doc.MemberEnd() &&
        delta->value.IsString()) {
      std::string_view b64(delta->value.GetString(), delta->value.GetStringLength());
      std::string marker = "<audio: " + std::to_string(Base64DecodedSize(b64)) + " bytes>";
      delta->value.SetString(marker.c_str(), static_cast<rapidjson::SizeType>(marker.size()),
                             doc.GetAllocator());
    } else if (text_tail && delta != doc.MemberEnd() && delta->value.IsString()) {
      MaskAfter(text_tail, &delta->value, doc.GetAllocator());
    }
  }
  RedactAudio(doc, doc.GetAllocator());
  doc.Accept(writer);
  return std::string("{\"event\":") + out.GetString() + "}";
}

// Flushed per line so that a crash or a kill leaves a complete log up to that point.
void EventLog::Write(const char* direction, std::string_view json, std::string* text_tail) {
  if (!file_) return;
  std::string body;
  if (text_tail) {
    std::lock_guard<std::mutex> lock(mu_);  // text_tail is received_tail_, GUARDED_BY(mu_)
    body = Redact(json, text_tail);
  } else {
    body = Redact(json);
  }
  // body is {"event":...} or {"invalid":...}; splice the time and direction in front.
  std::string line = "{\"t_ms\":" + std::to_string(clock_->NowMs() - start_ms_) + ",\"dir\":\"" +
                     direction + "\"," + body.substr(1) + "\n";
  // Written as decoded: a key the server spelled in JSON escapes is plain here, and masked.
  ProcessSecretMask().Mask(&line);
  std::lock_guard<std::mutex> lock(mu_);
  if (failed_) return;
  if (fwrite(line.data(), 1, line.size(), file_) != line.size() || fflush(file_) != 0) {
    failed_ = true;  // told once; the conversation goes on without its log
    ReportOutputFailure("--log-events", path_, errno);
  }
}

}  // namespace voxterm
