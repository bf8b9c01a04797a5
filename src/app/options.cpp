#include "app/options.h"

#include <rapidjson/document.h>

#include <cmath>
#include <cstdio>

#include "util/paths.h"

namespace voxterm {

Status KeyReader::Error(const std::string& key, const std::string& what) const {
  return Status::Error(Where("/" + key) + ": \"" + key + "\" " + what);
}

std::string KeyReader::Where(const std::string& pointer) const {
  auto it = lines_.find(pointer);
  return path_ + ":" + (it == lines_.end() ? "?" : std::to_string(it->second));
}

Status KeyReader::String(const rapidjson::Value& v, const std::string& key,
                         std::string* out) const {
  if (!v.IsString()) return Error(key, "must be a string");
  if (v.GetStringLength() == 0)
    return Error(key, "must not be empty (leave the key out for the default)");
  *out = std::string(v.GetString(), v.GetStringLength());
  return Status::Ok();
}

Status KeyReader::Int(const rapidjson::Value& v, const std::string& key, int low, int high,
                      int* out) const {
  if (!v.IsInt() || v.GetInt() < low || v.GetInt() > high) {
    return Error(
        key, "must be a whole number from " + std::to_string(low) + " to " + std::to_string(high));
  }
  *out = v.GetInt();
  return Status::Ok();
}

Status KeyReader::Bool(const rapidjson::Value& v, const std::string& key, bool* out) const {
  if (!v.IsBool()) return Error(key, "must be true or false");
  *out = v.GetBool();
  return Status::Ok();
}

std::string QuotedChoices(const std::vector<std::string>& names) {
  std::string text;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) text += i + 1 == names.size() ? " or " : ", ";
    text += "\"" + names[i] + "\"";
  }
  return text;
}

namespace {

// As --help and the messages write a bound or a default: 0.25, 1, 0.5.
std::string FormatNumber(double value) {
  char text[32];
  snprintf(text, sizeof text, "%g", value);
  return text;
}

// The options whose rules are their own (Custom).

void SetTranscription(const std::string& value, Config* config) {
  config->transcribe.kind =
      value == "off" ? Transcription::Kind::kOff : Transcription::Kind::kModel;
  config->transcribe.model = value == "off" ? std::string() : value;
}

Status ReadTranscription(const KeyReader& r, const std::string& key, const rapidjson::Value& v,
                         Config* config) {
  std::string value;
  Status s = r.String(v, key, &value);
  if (s.ok()) SetTranscription(value, config);
  return s;
}

// Kept as the schema writes the codes: lowercase.
Status ReadLanguage(const KeyReader& r, const std::string& key, const rapidjson::Value& v,
                    Config* config) {
  std::string value;
  Status s = r.String(v, key, &value);
  if (!s.ok()) return s;
  auto code = ParseLanguageCode(value);
  if (!code)
    return r.Error(key, "must be a language code of 2 or 3 letters (ISO-639-1, e.g. \"en\")");
  config->transcribe_language = *code;
  return Status::Ok();
}

std::string CheckLanguage(const std::string& value) {
  return ParseLanguageCode(value) ? "" : "must be 2 or 3 letters (e.g. en)";
}

void SetLanguage(const std::string& value, Config* config) {
  config->transcribe_language = *ParseLanguageCode(value);
}

// A number in the file, a word on the command line: "inf" in both.
Status ReadMaxOutputTokens(const KeyReader& r, const std::string& key, const rapidjson::Value& v,
                           Config* config) {
  if (v.IsInt() && v.GetInt() >= 1 && v.GetInt() <= kMaxOutputTokensLimit) {
    config->max_output_tokens = v.GetInt();
  } else if (v.IsString() && std::string_view(v.GetString(), v.GetStringLength()) == "inf") {
    config->max_output_tokens = kMaxOutputTokensInf;
  } else {
    return r.Error(key, "must be a whole number from 1 to 4096, or \"inf\"");
  }
  return Status::Ok();
}

std::string CheckMaxOutputTokens(const std::string& value) {
  return ParseMaxOutputTokens(value) ? "" : "must be 1 to 4096, or inf";
}

void SetMaxOutputTokens(const std::string& value, Config* config) {
  config->max_output_tokens = *ParseMaxOutputTokens(value);
}

Status ReadMaxMessageBytes(const KeyReader& r, const std::string& key, const rapidjson::Value& v,
                           Config* config) {
  if (!v.IsUint64() || v.GetUint64() < 1024 || v.GetUint64() > (1ull << 30))
    return r.Error(key, "must be a number of bytes from 1024 to 1073741824");
  config->max_message_bytes = static_cast<size_t>(v.GetUint64());
  return Status::Ok();
}

// Unset (nullopt) is a third value: chosen by the model (session_settings.cpp).
Status ReadParallelToolCalls(const KeyReader& r, const std::string& key, const rapidjson::Value& v,
                             Config* config) {
  bool parallel = false;
  Status s = r.Bool(v, key, &parallel);
  if (s.ok()) config->parallel_tool_calls = parallel;
  return s;
}

Status ReadTools(const KeyReader& r, const std::string&, const rapidjson::Value& v,
                 Config* config) {
  auto tools = ParseTools(v, [&r](const std::string& pointer) { return r.Where(pointer); });
  if (!tools.ok()) return tools.status();
  config->tools = std::move(*tools);
  return Status::Ok();
}

Status ReadMcpServers(const KeyReader& r, const std::string&, const rapidjson::Value& v,
                      Config* config) {
  config->hosted_mcp_servers.clear();
  auto servers = ParseMcpServers(
      v, [&r](const std::string& pointer) { return r.Where(pointer); },
      &config->hosted_mcp_servers);
  if (!servers.ok()) return servers.status();
  config->mcp_servers = std::move(*servers);
  return Status::Ok();
}

// What runs, where it connects, and what it writes: the first lines of --help.
std::vector<Option> RunOptions() {
  using Home = Text::Home;
  return {
      {"--text", nullptr, ModeFlag{Mode::kText},
       "Text only: each stdin line is a turn, answers go to stdout"},
      {"--ptt", nullptr, ModeFlag{Mode::kPtt}, "Push-to-talk: press a key to talk, again to send"},
      // The file names the mode in one key; the command line has a flag for each but the default,
      // and --mode, which can undo the file's.
      {"--mode", "mode",
       Words<Mode>(&Config::mode,
                   {{"voice", Mode::kVoice}, {"ptt", Mode::kPtt}, {"text", Mode::kText}}),
       "The mode, as --text and --ptt name it; voice undoes a config file's mode"},
      {"--turn-per-input", "turn_per_input", Switch{&Config::turn_per_input},
       "With --text: the whole of stdin is one turn, sent at its end"},
      {"--ptt-key", "ptt_key", Text{&Config::ptt_key},
       "The push-to-talk key: a character, space, tab, enter, f1..f12"},
      {"--url", "url", Text{&Config::url}, "WebSocket URL of the Realtime API"},
      {"--model", "model", Text{&Config::model},
       "Model (Azure: the deployment), added to the URL's query"},
      {"--api", "api",
       Words<Api>(&Config::api, {{"realtime", Api::kRealtime}, {"live", Api::kLive}}),
       "The API: realtime, or live (GPT-Live)", "live for a gpt-live model, else realtime"},
      {"--delegate-model", "delegate_model", Text{&Config::delegate_model},
       "GPT-Live with tools: the backend model the tools run through (Responses delegation)"},
      {"--dialect", "dialect",
       Words<Dialect>(&Config::dialect, {{"ga", Dialect::kGa}, {"beta", Dialect::kBeta}}),
       "Protocol dialect: ga or beta"},
      {"--azure", "azure", Switch{&Config::azure},
       "Azure OpenAI: send the key as api-key, from AZURE_OPENAI_API_KEY"},
      {"--ca-file", "ca_file", Text{&Config::ca_file, Home::kExpandInFile},
       "Also trust the CA certificates in this PEM file"},
      {"--instructions", "instructions", Text{&Config::instructions}, "System instructions"},
      {"--voice", "voice", Text{&Config::voice}, "Voice of the answers (e.g. marin, cedar)"},
      {"--config", nullptr, ConfigFile{}, "Config file", "~/.config/voxterm/config.json"},
      {"-v,--verbose", "verbose", Count{&Config::verbosity},
       "More diagnostics on stderr (-vv: debug)"},
      {"--log-events", "log_events", Text{&Config::log_events, Home::kExpandInFile},
       "Write every event, both ways, to this file as JSON lines"},
      {"--transcript", "transcript", Text{&Config::transcript, Home::kExpandInFile},
       "Write the conversation to this file as it happens, with times (Markdown if .md)"},
      {"--image", nullptr, TextList{&Config::images},
       "Send this image (PNG, JPEG, WebP, GIF; up to 10 MiB) with the first typed turn; "
       "repeatable"},
      {"--stats", nullptr, Text{&Config::stats_file, Home::kExpandInFile},
       "At exit, write the conversation's latencies to this file as JSON"},
  };
}

// The audio devices and files, echo control and turn detection.
std::vector<Option> AudioOptions() {
  using Home = Text::Home;
  return {
      {"--input-device", "input_device", Text{&Config::input_device},
       "Microphone: an index or part of a name (see: voxterm devices)"},
      {"--output-device", "output_device", Text{&Config::output_device},
       "Speaker: an index or part of a name"},
      {"--input-file", "input_file", Text{&Config::input_file, Home::kExpandInFile},
       "Use an audio file as the microphone, in real time"},
      {"--output-file", "output_file", Text{&Config::output_file, Home::kExpandInFile},
       "Write the assistant's audio to this WAV instead of the speaker"},
      {"--record", "record", Text{&Config::record, Home::kExpandInFile},
       "Record both sides of the conversation to this stereo WAV"},
      {"--speak", "speak", Switch{&Config::speak},
       "With --text: spoken answers too (speaker or --output-file)"},
      {"--echo", "echo",
       Words<EchoMode>(&Config::echo, {{"aec", EchoMode::kAec},
                                       {"aec-speex", EchoMode::kAecSpeex},
                                       {"gate", EchoMode::kGate},
                                       {"half-duplex", EchoMode::kHalfDuplex},
                                       {"off", EchoMode::kOff}}),
       "Keep the speaker out of the microphone: aec (cancel it, WebRTC), aec-speex (cancel it, "
       "speexdsp), gate, half-duplex or off",
       "aec; off with --headphones"},
      {"--headphones", "headphones", Switch{&Config::headphones},
       "The speaker cannot be heard by the microphone: no echo control"},
      {"--frame-ms", "frame_ms", Int{&Config::frame_ms, 10, 100},
       "Microphone audio per message, ms"},
      {"--prebuffer-ms", "prebuffer_ms", Int{&Config::prebuffer_ms, 0, 2000},
       "Audio buffered before an answer plays, ms"},
      {"--vad", "vad",
       Words<Vad>(&Config::vad,
                  {{"server", Vad::kServer}, {"semantic", Vad::kSemantic}, {"off", Vad::kOff}}),
       "Turn detection: server, semantic or off"},
      {"--vad-threshold", "vad_threshold", Number{&Config::vad_threshold, 0, 1},
       "server VAD threshold, 0 to 1"},
      {"--vad-silence-ms", "vad_silence_ms", Int{&Config::vad_silence_ms, 0, 10000},
       "Silence that ends a turn, ms"},
      {"--vad-prefix-ms", "vad_prefix_ms", Int{&Config::vad_prefix_ms, 0, 10000},
       "Audio kept before speech starts, ms"},
  };
}

// What `voxterm config` shows of the options with rules of their own.
std::string ShowTranscription(const Config& config) {
  switch (config.transcribe.kind) {
    case Transcription::Kind::kDefault: return "";
    case Transcription::Kind::kOff: return "off";
    case Transcription::Kind::kModel: return config.transcribe.model;
  }
  return "";
}
std::string ShowLanguage(const Config& config) { return config.transcribe_language; }
std::string ShowMaxOutputTokens(const Config& config) {
  if (config.max_output_tokens == 0) return "";
  return config.max_output_tokens == kMaxOutputTokensInf ? "inf"
                                                         : std::to_string(config.max_output_tokens);
}
std::string ShowMaxMessageBytes(const Config& config) {
  return std::to_string(config.max_message_bytes);
}
std::string ShowParallelToolCalls(const Config& config) {
  if (!config.parallel_tool_calls) return "";
  return *config.parallel_tool_calls ? "true" : "false";
}
std::string ShowMcpServers(const Config& config) {
  std::string names;
  for (const McpServerConfig& server : config.mcp_servers)
    names += (names.empty() ? "" : ", ") + server.name;
  // Names only: a hosted server's headers are secrets.
  for (const HostedMcpServer& server : config.hosted_mcp_servers)
    names += (names.empty() ? "" : ", ") + server.label + " (hosted)";
  return names;
}
std::string ShowTools(const Config& config) {
  std::string names;
  for (const ToolConfig& tool : config.tools) names += (names.empty() ? "" : ", ") + tool.name;
  return names;
}

// The model's settings in the session.
std::vector<Option> ModelOptions() {
  using Json = Word::Json;
  const std::string transcribe_default =
      std::string(kDefaultTranscribeModel) + "; beta: " + kBetaTranscribeModel;
  return {
      {"--transcribe", "transcribe",
       Custom{ReadTranscription, nullptr, nullptr, SetTranscription, ShowTranscription},
       "Transcription model for your words, or off", transcribe_default},
      {"--transcribe-language", "transcribe_language",
       Custom{ReadLanguage, CheckLanguage, "CODE", SetLanguage, ShowLanguage},
       "Language you speak, as a hint for the transcription (ISO-639-1: en, de, ...)"},
      {"--transcribe-prompt", "transcribe_prompt", Text{&Config::transcribe_prompt},
       "Words or style the transcription should expect"},
      {"--noise-reduction", "noise_reduction",
       Words<NoiseReduction>(&Config::noise_reduction,
                             {{"near_field", NoiseReduction::kNearField},
                              {"far_field", NoiseReduction::kFarField},
                              {"off", NoiseReduction::kOff}},
                             Json::kAnyValue),
       "Server-side noise reduction of your audio: near_field (headset), far_field (laptop, "
       "room) or off"},
      {"--speed", "speed", Number{&Config::speed, 0.25, 1.5},
       "Speed of spoken answers, 0.25 to 1.5 (GA only)", "1"},
      {"--vad-eagerness", "vad_eagerness",
       Words<VadEagerness>(&Config::vad_eagerness,
                           {{"low", VadEagerness::kLow},
                            {"medium", VadEagerness::kMedium},
                            {"high", VadEagerness::kHigh},
                            {"auto", VadEagerness::kAuto}},
                           Json::kAnyValue),
       "With --vad semantic: how soon a turn ends: low, medium, high or auto"},
      {"--idle-timeout-ms", "idle_timeout_ms", Int{&Config::idle_timeout_ms, 5000, 30000},
       "With --vad server: the model speaks up after this much silence, 5000 to 30000 (GA only)"},
      {"--max-output-tokens", "max_output_tokens",
       Custom{ReadMaxOutputTokens, CheckMaxOutputTokens, "N|inf", SetMaxOutputTokens,
              ShowMaxOutputTokens},
       "Longest answer, in tokens: 1 to 4096, or inf", "inf"},
      {"--reasoning-effort", "reasoning_effort",
       Words<ReasoningEffort>(&Config::reasoning_effort,
                              {{"minimal", ReasoningEffort::kMinimal},
                               {"low", ReasoningEffort::kLow},
                               {"medium", ReasoningEffort::kMedium},
                               {"high", ReasoningEffort::kHigh},
                               {"xhigh", ReasoningEffort::kXhigh}},
                              Json::kAnyValue),
       "How hard a reasoning model thinks: minimal, low, medium, high or xhigh (GA only)"},
  };
}

// How long voxterm waits, and how it carries on after a connection or a session ends.
std::vector<Option> LinkOptions() {
  return {
      {"--answer-timeout-ms", "answer_timeout_ms", Int{&Config::answer_timeout_ms, 0, 3600000},
       "Tell (in --text: fail) when the server sends nothing this long while an answer is due; "
       "0: never"},
      {"--reconnect-tries", "reconnect_tries", Int{&Config::reconnect_tries, 0, 100},
       "Tries to reconnect after the connection drops; 0: never"},
      {"--renew-session-s", "renew_session_s", Int{&Config::renew_session_s, 0, 86400},
       "Renew the session at a quiet moment after this long (the server ends it at 60 min); 0: "
       "only when it ends"},
  };
}

// The config file only: what runs commands, and tuning not worth a flag.
std::vector<Option> FileOnlyOptions() {
  return {
      {nullptr, "api_key_command", Text{&Config::api_key_command}, nullptr},
      {nullptr, "api_key_command_timeout_s", Int{&Config::api_key_command_timeout_s, 1, 600},
       nullptr},
      {nullptr, "keepalive_s", Int{&Config::keepalive_s, 1, 3600}, nullptr},
      {nullptr, "max_message_bytes",
       Custom{ReadMaxMessageBytes, nullptr, nullptr, nullptr, ShowMaxMessageBytes}, nullptr},
      {nullptr, "parallel_tool_calls",
       Custom{ReadParallelToolCalls, nullptr, nullptr, nullptr, ShowParallelToolCalls}, nullptr},
      {nullptr, "tools", Custom{ReadTools, nullptr, nullptr, nullptr, ShowTools}, nullptr},
      {nullptr, "mcp_servers", Custom{ReadMcpServers, nullptr, nullptr, nullptr, ShowMcpServers},
       nullptr},
  };
}

// In --help's order.
std::vector<Option> MakeOptions() {
  std::vector<Option> options;
  for (auto part : {RunOptions, AudioOptions, ModelOptions, LinkOptions, FileOnlyOptions}) {
    std::vector<Option> more = part();
    options.insert(options.end(), more.begin(), more.end());
  }
  return options;
}

// One overload per kind: the file's value into *config, or an error naming the key.
struct KeyVisitor {
  const KeyReader& r;
  const std::string& key;
  const rapidjson::Value& v;
  Config* config;

  Status operator()(const Text& text) const {
    std::string value;
    Status s = r.String(v, key, &value);
    if (s.ok())
      config->*text.member = text.home == Text::Home::kExpandInFile ? ExpandHome(value) : value;
    return s;
  }
  Status operator()(const Int& range) const {
    return r.Int(v, key, range.low, range.high, &(config->*range.member));
  }
  // A finite number from low to high (JSON has no NaN nor infinity, but the check does not rely
  // on the parser's flags).
  Status operator()(const Number& range) const {
    if (!v.IsNumber() || !std::isfinite(v.GetDouble()) || v.GetDouble() < range.low ||
        v.GetDouble() > range.high) {
      return r.Error(key, "must be a number from " + FormatNumber(range.low) + " to " +
                              FormatNumber(range.high));
    }
    config->*range.member = v.GetDouble();
    return Status::Ok();
  }
  Status operator()(const Switch& flag) const { return r.Bool(v, key, &(config->*flag.member)); }
  Status operator()(const Count& count) const {
    bool on = false;
    Status s = r.Bool(v, key, &on);
    if (s.ok()) config->*count.member = on ? 1 : 0;
    return s;
  }
  Status operator()(const Word& word) const {
    std::string value;
    if (word.json == Word::Json::kStringFirst) {
      Status s = r.String(v, key, &value);
      if (!s.ok()) return s;
    } else if (v.IsString()) {
      value.assign(v.GetString(), v.GetStringLength());
    }
    size_t i = 0;
    while (i < word.names.size() && !(v.IsString() && word.names[i] == value)) ++i;
    if (i == word.names.size()) return r.Error(key, "must be " + QuotedChoices(word.names));
    word.set(config, i);
    return Status::Ok();
  }
  Status operator()(const Custom& custom) const { return custom.read_key(r, key, v, config); }
  Status operator()(const TextList&) const { return Status::Ok(); }
  // Flags only: FindKey never returns these.
  Status operator()(const ModeFlag&) const { return Status::Ok(); }
  Status operator()(const ConfigFile&) const { return Status::Ok(); }
};

// An option's value as `voxterm config` shows it: as its flag would write it.
struct SettingVisitor {
  const Config& config;

  std::string operator()(const Text& text) const { return config.*text.member; }
  std::string operator()(const Int& range) const {
    const int value = config.*range.member;
    return value >= range.low && value <= range.high ? std::to_string(value) : "";
  }
  std::string operator()(const Number& range) const {
    const double value = config.*range.member;
    return value >= range.low && value <= range.high ? FormatNumber(value) : "";
  }
  std::string operator()(const Switch& flag) const {
    return config.*flag.member ? "true" : "false";
  }
  std::string operator()(const Count& count) const { return std::to_string(config.*count.member); }
  std::string operator()(const Word& word) const {
    const size_t i = word.find(config);
    return i < word.names.size() ? word.names[i] : "";
  }
  std::string operator()(const Custom& custom) const {
    return custom.show ? custom.show(config) : "";
  }
  std::string operator()(const TextList& list) const {
    std::string text;
    for (const std::string& item : config.*list.member) text += (text.empty() ? "" : ", ") + item;
    return text;
  }
  std::string operator()(const ModeFlag&) const { return ""; }
  std::string operator()(const ConfigFile&) const { return ""; }
};

}  // namespace

const std::vector<Option>& Options() {
  static const std::vector<Option> options = MakeOptions();
  return options;
}

const Option* FindKey(const std::string& key) {
  for (const Option& option : Options()) {
    if (option.key && key == option.key) return &option;
  }
  return nullptr;
}

std::string SettingText(const Option& option, const Config& config) {
  return std::visit(SettingVisitor{config}, option.kind);
}

std::string DefaultText(const Option& option) {
  if (!option.unset_default.empty()) return option.unset_default;
  // --help shows no default for a switch, a count or a value with rules of its own.
  const OptionKind& kind = option.kind;
  if (std::holds_alternative<Switch>(kind) || std::holds_alternative<Count>(kind) ||
      std::holds_alternative<Custom>(kind) || std::holds_alternative<TextList>(kind))
    return "";
  return SettingText(option, Config());
}

Status ReadKey(const Option& option, const KeyReader& reader, const std::string& key,
               const rapidjson::Value& value, Config* config) {
  return std::visit(KeyVisitor{reader, key, value, config}, option.kind);
}

}  // namespace voxterm
