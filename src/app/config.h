// Config: everything a run needs, from defaults, then the config file, then the flags.
// The file is JSON with comments and trailing commas allowed (docs/config.md). An unknown key
// or a wrong type is an error that names the file, the line and the key. Which keys there are,
// and what each accepts, is the option table's (app/options.h); a member's initialiser here is
// its default, for the file, the flags and --help alike.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audio/audio_config.h"
#include "protocol/dialect.h"
#include "protocol/session_options.h"
#include "tools/mcp_config.h"
#include "tools/tool_config.h"
#include "util/paths.h"
#include "util/status.h"

namespace voxterm {

enum class Mode { kVoice, kText, kPtt };

// Which API (--api): Realtime, or GPT-Live (../shared/protocol/LIVE.md); kAuto: GPT-Live for a
// model whose name starts with gpt-live, else Realtime (app/api_select.h).
enum class Api { kAuto, kRealtime, kLive };

// Turn detection (--vad): server_vad, semantic_vad, or none (typed turns only).
enum class Vad { kServer, kSemantic, kOff };
const char* VadName(Vad vad);  // as --vad spells it: "server", "semantic", "off"

// Input transcription (--transcribe): the dialect's default model (kDefaultTranscribeModel, or
// kBetaTranscribeModel in the beta dialect), none ("off"), or the model named.
struct Transcription {
  enum class Kind { kDefault, kOff, kModel };
  Kind kind = Kind::kDefault;
  std::string model;  // kModel only
};

// The defaults, chosen to outlive OpenAI's retirements of 2027-01-20 (gpt-realtime) and
// 2027-02-26 (whisper-1, gpt-4o-transcribe, gpt-4o-mini-transcribe).
constexpr const char* kDefaultModel = "gpt-realtime-2.1";
// GPT-Live with tools: the Responses model its delegation backend runs (the model of MS-DEL's
// example, ../shared/protocol/LIVE.md section 2).
constexpr const char* kDefaultDelegateModel = "gpt-5.5";
constexpr const char* kDefaultTranscribeModel = "gpt-live-transcribe";
// The beta dialect is served only by older, compatible servers (an Azure preview deployment),
// which know the transcription models of the beta schema, not gpt-live-transcribe.
constexpr const char* kBetaTranscribeModel = "gpt-4o-mini-transcribe";

struct Config {
  Mode mode = Mode::kVoice;
  std::string url = "wss://api.openai.com/v1/realtime";
  std::string model = kDefaultModel;
  Api api = Api::kAuto;
  std::string delegate_model = kDefaultDelegateModel;  // GPT-Live's tools run on this backend
  Dialect dialect = Dialect::kGa;
  bool azure = false;                  // "api-key" header and AZURE_OPENAI_API_KEY
  std::string ca_file;                 // an extra CA (PEM) besides the system store
  std::string instructions;            // empty: the server's default
  std::string voice;                   // empty: the server's default
  std::string api_key_command;         // run by /bin/sh when the key is not in the environment
  int api_key_command_timeout_s = 30;  // api_key_command fails when it takes longer
  std::string log_events;              // JSON-lines log of every event, empty: none
  std::string transcript;              // --transcript: the conversation, both sides, with times
  std::vector<std::string> images;  // --image: files sent with the first typed turn (a flag only)
  std::string stats_file;  // --stats: latencies as JSON at exit (scripts/bench), empty: none
  int verbosity = 0;       // 0 warnings, 1 info (-v), 2 debug (-vv)
  size_t max_message_bytes = 16u << 20;
  // While an answer is due, this long without a server event means the server went silent;
  // 0: never.
  int answer_timeout_ms = 30000;
  // A dropped connection is tried again this many times (0: never), with backoff.
  int reconnect_tries = 5;
  // A ping after this long without traffic; the connection counts as lost (and is tried again)
  // when nothing at all has come for twice as long plus 5 s.
  int keepalive_s = 20;
  // Sessions end after 60 minutes: voxterm renews them at a quiet moment after this long;
  // 0: only when the server ends them.
  int renew_session_s = 55 * 60;

  // Audio (voice mode, and --speak in text mode).
  std::string input_device;  // index or part of a name; empty: the default
  std::string output_device;
  std::string input_file;          // the microphone from a file instead
  std::string output_file;         // the assistant's audio into a WAV instead of the speaker
  std::string record;              // both sides of the conversation into a stereo WAV
  int frame_ms = kDefaultFrameMs;  // input_audio_buffer.append every frame_ms (10 to 100)
  int prebuffer_ms = kDefaultPrebufferMs;  // jitter buffer before an answer starts playing
  bool speak = false;                      // --text: spoken answers as well
  bool turn_per_input = false;             // --text: the whole of stdin is one turn
  // Echo control; nullopt: aec, or off with headphones.
  std::optional<EchoMode> echo;
  bool headphones = false;  // the speaker cannot reach the microphone
  Vad vad = Vad::kServer;
  double vad_threshold = 0.5;
  int vad_silence_ms = 500;
  int vad_prefix_ms = 300;
  Transcription transcribe;
  std::string transcribe_language;  // a hint: ISO-639-1 code; empty: not sent
  std::string transcribe_prompt;    // a hint: words or style to expect; empty: not sent
  VadEagerness vad_eagerness = VadEagerness::kLeaveDefault;  // semantic VAD only
  int idle_timeout_ms = 0;  // server VAD answers after this long of silence (5000 to 30000); 0: off

  // The session (audio.input / audio.output and the model's settings); unset: the server's.
  NoiseReduction noise_reduction = NoiseReduction::kLeaveDefault;
  double speed = 0;           // 0.25 to 1.5 (GA only); 0: not sent
  int max_output_tokens = 0;  // 1 to 4096 or kMaxOutputTokensInf; 0: not sent
  ReasoningEffort reasoning_effort = ReasoningEffort::kLeaveDefault;  // GA only
  // GA only, with tools. nullopt: true for a reasoning model (gpt-realtime-2*), else not sent.
  std::optional<bool> parallel_tool_calls;
  std::string ptt_key = "space";  // push-to-talk: a character, or space/tab/enter/f1..f12

  std::vector<ToolConfig> tools;             // commands the model may call (config file only)
  std::vector<McpServerConfig> mcp_servers;  // local MCP servers (config file only)
  // Hosted MCP servers, declared to the session as "mcp" tools (config file only; GA only).
  std::vector<HostedMcpServer> hosted_mcp_servers;
};

// $XDG_CONFIG_HOME/voxterm/config.json, else ~/.config/voxterm/config.json.
std::string DefaultConfigPath();

// What a missing config file means: fine for the default path, an error for --config PATH.
enum class IfMissing { kUseDefaults, kError };

// What the audio engine takes of config.
AudioConfig AudioConfigOf(const Config& config);

// The line of each key a config file named, by key (`voxterm config` says where a setting came
// from).
using KeyLines = std::map<std::string, int>;

// Reads the file at path into *config, overriding what it names; lines, if given, gets the line
// of each key.
Status LoadConfigFile(const std::string& path, IfMissing if_missing, Config* config,
                      KeyLines* lines = nullptr);

// Does text hold what looks like an OpenAI API key? A config file that does and that others can
// read draws a warning from LoadConfigFile.
bool HoldsApiKey(const std::string& text);

// A transcription language hint as the schema asks for it: ISO-639-1, 2 or 3 letters, in
// lowercase as the codes are written ("EN" gives "en"); nullopt for anything else.
std::optional<std::string> ParseLanguageCode(std::string_view code);

// Parses config text; path is only used in messages. Exposed for tests and fuzzing.
Status ParseConfig(const std::string& text, const std::string& path, Config* config,
                   KeyLines* lines = nullptr);

}  // namespace voxterm
