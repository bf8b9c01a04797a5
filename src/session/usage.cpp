#include "session/usage.h"

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <utility>

#include "protocol/json_write.h"
#include "util/log.h"

namespace voxterm {

// THE price table, in USD per million tokens, read on 2026-11-30 from OpenAI's model pages
// (developers.openai.com/api/docs/models/<model>, "Pricing", as stored for this project: there
// is no internet here). Only models whose page gave every price; gpt-realtime,
// gpt-realtime-mini and the token-billed transcription models (gpt-4o-transcribe,
// gpt-4o-mini-transcribe) are left out because no page read gave their prices plainly, so their
// cost is "unknown". Update the prices and kPricesDate together.
const char kPricesDate[] = "2026-11-30";

namespace {

// clang-format off
// model                       text: input cached output   audio: input cached output   image: input cached
constexpr ModelPrices kModelPrices[] = {
    {"gpt-realtime-2.1",      4.00, 0.40, 24.00,       32.00, 0.40, 64.00,        5.00, 0.50},
    {"gpt-realtime-2.1-mini", 0.60, 0.06,  2.40,       10.00, 0.30, 20.00,        0.80, 0.08},
    {"gpt-realtime-2",        4.00, 0.40, 24.00,       32.00, 0.40, 64.00,        5.00, 0.50},
    {"gpt-realtime-1.5",      4.00, 0.40, 16.00,       32.00, 0.40, 64.00,        5.00, 0.50},
};
// clang-format on

// Same pages, "Realtime audio duration" / "Transcription audio duration", per minute.
constexpr TranscriptionPrices kTranscriptionPrices[] = {
    {"gpt-live-transcribe", 0.017},
    {"gpt-realtime-whisper", 0.017},
    {"gpt-transcribe", 0.0045},
};

// developers.openai.com/api/docs/models/gpt-live-1.1, read on 2026-11-30: $0.05 per active
// minute (standby, $0.02, is WebRTC's only); gpt-live-1 the same (voice-latency-cost guide).
constexpr LiveMinutePrices kLiveMinutePrices[] = {
    {"gpt-live-1", 0.05},
    {"gpt-live-1.1", 0.05},
};

int64_t SatAdd(int64_t a, int64_t b) { return a > INT64_MAX - b ? INT64_MAX : a + b; }
int64_t Count(int64_t v) { return v < 0 ? 0 : v; }  // -1: not sent

// One response's tokens: the parts by modality (0 when not sent), and the totals, the server's
// when it sent them, else the sum of the parts.
struct Tokens {
  int64_t text, audio, image;
  int64_t cached_text, cached_audio, cached_image;
  int64_t out_text, out_audio;
  int64_t input, cached, output;

  std::array<int64_t, 11> All() const {
    return {text,     audio,     image, cached_text, cached_audio, cached_image,
            out_text, out_audio, input, cached,      output};
  }
};

Tokens ReadTokens(const UsageInfo& u) {
  Tokens t;
  t.text = Count(u.input_text);
  t.audio = Count(u.input_audio);
  t.image = Count(u.input_image);
  t.cached_text = Count(u.cached_text);
  t.cached_audio = Count(u.cached_audio);
  t.cached_image = Count(u.cached_image);
  t.out_text = Count(u.output_text);
  t.out_audio = Count(u.output_audio);
  t.input = u.input >= 0 ? u.input : SatAdd(SatAdd(t.text, t.audio), t.image);
  t.cached =
      u.cached >= 0 ? u.cached : SatAdd(SatAdd(t.cached_text, t.cached_audio), t.cached_image);
  t.output = u.output >= 0 ? u.output : SatAdd(t.out_text, t.out_audio);
  return t;
}

// Why counts that are not beyond belief still cannot be priced, or nullptr when they can.
const char* WhyUnpriced(const Tokens& t) {
  const int64_t input_parts = SatAdd(SatAdd(t.text, t.audio), t.image);
  const int64_t cached_parts = SatAdd(SatAdd(t.cached_text, t.cached_audio), t.cached_image);
  const int64_t output_parts = SatAdd(t.out_text, t.out_audio);
  // Usage that contradicts itself has no price: which of its numbers would be the bill?
  if (t.cached > t.input || t.cached_text > t.text || t.cached_audio > t.audio ||
      t.cached_image > t.image || input_parts > t.input || cached_parts > t.cached ||
      output_parts > t.output) {
    return "the server's usage contradicts itself (more cached than input, or parts beyond the "
           "total)";
  }
  // Tokens the details do not place in a modality have no price: text and audio differ 8-fold.
  if (t.input > input_parts || t.cached > cached_parts || t.output > output_parts) {
    return "the server did not split the tokens into text and audio";
  }
  return nullptr;
}

// What the tokens cost, in USD. Cached tokens are a part of the input tokens of their modality,
// at the cached price.
double CostUsd(const Tokens& t, const ModelPrices& prices) {
  const auto uncached = [](int64_t all, int64_t cached) {
    return static_cast<double>(std::max<int64_t>(0, all - cached));
  };
  const double per_million = uncached(t.text, t.cached_text) * prices.text_input +
                             t.cached_text * prices.text_cached +
                             uncached(t.audio, t.cached_audio) * prices.audio_input +
                             t.cached_audio * prices.audio_cached +
                             uncached(t.image, t.cached_image) * prices.image_input +
                             t.cached_image * prices.image_cached +
                             t.out_text * prices.text_output + t.out_audio * prices.audio_output;
  return per_million / 1e6;
}

// Whether a response.done with this id is the first: remembers it among the last `remembered`
// done, and closes it if it was open. An empty id is always the first.
bool FirstDone(std::string_view id, size_t remembered, std::deque<std::string>* done,
               std::deque<std::string>* open) {
  if (id.empty()) return true;
  if (std::find(done->begin(), done->end(), id) != done->end()) return false;
  if (done->size() == remembered) done->pop_front();
  done->emplace_back(id);
  if (auto it = std::find(open->begin(), open->end(), id); it != open->end()) open->erase(it);
  return true;
}

}  // namespace

const ModelPrices* FindModelPrices(std::string_view model) {
  for (const ModelPrices& p : kModelPrices) {
    if (p.model == model) return &p;
  }
  return nullptr;
}

const TranscriptionPrices* FindTranscriptionPrices(std::string_view model) {
  for (const TranscriptionPrices& p : kTranscriptionPrices) {
    if (p.model == model) return &p;
  }
  return nullptr;
}

const LiveMinutePrices* FindLiveMinutePrices(std::string_view model) {
  for (const LiveMinutePrices& p : kLiveMinutePrices) {
    if (p.model == model) return &p;
  }
  return nullptr;
}

void UsageTotals::LiveSessionStarted() {
  live_started_ = true;
  live_done_seconds_ += live_session_seconds_;
  live_session_seconds_ = 0;
}

void UsageTotals::SetLiveSeconds(const UsageInfo& usage) {
  if (usage.seconds < 0) return;  // absent, or not believed (protocol/live_events.h)
  if (!live_ && !FindLiveMinutePrices(model_)) {
    Unknown("no price for model \"" + Printable(model_, 60) + "\"");
  }
  live_ = true;
  live_session_seconds_ = std::max(live_session_seconds_, usage.seconds);
}

double UsageTotals::cost_usd() const {
  const LiveMinutePrices* live = FindLiveMinutePrices(model_);
  return cost_usd_ + (live ? live_seconds() / 60 * live->usd_per_active_minute : 0);
}

void UsageTotals::SetModel(std::string_view model) {
  if (!model.empty()) model_ = std::string(model);
}

void UsageTotals::SetTranscriptionModel(std::string_view model) {
  if (!model.empty()) transcription_model_ = std::string(model);
}

void UsageTotals::ResponseCreated(std::string_view id) {
  if (id.empty() || std::find(open_.begin(), open_.end(), id) != open_.end()) return;
  if (std::find(done_.begin(), done_.end(), id) != done_.end()) return;
  if (open_.size() == kRememberedIds) {  // a response this far behind will not end now
    open_.pop_front();
    without_usage_ = SatAdd(without_usage_, 1);
  }
  open_.emplace_back(id);
}

void UsageTotals::Unknown(std::string why) {
  if (unknown_why_.empty()) unknown_why_ = std::move(why);
}

std::string UsageTotals::WhyUnknown() const {
  if (!unknown_why_.empty()) return unknown_why_;
  // A server that never says how long its sessions ran has not said they were free.
  if (live_started_ && !live_) return "the server reported no GPT-Live session time";
  return "";
}

void UsageTotals::AddResponse(const UsageInfo& u, std::string_view id) {
  if (!FirstDone(id, kRememberedIds, &done_, &open_)) {
    LOG_DEBUG("response.done: %s already counted", Printable(std::string(id), 60).c_str());
    return;
  }
  responses_ = SatAdd(responses_, 1);
  if (!u.present) {
    without_usage_ = SatAdd(without_usage_, 1);
    return;
  }
  if (u.invalid > 0) {
    LOG_DEBUG("response.done: skipped %d usage value(s) that are not token counts (first: %s)",
              u.invalid, u.first_invalid);
    Unknown("the server sent usage values that are not token counts");
  }
  // Counted whether or not they can be priced.
  const Tokens t = ReadTokens(u);
  input_ = SatAdd(input_, t.input);
  input_text_ = SatAdd(input_text_, t.text);
  input_audio_ = SatAdd(input_audio_, t.audio);
  input_image_ = SatAdd(input_image_, t.image);
  cached_ = SatAdd(cached_, t.cached);
  cached_text_ = SatAdd(cached_text_, t.cached_text);
  cached_audio_ = SatAdd(cached_audio_, t.cached_audio);
  cached_image_ = SatAdd(cached_image_, t.cached_image);
  output_ = SatAdd(output_, t.output);
  output_text_ = SatAdd(output_text_, t.out_text);
  output_audio_ = SatAdd(output_audio_, t.out_audio);

  const ModelPrices* prices = FindModelPrices(model_);
  if (!prices) {
    Unknown("no price for model \"" + Printable(model_, 60) + "\"");
    return;
  }
  const auto counts = t.All();
  if (std::any_of(counts.begin(), counts.end(), Absurd)) {
    Unknown("the server sent a token count beyond belief");
    return;
  }
  if (const char* why = WhyUnpriced(t)) {
    Unknown(why);
    return;
  }
  if (models_used_.find(model_) == std::string::npos) {
    models_used_ += (models_used_.empty() ? "" : ", ") + model_;
  }
  cost_usd_ += CostUsd(t, *prices);
}

void UsageTotals::AddBackendResponse(const UsageInfo& u, std::string_view id,
                                     std::string_view model) {
  if (!FirstDone(id, kRememberedIds, &done_, &open_)) return;
  backend_responses_ = SatAdd(backend_responses_, 1);
  if (!model.empty()) backend_model_ = Printable(std::string(model), 60);
  if (!u.present) return;
  // As for the model's own responses: counts beyond belief, or more cached than input, are
  // not added (the run's figures would be the server's nonsense).
  if (u.invalid > 0 || Absurd(u.input) || Absurd(u.output) || Absurd(u.cached) ||
      Count(u.cached) > Count(u.input)) {
    if (!std::exchange(warned_backend_usage_, true)) {
      LOG_WARN("the backend's usage is not believable: not counted (said once)");
    }
    return;
  }
  backend_input_ = SatAdd(backend_input_, Count(u.input));
  backend_cached_ = SatAdd(backend_cached_, Count(u.cached));
  backend_output_ = SatAdd(backend_output_, Count(u.output));
}

void UsageTotals::AddTranscription(const UsageInfo& u) {
  transcriptions_ = SatAdd(transcriptions_, 1);
  if (!u.present) return;  // the schema makes it optional; an old server leaves it out
  if (u.invalid > 0) {
    LOG_DEBUG("transcription: skipped %d usage value(s) that are not counts (first: %s)", u.invalid,
              u.first_invalid);
    Unknown("the server sent transcription usage values that are not counts");
  }
  const TranscriptionPrices* prices = FindTranscriptionPrices(transcription_model_);
  if (u.seconds >= 0) {
    const double seconds = std::min(u.seconds, 1e9);  // 30 years of audio: beyond it, nonsense
    transcription_seconds_ += seconds;
    if (u.seconds >= 1e9) {
      Unknown("the server sent a transcription duration beyond belief");
      return;
    }
    if (prices) {
      cost_usd_ += seconds / 60 * prices->usd_per_minute;
    } else {
      Unknown("no price for transcription model \"" + Printable(transcription_model_, 60) + "\"");
    }
    return;
  }
  transcription_input_ = SatAdd(transcription_input_, Count(u.input));
  transcription_output_ = SatAdd(transcription_output_, Count(u.output));
  if (u.input > 0 || u.output > 0) {
    // The table has no transcription model billed by the token.
    Unknown("no token price for transcription model \"" + Printable(transcription_model_, 60) +
            "\"");
  }
}

std::string UsageTotals::Summary() const {
  char line[512];
  snprintf(line, sizeof line,
           "usage: %" PRId64 " response%s, %" PRId64 " input tokens (%" PRId64
           " cached; text %" PRId64 ", audio %" PRId64 "%s), %" PRId64
           " output tokens (text %" PRId64 ", audio %" PRId64 ")",
           responses_, responses_ == 1 ? "" : "s", input_, cached_, input_text_, input_audio_,
           input_image_ > 0 ? (", image " + std::to_string(input_image_)).c_str() : "", output_,
           output_text_, output_audio_);
  std::string out = line;
  if (live_) {  // GPT-Live bills session time; its backend's tokens are the responses'
    snprintf(line, sizeof line, "usage: %.0f s of GPT-Live session time", live_seconds());
    out = line;
  } else if (live_started_) {
    out = "usage: GPT-Live session time not reported by the server";
  }
  if (transcriptions_ > 0) {
    snprintf(line, sizeof line,
             "; %" PRId64 " transcription%s (%.1f s of audio, %" PRId64 " tokens)", transcriptions_,
             transcriptions_ == 1 ? "" : "s", transcription_seconds_,
             SatAdd(transcription_input_, transcription_output_));
    out += line;
  }
  if (backend_responses_ > 0) {
    snprintf(line, sizeof line,
             "; backend%s%s: %" PRId64 " response%s, %" PRId64 " input tokens (%" PRId64
             " cached), %" PRId64 " output tokens",
             backend_model_.empty() ? "" : " ", backend_model_.c_str(), backend_responses_,
             backend_responses_ == 1 ? "" : "s", backend_input_, backend_cached_, backend_output_);
    out += line;
  }
  if (!cost_known()) return out + "\nestimated cost: unknown (" + WhyUnknown() + ")";
  const int64_t without = responses_without_usage();
  snprintf(line, sizeof line, "\nestimated cost: %s$%.4f (%s prices of %s)",
           without > 0 ? "at least " : "", cost_usd(),
           models_used_.empty() ? Printable(model_, 60).c_str() : models_used_.c_str(),
           kPricesDate);
  out += line;
  if (without > 0) {
    snprintf(line, sizeof line, ": %" PRId64 " response%s ended without usage", without,
             without == 1 ? "" : "s");
    out += line;
  }
  if (backend_responses_ > 0) out += "; the backend's tokens are not in it (no price for them)";
  return out;
}

std::string UsageTotals::ToJson() const {
  JsonBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  const std::pair<const char*, int64_t> counts[] = {
      {"responses", responses_},
      {"responses_without_usage", responses_without_usage()},
      {"input_tokens", input_},
      {"input_text_tokens", input_text_},
      {"input_audio_tokens", input_audio_},
      {"input_image_tokens", input_image_},
      {"cached_tokens", cached_},
      {"cached_text_tokens", cached_text_},
      {"cached_audio_tokens", cached_audio_},
      {"cached_image_tokens", cached_image_},
      {"output_tokens", output_},
      {"output_text_tokens", output_text_},
      {"output_audio_tokens", output_audio_},
      {"transcriptions", transcriptions_},
      {"transcription_input_tokens", transcription_input_},
      {"transcription_output_tokens", transcription_output_},
  };
  for (const auto& [key, value] : counts) {
    w.Key(key);
    w.Int64(value);
  }
  if (backend_responses_ > 0) {  // GPT-Live with tools only
    const std::pair<const char*, int64_t> backend[] = {
        {"backend_responses", backend_responses_},
        {"backend_input_tokens", backend_input_},
        {"backend_cached_tokens", backend_cached_},
        {"backend_output_tokens", backend_output_},
    };
    for (const auto& [key, value] : backend) {
      w.Key(key);
      w.Int64(value);
    }
  }
  w.Key("transcription_seconds");
  w.Double(transcription_seconds_);
  w.Key("live_seconds");
  w.Double(live_seconds());
  w.Key("cost_usd");
  if (cost_known()) {
    w.Double(cost_usd());
  } else {
    w.Null();
  }
  w.Key("cost_unknown_reason");
  if (cost_known()) {
    w.Null();
  } else {
    const std::string why = WhyUnknown();
    w.String(why.c_str(), static_cast<rapidjson::SizeType>(why.size()));
  }
  w.Key("prices_date");
  w.String(kPricesDate);
  w.EndObject();
  return buffer.str();
}

}  // namespace voxterm
