#include "session/usage.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

#include "fakes/fake_transport.h"

using namespace voxterm;

namespace {
// A response.done carrying usage (the JSON of RealtimeResponse.usage).
ParsedEvent Done(const std::string& usage) {
  return ParsedEvent(
      R"({"type":"response.done","response":{"id":"r","status":"completed","usage":)" + usage +
      "}}");
}
const char kTurn[] =
    R"({"total_tokens":1300,"input_tokens":1200,"output_tokens":100,)"
    R"("input_token_details":{"text_tokens":200,"audio_tokens":1000,"image_tokens":0,"cached_tokens":1000,)"
    R"("cached_tokens_details":{"text_tokens":100,"audio_tokens":900,"image_tokens":0}},)"
    R"("output_token_details":{"text_tokens":20,"audio_tokens":80}})";
}  // namespace

TEST_CASE("a response's usage is read as the schema lays it out", "[usage][server_events]") {
  ParsedEvent e = Done(kTurn);
  REQUIRE(e.ok());
  CHECK(e->usage.present);
  CHECK(e->usage.input == 1200);
  CHECK(e->usage.output == 100);
  CHECK(e->usage.total == 1300);
  CHECK(e->usage.input_text == 200);
  CHECK(e->usage.input_audio == 1000);
  CHECK(e->usage.cached == 1000);
  CHECK(e->usage.cached_text == 100);
  CHECK(e->usage.cached_audio == 900);
  CHECK(e->usage.output_text == 20);
  CHECK(e->usage.output_audio == 80);
  CHECK(e->usage.invalid == 0);
}

TEST_CASE("a transcription's usage, by tokens or by duration", "[usage][server_events]") {
  ParsedEvent tokens(
      R"({"type":"conversation.item.input_audio_transcription.completed","item_id":"i","content_index":0,)"
      R"("transcript":"hi","usage":{"type":"tokens","input_tokens":7,"output_tokens":2,"total_tokens":9}})");
  REQUIRE(tokens.ok());
  CHECK(tokens->usage.input == 7);
  CHECK(tokens->usage.output == 2);
  ParsedEvent duration(
      R"({"type":"conversation.item.input_audio_transcription.completed","item_id":"i","content_index":0,)"
      R"("transcript":"hi","usage":{"type":"duration","seconds":2.5}})");
  REQUIRE(duration.ok());
  CHECK(duration->usage.seconds == 2.5);
}

TEST_CASE("hostile usage values are skipped or saturated, never trusted",
          "[usage][server_events][hostile]") {
  ParsedEvent e = Done(
      R"({"total_tokens":18446744073709551615,"input_tokens":-5,"output_tokens":1.5,)"
      R"("input_token_details":{"text_tokens":"12","audio_tokens":null,"cached_tokens":{},"cached_tokens_details":[]},)"
      R"("output_token_details":"many"})");
  REQUIRE(e.ok());  // the answer still counts: only its bill is unknown
  CHECK(e->usage.total == INT64_MAX);
  CHECK(e->usage.input == -1);
  CHECK(e->usage.output == -1);
  CHECK(e->usage.input_text == -1);
  CHECK(e->usage.input_audio == -1);  // null: absent, not an error
  CHECK(e->usage.invalid == 6);
  CHECK(std::string(e->usage.first_invalid) == "input_tokens");

  ParsedEvent not_object = Done(R"("lots")");
  REQUIRE(not_object.ok());
  CHECK_FALSE(not_object->usage.present);
  CHECK(not_object->usage.invalid == 1);
}

TEST_CASE("totals sum every response and price them from the table", "[usage]") {
  UsageTotals totals("gpt-realtime-2.1", "gpt-live-transcribe");
  ParsedEvent e = Done(kTurn);
  totals.AddResponse(e->usage);
  totals.AddResponse(e->usage);
  CHECK(totals.responses() == 2);
  CHECK(totals.input_tokens() == 2400);
  CHECK(totals.cached_tokens() == 2000);
  CHECK(totals.output_tokens() == 200);
  REQUIRE(totals.cost_known());
  // Per turn: text 100 x $4 + 100 cached x $0.40, audio 100 x $32 + 900 cached x $0.40,
  // out 20 x $24 + 80 x $64, per million.
  const double turn =
      (100 * 4.0 + 100 * 0.4 + 100 * 32.0 + 900 * 0.4 + 20 * 24.0 + 80 * 64.0) / 1e6;
  CHECK(totals.cost_usd() == Approx(2 * turn));
  const std::string summary = totals.Summary();
  CHECK(summary.find("2400 input tokens (2000 cached") != std::string::npos);
  CHECK(summary.find("200 output tokens") != std::string::npos);
  CHECK(summary.find("estimated cost: $0.0192") != std::string::npos);
  CHECK(summary.find(kPricesDate) != std::string::npos);
}

TEST_CASE("a model not in the table has an unknown cost, never a guess", "[usage]") {
  UsageTotals totals("gpt-realtime-2.1", "off");
  totals.SetModel("gpt-realtime-9");  // what the server says the session runs
  ParsedEvent e = Done(kTurn);
  totals.AddResponse(e->usage);
  CHECK_FALSE(totals.cost_known());
  CHECK(totals.input_tokens() == 1200);
  CHECK(totals.Summary().find("estimated cost: unknown (no price for model \"gpt-realtime-9\")") !=
        std::string::npos);
  CHECK(totals.ToJson().find("\"cost_usd\":null") != std::string::npos);
}

TEST_CASE("tokens not split by modality make the cost unknown", "[usage]") {
  UsageTotals totals("gpt-realtime-2.1", "off");
  ParsedEvent e = Done(R"({"total_tokens":20,"input_tokens":10,"output_tokens":10})");
  totals.AddResponse(e->usage);
  CHECK(totals.input_tokens() == 10);
  CHECK_FALSE(totals.cost_known());
}

TEST_CASE("hostile totals saturate instead of overflowing", "[usage][hostile]") {
  UsageTotals totals("gpt-realtime-2.1", "gpt-live-transcribe");
  const std::string max = std::to_string(INT64_MAX);
  ParsedEvent e = Done(R"({"input_tokens":)" + max + R"(,"output_tokens":)" + max +
                       R"(,"input_token_details":{"text_tokens":)" + max + R"(,"audio_tokens":)" +
                       max + R"(},"output_token_details":{"text_tokens":)" + max + "}}");
  for (int i = 0; i < 3; ++i) totals.AddResponse(e->usage);
  CHECK(totals.input_tokens() == INT64_MAX);
  CHECK(totals.output_tokens() == INT64_MAX);
  ParsedEvent bad = Done(R"({"input_tokens":-1,"output_tokens":"x"})");
  totals.AddResponse(bad->usage);
  CHECK(totals.responses() == 4);
  CHECK_FALSE(totals.cost_known());
  ParsedEvent huge(
      R"({"type":"conversation.item.input_audio_transcription.completed","item_id":"i","content_index":0,)"
      R"("transcript":"hi","usage":{"type":"duration","seconds":1e308}})");
  totals.AddTranscription(huge->usage);
  CHECK(totals.ToJson().find("\"transcriptions\":1") != std::string::npos);
}

TEST_CASE("a transcription is priced by its own model", "[usage]") {
  UsageTotals totals("gpt-realtime-2.1", "gpt-live-transcribe");
  ParsedEvent duration(
      R"({"type":"conversation.item.input_audio_transcription.completed","item_id":"i","content_index":0,)"
      R"("transcript":"hi","usage":{"type":"duration","seconds":60}})");
  totals.AddTranscription(duration->usage);
  REQUIRE(totals.cost_known());
  CHECK(totals.cost_usd() == Approx(0.017));

  UsageTotals unpriced("gpt-realtime-2.1", "gpt-4o-mini-transcribe");
  ParsedEvent tokens(
      R"({"type":"conversation.item.input_audio_transcription.completed","item_id":"i","content_index":0,)"
      R"("transcript":"hi","usage":{"type":"tokens","input_tokens":7,"output_tokens":2,"total_tokens":9}})");
  unpriced.AddTranscription(tokens->usage);
  CHECK_FALSE(unpriced.cost_known());
  CHECK(unpriced.Summary().find("gpt-4o-mini-transcribe") != std::string::npos);
}

TEST_CASE("a response is counted once, however often its response.done comes", "[usage]") {
  UsageTotals totals("gpt-realtime-2.1", "off");
  ParsedEvent e = Done(kTurn);
  totals.ResponseCreated("r1");
  totals.AddResponse(e->usage, "r1");
  totals.AddResponse(e->usage, "r1");  // a duplicate the conversation ignores
  CHECK(totals.responses() == 1);
  CHECK(totals.input_tokens() == 1200);
  // One never announced by response.created: the server billed it, so it counts.
  totals.AddResponse(e->usage, "r2");
  CHECK(totals.responses() == 2);
  // Memory stays bounded: an old id is forgotten after many others.
  for (int i = 0; i < 2000; ++i) totals.AddResponse(e->usage, "x" + std::to_string(i));
  CHECK(totals.responses() == 2002);
  CHECK(totals.cost_known());
}

TEST_CASE("a response that ended without usage makes the cost a lower bound", "[usage]") {
  UsageTotals totals("gpt-realtime-2.1", "off");
  ParsedEvent e = Done(kTurn);
  totals.ResponseCreated("r1");
  totals.AddResponse(e->usage, "r1");
  totals.ResponseCreated("r2");  // cut off: no response.done
  totals.ResponseCreated("r3");
  ParsedEvent bare(R"({"type":"response.done","response":{"id":"r3","status":"cancelled"}})");
  totals.AddResponse(bare->usage, "r3");  // done, but without usage
  CHECK(totals.cost_known());
  CHECK(totals.responses_without_usage() == 2);
  const std::string summary = totals.Summary();
  INFO(summary);
  CHECK(summary.find("estimated cost: at least $0.0096") != std::string::npos);
  CHECK(summary.find("2 responses ended without usage") != std::string::npos);
  CHECK(totals.ToJson().find("\"responses_without_usage\":2") != std::string::npos);

  UsageTotals one("gpt-realtime-2.1", "off");
  one.ResponseCreated("r");
  CHECK(one.Summary().find("1 response ended without usage") != std::string::npos);
}

TEST_CASE("usage that contradicts itself or is absurd is not priced", "[usage][hostile]") {
  // More cached than input, in the total or in a modality.
  for (
      const char* usage :
      {R"({"input_tokens":10,"output_tokens":0,"input_token_details":{"text_tokens":10,"audio_tokens":0,)"
       R"("cached_tokens":20,"cached_tokens_details":{"text_tokens":20,"audio_tokens":0}}})",
       R"({"input_tokens":10,"output_tokens":0,"input_token_details":{"text_tokens":5,"audio_tokens":5,)"
       R"("cached_tokens":6,"cached_tokens_details":{"text_tokens":6,"audio_tokens":0}}})",
       // The parts add up to more than the total.
       R"({"input_tokens":10,"output_tokens":0,"input_token_details":{"text_tokens":50,"audio_tokens":5}})",
       // Beyond belief: over 10^12 tokens, or 2^64 and more.
       R"({"input_tokens":2000000000000,"output_tokens":0,"input_token_details":{"text_tokens":2000000000000,"audio_tokens":0}})",
       R"({"input_tokens":36893488147419103232,"output_tokens":0,"input_token_details":{"text_tokens":36893488147419103232,"audio_tokens":0}})"}) {
    INFO(usage);
    UsageTotals totals("gpt-realtime-2.1", "off");
    ParsedEvent e = Done(usage);
    REQUIRE(e.ok());
    totals.AddResponse(e->usage);
    CHECK_FALSE(totals.cost_known());
    CHECK(totals.Summary().find("estimated cost: unknown (") != std::string::npos);
    CHECK(totals.Summary().find("$") == std::string::npos);
  }
  // 2^64 and more saturates, as 2^63 does: it is a count, only too large.
  ParsedEvent big = Done(R"({"input_tokens":36893488147419103232})");
  CHECK(big->usage.input == INT64_MAX);
  CHECK(big->usage.invalid == 0);
}

TEST_CASE("the transcription model is the effective one, or the server's word", "[usage]") {
  UsageTotals totals("gpt-realtime-2.1", "gpt-live-transcribe");
  ParsedEvent duration(
      R"({"type":"conversation.item.input_audio_transcription.completed","item_id":"i","content_index":0,)"
      R"("transcript":"hi","usage":{"type":"duration","seconds":60}})");
  totals.SetTranscriptionModel("gpt-transcribe");
  totals.SetTranscriptionModel("");  // says nothing
  totals.AddTranscription(duration->usage);
  REQUIRE(totals.cost_known());
  CHECK(totals.cost_usd() == Approx(0.0045));

  ParsedEvent ga(
      R"({"type":"session.updated","session":{"model":"gpt-realtime-2.1","audio":{"input":{"transcription":{"model":"gpt-transcribe"}}}}})");
  CHECK(ga->session_transcription_model == "gpt-transcribe");
  ParsedEvent beta(
      R"({"type":"session.updated","session":{"model":"m","input_audio_transcription":{"model":"whisper-1"}}})");
  CHECK(beta->session_transcription_model == "whisper-1");
  ParsedEvent none(
      R"({"type":"session.updated","session":{"audio":{"input":{"transcription":null}}}})");
  CHECK(none->session_transcription_model.empty());
}

namespace {
// One response's usage with every count given (-1: left out).
struct Counts {
  int64_t input = 10, text = 4, audio = 3, image = 3;
  int64_t cached = 6, cached_text = 2, cached_audio = 2, cached_image = 2;
  int64_t output = 10, output_text = 5, output_audio = 5;
};
std::string UsageJson(const Counts& c) {
  // "{"key":value,...}" of the members whose value is not -1.
  auto object = [](std::initializer_list<std::pair<const char*, std::string>> members) {
    std::string out;
    for (const auto& [key, value] : members) {
      if (value == "-1") continue;
      out += (out.empty() ? "\"" : ",\"") + std::string(key) + "\":" + value;
    }
    return "{" + out + "}";
  };
  using std::to_string;
  const std::string cached = object({{"text_tokens", to_string(c.cached_text)},
                                     {"audio_tokens", to_string(c.cached_audio)},
                                     {"image_tokens", to_string(c.cached_image)}});
  const std::string in = object({{"text_tokens", to_string(c.text)},
                                 {"audio_tokens", to_string(c.audio)},
                                 {"image_tokens", to_string(c.image)},
                                 {"cached_tokens", to_string(c.cached)},
                                 {"cached_tokens_details", cached}});
  const std::string out = object(
      {{"text_tokens", to_string(c.output_text)}, {"audio_tokens", to_string(c.output_audio)}});
  return object({{"input_tokens", to_string(c.input)},
                 {"output_tokens", to_string(c.output)},
                 {"input_token_details", in},
                 {"output_token_details", out}});
}
// The reason the cost of one response with these counts is unknown, "" when it is priced.
std::string Unpriced(const Counts& c, const char* model = "gpt-realtime-2.1") {
  UsageTotals totals(model, "off");
  ParsedEvent e = Done(UsageJson(c));
  REQUIRE(e.ok());
  REQUIRE(e->usage.invalid == 0);
  totals.AddResponse(e->usage);
  if (totals.cost_known()) return "";
  const std::string summary = totals.Summary();
  const size_t at = summary.find("estimated cost: unknown (");
  REQUIRE(at != std::string::npos);
  return summary.substr(at + 25, summary.size() - at - 26);
}
}  // namespace

TEST_CASE("each reason a response's usage has no price", "[usage][hostile]") {
  const std::string absurd = "the server sent a token count beyond belief";
  const std::string contradicts =
      "the server's usage contradicts itself (more cached than input, or parts beyond the total)";
  const std::string unsplit = "the server did not split the tokens into text and audio";
  Counts c;
  CHECK(Unpriced(c) == "");
  CHECK(Unpriced(c, "gpt-realtime-9") == "no price for model \"gpt-realtime-9\"");
  // Each part that contradicts the others, alone.
  c = Counts();
  c.cached_text = 5, c.cached = 9;
  CHECK(Unpriced(c) == contradicts);
  c = Counts();
  c.cached_audio = 4, c.cached = 8;
  CHECK(Unpriced(c) == contradicts);
  c = Counts();
  c.cached_image = 4, c.cached = 8;
  CHECK(Unpriced(c) == contradicts);
  c = Counts();
  c.cached = 11;
  CHECK(Unpriced(c) == contradicts);
  c = Counts();
  c.text = 8;
  CHECK(Unpriced(c) == contradicts);
  c = Counts();
  c.cached = 5;
  CHECK(Unpriced(c) == contradicts);
  c = Counts();
  c.output = 9;
  CHECK(Unpriced(c) == contradicts);
  // Totals beyond their parts.
  c = Counts();
  c.input = 11;
  CHECK(Unpriced(c) == unsplit);
  c = Counts();
  c.cached = 7;
  CHECK(Unpriced(c) == unsplit);
  c = Counts();
  c.output = 11;
  CHECK(Unpriced(c) == unsplit);
  // Absurd in any count, checked before contradictions; an unknown model is said first.
  c = Counts();
  c.output_audio = 2000000000000;
  CHECK(Unpriced(c) == absurd);
  c = Counts();
  c.cached_image = 2000000000000;
  CHECK(Unpriced(c) == absurd);
  CHECK(Unpriced(c, "m") == "no price for model \"m\"");
  // Totals left out are the sums of their parts: priced.
  c = Counts();
  c.input = c.cached = c.output = -1;
  CHECK(Unpriced(c) == "");
}

TEST_CASE("a response's parts are summed and priced by modality", "[usage]") {
  UsageTotals totals("gpt-realtime-2.1", "off");
  Counts c;
  c.input = c.cached = c.output = -1;  // the sums of the parts
  ParsedEvent e = Done(UsageJson(c));
  REQUIRE(e.ok());
  totals.AddResponse(e->usage);
  totals.SetModel("gpt-realtime-1.5");
  totals.AddResponse(Done(UsageJson(Counts()))->usage);
  totals.SetModel("gpt-realtime-2.1");
  totals.AddResponse(Done(UsageJson(Counts()))->usage);
  REQUIRE(totals.cost_known());
  // Text 2 x $4 + 2 cached x $0.40, audio 1 x $32 + 2 x $0.40, image 1 x $5 + 2 x $0.50,
  // out 5 x $24 (5 x $16 for 1.5) + 5 x $64, per million.
  const double cached = 2 * 0.4 + 2 * 0.4 + 2 * 0.5;
  const double at_21 = 2 * 4.0 + 32.0 + 5.0 + cached + 5 * 24.0 + 5 * 64.0;
  const double at_15 = 2 * 4.0 + 32.0 + 5.0 + cached + 5 * 16.0 + 5 * 64.0;
  CHECK(totals.cost_usd() == Approx((2 * at_21 + at_15) / 1e6));
  const std::string json = totals.ToJson();
  INFO(json);
  for (const char* count :
       {"\"input_tokens\":30,", "\"input_text_tokens\":12,", "\"input_audio_tokens\":9,",
        "\"input_image_tokens\":9,", "\"cached_tokens\":18,", "\"cached_text_tokens\":6,",
        "\"cached_audio_tokens\":6,", "\"cached_image_tokens\":6,", "\"output_tokens\":30,",
        "\"output_text_tokens\":15,", "\"output_audio_tokens\":15,"}) {
    CHECK(json.find(count) != std::string::npos);
  }
  CHECK(totals.Summary().find("(gpt-realtime-2.1, gpt-realtime-1.5 prices of") !=
        std::string::npos);
}

TEST_CASE("an unpriced response's tokens still count; the first reason stands", "[usage]") {
  UsageTotals totals("gpt-realtime-2.1", "off");
  ParsedEvent invalid = Done(R"({"input_tokens":"3","output_tokens":2,
      "output_token_details":{"text_tokens":2,"audio_tokens":0}})");
  REQUIRE(invalid.ok());
  totals.AddResponse(invalid->usage);
  Counts c;
  c.cached = 11;
  totals.AddResponse(Done(UsageJson(c))->usage);
  CHECK(totals.input_tokens() == 10);
  CHECK(totals.cached_tokens() == 11);
  CHECK(totals.output_tokens() == 12);
  CHECK(totals.Summary().find("unknown (the server sent usage values that are not token counts)") !=
        std::string::npos);
}

namespace {
UsageInfo Seconds(double seconds) {
  UsageInfo u;
  u.present = true;
  u.seconds = seconds;
  return u;
}
}  // namespace

TEST_CASE("GPT-Live: session seconds, cumulative, summed over sessions, priced per minute",
          "[usage]") {
  UsageTotals usage("gpt-live-1.1", "");
  usage.LiveSessionStarted();
  usage.SetLiveSeconds(Seconds(30));
  usage.SetLiveSeconds(Seconds(60));  // cumulative: not added
  usage.SetLiveSeconds(Seconds(20));  // lower: not believed
  usage.SetLiveSeconds(Seconds(-1));  // none
  CHECK(usage.live_seconds() == 60);
  usage.LiveSessionStarted();  // a renewal: the next session counts from 0
  usage.SetLiveSeconds(Seconds(30));
  CHECK(usage.live_seconds() == 90);
  CHECK(usage.cost_known());
  CHECK(usage.cost_usd() == Approx(0.075));  // 90 s at $0.05 a minute: LIVE.md's example
  CHECK(usage.Summary().find("usage: 90 s of GPT-Live session time") == 0);
  CHECK(usage.Summary().find("$0.0750") != std::string::npos);
  CHECK(usage.ToJson().find("\"live_seconds\":90") != std::string::npos);
}

TEST_CASE("GPT-Live: a deployment's model has no price", "[usage]") {
  UsageTotals usage("my-live-deployment", "");
  usage.SetLiveSeconds(Seconds(30));
  CHECK_FALSE(usage.cost_known());
  CHECK(FindLiveMinutePrices("gpt-live-1") != nullptr);
}

TEST_CASE("GPT-Live: sessions whose server reports no time cost \"unknown\", not $0", "[usage]") {
  UsageTotals usage("gpt-live-1.1", "");
  usage.LiveSessionStarted();
  usage.SetLiveSeconds(UsageInfo());  // a session.closed without usage
  CHECK_FALSE(usage.cost_known());
  CHECK(usage.Summary().find("$0.0000") == std::string::npos);
  CHECK(usage.Summary().find("estimated cost: unknown (the server reported no GPT-Live "
                             "session time)") != std::string::npos);
  CHECK(usage.ToJson().find("\"cost_usd\":null") != std::string::npos);
  usage.SetLiveSeconds(Seconds(30));  // once it does, the cost is known
  CHECK(usage.cost_known());
}

TEST_CASE("GPT-Live: the delegation backend's tokens, counted apart, once per response",
          "[usage]") {
  UsageTotals usage("gpt-live-1.1", "");
  usage.LiveSessionStarted();
  usage.SetLiveSeconds(Seconds(60));
  UsageInfo tokens;
  tokens.present = true;
  tokens.input = 200;
  tokens.cached = 100;
  tokens.output = 40;
  usage.AddBackendResponse(tokens, "resp_1", "gpt-5.5");
  usage.AddBackendResponse(tokens, "resp_1", "gpt-5.5");  // done twice: counted once
  usage.AddBackendResponse(UsageInfo(), "resp_2", "");    // without usage: a response still
  CHECK(usage.backend_responses() == 2);
  const std::string summary = usage.Summary();
  CHECK(summary.find("backend gpt-5.5: 2 responses, 200 input tokens (100 cached), 40 output "
                     "tokens") != std::string::npos);
  CHECK(usage.cost_known());  // the session's time has its price; the tokens are left out
  CHECK(usage.cost_usd() == Approx(0.05));
  CHECK(summary.find("the backend's tokens are not in it") != std::string::npos);
  CHECK(usage.ToJson().find("\"backend_input_tokens\":200") != std::string::npos);
  // Nonsense is not added: beyond belief, or more cached than input.
  UsageInfo absurd = tokens;
  absurd.input = INT64_MAX;
  usage.AddBackendResponse(absurd, "resp_3", "gpt-5.5");
  UsageInfo contradictory = tokens;
  contradictory.cached = 500;
  usage.AddBackendResponse(contradictory, "resp_4", "gpt-5.5");
  CHECK(usage.ToJson().find("\"backend_input_tokens\":200") != std::string::npos);
}
