// Usage: what the server says a run was billed (every response.done's usage, every finished
// transcription's), summed over all the run's sessions, and what that costs at the prices of
// the one price table (usage.cpp). Shown at exit with -v and written by --stats.
// A cost is only ever computed from the table: a model not in it, tokens the server did not
// split by modality, or usage that contradicts itself or is beyond belief, make the cost
// "unknown", never a guess. A response that ended without usage (cut off by an error, Ctrl-C or
// a lost connection, or a response.done without it) makes the cost a lower bound: "at least".
// Thread safety: main thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "protocol/server_events.h"

namespace voxterm {

// USD per million tokens, as OpenAI's model pages list them.
struct ModelPrices {
  std::string_view model;
  double text_input, text_cached, text_output;
  double audio_input, audio_cached, audio_output;
  double image_input, image_cached;
};

// Transcription models billed by the minute of audio.
struct TranscriptionPrices {
  std::string_view model;
  double usd_per_minute;
};

// GPT-Live models, billed by the active minute of session time (LIVE.md section 6).
struct LiveMinutePrices {
  std::string_view model;
  double usd_per_active_minute;
};

// The table's date: when its prices were read.
extern const char kPricesDate[];

// nullptr for a model the table does not have (exact names only: a dated snapshot may be
// priced differently).
const ModelPrices* FindModelPrices(std::string_view model);
const TranscriptionPrices* FindTranscriptionPrices(std::string_view model);
const LiveMinutePrices* FindLiveMinutePrices(std::string_view model);

class UsageTotals {
 public:
  UsageTotals(std::string model, std::string transcription_model)
      : model_(std::move(model)), transcription_model_(std::move(transcription_model)) {}

  // The model the server says the session runs (session.created / session.updated): its
  // prices apply to the responses that follow. An empty name changes nothing.
  void SetModel(std::string_view model);
  // The same for the transcription model (audio.input.transcription.model).
  void SetTranscriptionModel(std::string_view model);
  // A response.created: the response is open until its response.done.
  void ResponseCreated(std::string_view id);
  // A response.done's usage. Each response id counts once (a repeated response.done is
  // ignored; the last kRememberedIds ids are remembered); an empty id always counts, and so
  // does a response never announced by response.created: the server billed it. One without a
  // usage makes the cost a lower bound.
  void AddResponse(const UsageInfo& usage, std::string_view id = "");
  // A finished transcription's usage, priced by the transcription model.
  void AddTranscription(const UsageInfo& usage);
  // GPT-Live: a session began (session.started); its seconds count from 0. Until the server
  // reports some session time (usage.seconds), the cost is unknown: nothing is not $0.
  void LiveSessionStarted();
  // GPT-Live's session.usage.updated or session.closed: the session's seconds so far,
  // cumulative. Untrusted: a value lower than one already seen (or none) changes nothing.
  void SetLiveSeconds(const UsageInfo& usage);
  // GPT-Live's delegation backend: a Responses response done, with the usage it carries (not
  // in the session's seconds: billed apart, at its model's token prices). Each id counts once,
  // as in AddResponse. The table has no prices for the backend's text models, so their tokens
  // are counted and shown, and the estimate says it leaves them out.
  void AddBackendResponse(const UsageInfo& usage, std::string_view id, std::string_view model);
  int64_t backend_responses() const { return backend_responses_; }
  // GPT-Live session time over the run's sessions.
  double live_seconds() const { return live_done_seconds_ + live_session_seconds_; }

  int64_t responses() const { return responses_; }
  // Responses created but never done, and responses done without usage.
  int64_t responses_without_usage() const {
    return without_usage_ + static_cast<int64_t>(open_.size());
  }
  int64_t input_tokens() const { return input_; }
  int64_t output_tokens() const { return output_; }
  int64_t cached_tokens() const { return cached_; }
  bool cost_known() const { return WhyUnknown().empty(); }
  // The tokens' cost, and GPT-Live's session time at its model's price per minute.
  double cost_usd() const;

  // One or two lines for stderr, without the "voxterm: " prefix, joined by '\n'.
  std::string Summary() const;
  // A JSON object (no newline) for --stats.
  std::string ToJson() const;

 private:
  static constexpr size_t kRememberedIds = 512;

  void Unknown(std::string why);
  // The first reason the cost is unknown; empty while it is known.
  std::string WhyUnknown() const;
  // Whether a count is beyond belief (over 10^12 tokens: a saturated 2^63 included).
  static bool Absurd(int64_t count) { return count > 1000000000000; }

  std::string model_;
  std::string transcription_model_;
  std::deque<std::string> open_;  // responses created and not yet done, oldest first
  std::deque<std::string> done_;  // the last kRememberedIds responses done
  int64_t without_usage_ = 0;     // done without usage, or forgotten while open
  std::string models_used_;       // the priced models, comma-separated, for the summary
  int64_t responses_ = 0;
  int64_t input_ = 0, input_text_ = 0, input_audio_ = 0, input_image_ = 0;
  int64_t cached_ = 0, cached_text_ = 0, cached_audio_ = 0, cached_image_ = 0;
  int64_t output_ = 0, output_text_ = 0, output_audio_ = 0;
  int64_t transcriptions_ = 0, transcription_input_ = 0, transcription_output_ = 0;
  double transcription_seconds_ = 0;
  bool live_ = false;                // GPT-Live usage was reported
  bool live_started_ = false;        // a GPT-Live session began
  double live_done_seconds_ = 0;     // the sessions before this one
  double live_session_seconds_ = 0;  // this session's, the highest it said
  double cost_usd_ = 0;
  // The delegation backend's responses and tokens; its model, the last one named.
  int64_t backend_responses_ = 0, backend_input_ = 0, backend_cached_ = 0, backend_output_ = 0;
  std::string backend_model_;
  bool warned_backend_usage_ = false;
  std::string unknown_why_;  // the first reason the cost is unknown; empty while known
};

}  // namespace voxterm
