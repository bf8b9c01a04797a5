#include "app/cli.h"

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdlib>

#include "app/session_settings.h"
#include "util/exit_code.h"
#include "util/log.h"
#include "util/utf8.h"

namespace voxterm {
namespace {

// Azure's two realtime URLs each go with one dialect (docs/config.md#azure-openai); the wrong
// mix fails only once connected, with a message that does not say why. voxterm still tries:
// a server that is not Azure may use the same paths.
void WarnAboutAzureUrl(const Config& config) {
  if (!config.azure) return;
  const std::string& url = config.url;
  if (url.find("/openai/v1/realtime") != std::string::npos &&
      url.find("api-version=") != std::string::npos) {
    LOG_WARN(
        "--url: Azure's GA endpoint (/openai/v1/realtime) takes no api-version (Azure answers "
        "401)");
  } else if (url.find("/openai/realtime") != std::string::npos && config.dialect == Dialect::kGa) {
    LOG_WARN(
        "--url: Azure's preview URL (/openai/realtime) speaks the beta dialect: use "
        "/openai/v1/realtime, or "
        "--dialect beta");
  }
}

// Values of flags, and keys of the config file, reach error messages (CLI11 quotes the value it
// refuses): a value such as $'\e]0;x\a' must be seen, not acted on by the terminal.
void PrintError(const std::string& message, const char* suffix = "") {
  std::string shown;
  AppendForDisplay(message, LineBreaks::kEscape, &shown);
  fprintf(stderr, "voxterm: error: %s%s\n", shown.c_str(), suffix);
}

// Checked before CLI11 converts: "6e3" is not an integer, and saying "not in range" of it would
// mislead. An optional minus sign, then digits.
const CLI::Validator kWholeNumber(
    [](std::string& v) {
      const size_t digits = v.size() - (!v.empty() && v[0] == '-');
      bool ok = digits > 0;
      for (size_t i = v.size() - digits; ok && i < v.size(); ++i) ok = v[i] >= '0' && v[i] <= '9';
      return ok ? std::string() : std::string("must be a whole number");
    },
    "INT");

const CLI::Validator kNotEmpty(
    [](std::string& v) { return v.empty() ? std::string("must not be empty") : std::string(); },
    "TEXT");

// strtod (which CLI11 uses) takes "nan" and "inf"; a range check cannot refuse NaN (every
// comparison with it is false), and the JSON of a session cannot hold either.
const CLI::Validator kFiniteNumber(
    [](std::string& v) {
      char* end = nullptr;
      const double d = strtod(v.c_str(), &end);
      const bool ok = !v.empty() && end == v.c_str() + v.size() && std::isfinite(d);
      return ok ? std::string() : std::string("must be a number");
    },
    "NUMBER");

// reasoning.effort is in every GA session's schema, so it is sent as asked; but a model known
// not to reason has no use for it, and the user should hear so. An Azure model is a deployment's
// name, which says nothing of the model behind it.
void WarnAboutReasoningEffort(const Config& config) {
  if (config.azure || config.reasoning_effort == ReasoningEffort::kLeaveDefault) return;
  if (!IsKnownNotReasoningModel(config.model)) return;
  LOG_WARN(
      "--reasoning-effort (\"reasoning_effort\"): %s is not a reasoning model; reasoning.effort is "
      "sent all the same, and the server may ignore it or refuse the session",
      Printable(config.model).c_str());
}

}  // namespace

CommandLine ParseCommandLine(int argc, char** argv) {
  CommandLine result;
  CLI::App app(
      "voxterm: talk with an OpenAI Realtime model from a terminal.\n"
      "The API key comes from OPENAI_API_KEY (AZURE_OPENAI_API_KEY with --azure) or from\n"
      "api_key_command in the config file; never from a flag.",
      "voxterm");
  app.set_version_flag("--version", std::string("voxterm ") + VOXTERM_VERSION);
  app.get_formatter()->column_width(30);

  bool text = false, azure = false, ptt = false;
  std::string ptt_key;
  std::string url, model, dialect, ca_file, instructions, voice, config_path, log_events,
      stats_file;
  int verbosity = 0;
  auto* text_opt =
      app.add_flag("--text", text, "Text only: each stdin line is a turn, answers go to stdout");
  app.add_flag("--ptt", ptt, "Push-to-talk: press a key to talk, again to send")
      ->excludes(text_opt);
  auto* ptt_key_opt =
      app.add_option("--ptt-key", ptt_key,
                     "The push-to-talk key: a character, space, tab, enter, f1..f12")
          ->default_str("space");
  auto* url_opt = app.add_option("--url", url, "WebSocket URL of the Realtime API")
                      ->default_str("wss://api.openai.com/v1/realtime");
  auto* model_opt =
      app.add_option("--model", model, "Model (Azure: the deployment), added to the URL's query")
          ->default_str(kDefaultModel);
  auto* dialect_opt = app.add_option("--dialect", dialect, "Protocol dialect: ga or beta")
                          ->check(CLI::IsMember({"ga", "beta"}))
                          ->default_str("ga");
  auto* azure_opt = app.add_flag(
      "--azure", azure, "Azure OpenAI: send the key as api-key, from AZURE_OPENAI_API_KEY");
  auto* ca_opt =
      app.add_option("--ca-file", ca_file, "Also trust the CA certificates in this PEM file");
  auto* instructions_opt = app.add_option("--instructions", instructions, "System instructions");
  auto* voice_opt = app.add_option("--voice", voice, "Voice of the answers (e.g. marin, cedar)");
  auto* config_opt = app.add_option("--config", config_path, "Config file")
                         ->default_str("~/.config/voxterm/config.json");
  auto* verbose_opt =
      app.add_flag("-v,--verbose", verbosity, "More diagnostics on stderr (-vv: debug)");
  auto* log_opt = app.add_option("--log-events", log_events,
                                 "Write every event, both ways, to this file as JSON lines");
  auto* stats_opt = app.add_option(
      "--stats", stats_file, "At exit, write the conversation's latencies to this file as JSON");

  // CLI11 reports errors by exception; they end here, as one line and exit code 2.
  std::string input_device, output_device, input_file, output_file, record, vad, transcribe, echo;
  int frame_ms = 0, prebuffer_ms = 0, vad_silence_ms = 0, vad_prefix_ms = 0;
  double vad_threshold = 0;
  bool speak = false, headphones = false;
  auto* input_device_opt =
      app.add_option("--input-device", input_device,
                     "Microphone: an index or part of a name (see: voxterm devices)");
  auto* output_device_opt =
      app.add_option("--output-device", output_device, "Speaker: an index or part of a name");
  auto* input_file_opt = app.add_option("--input-file", input_file,
                                        "Use an audio file as the microphone, in real time");
  auto* output_file_opt =
      app.add_option("--output-file", output_file,
                     "Write the assistant's audio to this WAV instead of the speaker");
  auto* record_opt = app.add_option("--record", record,
                                    "Record both sides of the conversation to this stereo WAV");
  auto* speak_opt =
      app.add_flag("--speak", speak, "With --text: spoken answers too (speaker or --output-file)");
  auto* echo_opt =
      app.add_option("--echo", echo,
                     "Keep the speaker out of the microphone: aec (cancel it, WebRTC), aec-speex "
                     "(cancel it, speexdsp), gate, half-duplex or off")
          ->check(CLI::IsMember({"aec", "aec-speex", "gate", "half-duplex", "off"}))
          ->default_str("aec; off with --headphones");
  auto* headphones_opt = app.add_flag(
      "--headphones", headphones, "The speaker cannot be heard by the microphone: no echo control");
  auto* frame_opt = app.add_option("--frame-ms", frame_ms, "Microphone audio per message, ms")
                        ->check(kWholeNumber)
                        ->check(CLI::Range(10, 100))
                        ->default_str("20");
  auto* prebuffer_opt =
      app.add_option("--prebuffer-ms", prebuffer_ms, "Audio buffered before an answer plays, ms")
          ->check(kWholeNumber)
          ->check(CLI::Range(0, 2000))
          ->default_str("100");
  auto* vad_opt = app.add_option("--vad", vad, "Turn detection: server, semantic or off")
                      ->check(CLI::IsMember({"server", "semantic", "off"}))
                      ->default_str("server");
  auto* threshold_opt =
      app.add_option("--vad-threshold", vad_threshold, "server VAD threshold, 0 to 1")
          ->check(kFiniteNumber)
          ->check(CLI::Range(0.0, 1.0))
          ->default_str("0.5");
  auto* silence_opt =
      app.add_option("--vad-silence-ms", vad_silence_ms, "Silence that ends a turn, ms")
          ->check(kWholeNumber)
          ->check(CLI::Range(0, 10000))
          ->default_str("500");
  auto* prefix_opt =
      app.add_option("--vad-prefix-ms", vad_prefix_ms, "Audio kept before speech starts, ms")
          ->check(kWholeNumber)
          ->check(CLI::Range(0, 10000))
          ->default_str("300");
  auto* transcribe_opt =
      app.add_option("--transcribe", transcribe, "Transcription model for your words, or off")
          ->default_str(std::string(kDefaultTranscribeModel) + "; beta: " + kBetaTranscribeModel);
  std::string transcribe_language, transcribe_prompt, noise_reduction, vad_eagerness,
      max_output_tokens, reasoning_effort;
  int idle_timeout_ms = 0;
  double speed = 0;
  auto* language_opt =
      app.add_option("--transcribe-language", transcribe_language,
                     "Language you speak, as a hint for the transcription (ISO-639-1: en, de, ...)")
          ->check(CLI::Validator(
              [](std::string& v) {
                return ParseLanguageCode(v) ? "" : "must be 2 or 3 letters (e.g. en)";
              },
              "CODE"));
  auto* prompt_opt = app.add_option("--transcribe-prompt", transcribe_prompt,
                                    "Words or style the transcription should expect");
  auto* noise_opt =
      app.add_option("--noise-reduction", noise_reduction,
                     "Server-side noise reduction of your audio: near_field (headset), far_field "
                     "(laptop, room) or off")
          ->check(CLI::IsMember({"near_field", "far_field", "off"}));
  auto* speed_opt =
      app.add_option("--speed", speed, "Speed of spoken answers, 0.25 to 1.5 (GA only)")
          ->check(kFiniteNumber)
          ->check(CLI::Range(0.25, 1.5))
          ->default_str("1");
  auto* eagerness_opt =
      app.add_option("--vad-eagerness", vad_eagerness,
                     "With --vad semantic: how soon a turn ends: low, medium, high or auto")
          ->check(CLI::IsMember({"low", "medium", "high", "auto"}));
  auto* idle_opt =
      app.add_option(
             "--idle-timeout-ms", idle_timeout_ms,
             "With --vad server: the model speaks up after this much silence, 5000 to 30000 "
             "(GA only)")
          ->check(kWholeNumber)
          ->check(CLI::Range(5000, 30000));
  auto* tokens_opt = app.add_option("--max-output-tokens", max_output_tokens,
                                    "Longest answer, in tokens: 1 to 4096, or inf")
                         ->check(CLI::Validator(
                             [](std::string& v) {
                               return ParseMaxOutputTokens(v) ? "" : "must be 1 to 4096, or inf";
                             },
                             "N|inf"))
                         ->default_str("inf");
  auto* effort_opt =
      app.add_option(
             "--reasoning-effort", reasoning_effort,
             "How hard a reasoning model thinks: minimal, low, medium, high or xhigh (GA only)")
          ->check(CLI::IsMember({"minimal", "low", "medium", "high", "xhigh"}));
  int answer_timeout_ms = 0;
  auto* answer_timeout_opt = app.add_option("--answer-timeout-ms", answer_timeout_ms,
                                            "Tell (in --text: fail) when the server sends nothing "
                                            "this long while an answer is due; 0: never")
                                 ->check(kWholeNumber)
                                 ->check(CLI::Range(0, 3600000))
                                 ->default_str("30000");
  int reconnect_tries = 0;
  auto* reconnect_opt = app.add_option("--reconnect-tries", reconnect_tries,
                                       "Tries to reconnect after the connection drops; 0: never")
                            ->check(kWholeNumber)
                            ->check(CLI::Range(0, 100))
                            ->default_str("5");
  int renew_session_s = 0;
  auto* renew_opt =
      app.add_option("--renew-session-s", renew_session_s,
                     "Renew the session at a quiet moment after this long (the server ends it "
                     "at 60 min); 0: only when it ends")
          ->check(kWholeNumber)
          ->check(CLI::Range(0, 86400))
          ->default_str("3300");
  // A string flag given "" would otherwise mean "not set" without a word (the config keys refuse
  // "" likewise); the flags with a fixed set of words refuse it as not one of them.
  for (CLI::Option* option :
       {ptt_key_opt, url_opt, model_opt, ca_opt, instructions_opt, voice_opt, config_opt, log_opt,
        stats_opt, input_device_opt, output_device_opt, input_file_opt, output_file_opt, record_opt,
        transcribe_opt, prompt_opt}) {
    option->check(kNotEmpty);
  }
  auto* devices = app.add_subcommand("devices", "List the audio inputs and outputs, then exit");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {  // --help, --version
      app.exit(e);
      result.exit_code = ToInt(ExitCode::kSuccess);
    } else {
      PrintError(e.what(), " (see voxterm --help)");
      result.exit_code = ToInt(ExitCode::kUsage);
    }
    return result;
  }

  // The config file first, then the flags that were given: a flag always wins over the file.
  Config& config = result.config;
  const bool explicit_config = !config_path.empty();
  Status loaded = explicit_config
                      ? LoadConfigFile(ExpandHome(config_path), IfMissing::kError, &config)
                      : LoadConfigFile(DefaultConfigPath(), IfMissing::kUseDefaults, &config);
  if (!loaded.ok()) {
    PrintError(loaded.message());
    result.exit_code = ToInt(ExitCode::kUsage);
    return result;
  }

  if (text) config.mode = Mode::kText;
  if (ptt) config.mode = Mode::kPtt;
  if (ptt_key_opt->count()) config.ptt_key = ptt_key;
  if (url_opt->count()) config.url = url;
  if (model_opt->count()) config.model = model;
  if (dialect_opt->count()) config.dialect = *ParseDialect(dialect);
  if (azure_opt->count()) config.azure = true;
  if (ca_opt->count()) config.ca_file = ca_file;
  if (instructions_opt->count()) config.instructions = instructions;
  if (voice_opt->count()) config.voice = voice;
  if (verbose_opt->count()) config.verbosity = verbosity;
  if (log_opt->count()) config.log_events = log_events;
  if (stats_opt->count()) config.stats_file = stats_file;
  if (input_device_opt->count()) config.input_device = input_device;
  if (output_device_opt->count()) config.output_device = output_device;
  if (input_file_opt->count()) config.input_file = input_file;
  if (output_file_opt->count()) config.output_file = output_file;
  if (record_opt->count()) config.record = record;
  if (speak_opt->count()) config.speak = true;
  if (echo_opt->count()) config.echo = echo;
  if (headphones_opt->count()) config.headphones = true;
  if (frame_opt->count()) config.frame_ms = frame_ms;
  if (prebuffer_opt->count()) config.prebuffer_ms = prebuffer_ms;
  if (vad_opt->count()) config.vad = vad;
  if (threshold_opt->count()) config.vad_threshold = vad_threshold;
  if (silence_opt->count()) config.vad_silence_ms = vad_silence_ms;
  if (prefix_opt->count()) config.vad_prefix_ms = vad_prefix_ms;
  if (transcribe_opt->count()) config.transcribe = transcribe;
  if (language_opt->count()) config.transcribe_language = *ParseLanguageCode(transcribe_language);
  if (prompt_opt->count()) config.transcribe_prompt = transcribe_prompt;
  // The values were checked by CLI11 above: each parses.
  if (noise_opt->count()) config.noise_reduction = *ParseNoiseReduction(noise_reduction);
  if (speed_opt->count()) config.speed = speed;
  if (eagerness_opt->count()) config.vad_eagerness = *ParseVadEagerness(vad_eagerness);
  if (idle_opt->count()) config.idle_timeout_ms = idle_timeout_ms;
  if (tokens_opt->count()) config.max_output_tokens = *ParseMaxOutputTokens(max_output_tokens);
  if (effort_opt->count()) config.reasoning_effort = *ParseReasoningEffort(reasoning_effort);
  if (answer_timeout_opt->count()) config.answer_timeout_ms = answer_timeout_ms;
  if (reconnect_opt->count()) config.reconnect_tries = reconnect_tries;
  if (renew_opt->count()) config.renew_session_s = renew_session_s;
  result.list_devices = devices->parsed();
  if (config.mode == Mode::kText && (!config.input_file.empty() || !config.record.empty())) {
    fprintf(stderr, "voxterm: error: --%s needs a spoken conversation (not --text)\n",
            config.input_file.empty() ? "record" : "input-file");
    result.exit_code = ToInt(ExitCode::kUsage);
  }
  if (Status session = CheckSessionOptions(config); !session.ok() && !result.exit_code) {
    PrintError(session.message());
    result.exit_code = ToInt(ExitCode::kUsage);
  }
  if (!result.exit_code && !result.list_devices) {
    WarnAboutAzureUrl(config);
    WarnAboutReasoningEffort(config);
  }
  return result;
}

}  // namespace voxterm
