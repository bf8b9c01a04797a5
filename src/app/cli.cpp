#include "app/cli.h"

#include <CLI/CLI.hpp>

#include "util/exit_code.h"
#include "util/log.h"

namespace voxterm {

CommandLine ParseCommandLine(int argc, char** argv) {
  CommandLine result;
  CLI::App app("voxterm: talk with an OpenAI Realtime model from a terminal.\n"
               "The API key comes from OPENAI_API_KEY (AZURE_OPENAI_API_KEY with --azure) or from\n"
               "api_key_command in the config file; never from a flag.",
               "voxterm");
  app.set_version_flag("--version", std::string("voxterm ") + VOXTERM_VERSION);
  app.get_formatter()->column_width(30);

  bool text = false, azure = false, ptt = false;
  std::string ptt_key;
  std::string url, model, dialect, ca_file, instructions, voice, config_path, log_events, stats_file;
  int verbosity = 0;
  auto* text_opt = app.add_flag("--text", text, "Text only: each stdin line is a turn, answers go to stdout");
  app.add_flag("--ptt", ptt, "Push-to-talk: press a key to talk, again to send")->excludes(text_opt);
  auto* ptt_key_opt = app.add_option("--ptt-key", ptt_key, "The push-to-talk key: a character, space, tab, enter, f1..f12")
                          ->default_str("space");
  auto* url_opt = app.add_option("--url", url, "WebSocket URL of the Realtime API")
                      ->default_str("wss://api.openai.com/v1/realtime");
  auto* model_opt = app.add_option("--model", model, "Model, added to the URL's query")
                        ->default_str("gpt-realtime");
  auto* dialect_opt = app.add_option("--dialect", dialect, "Protocol dialect: ga or beta")
                          ->check(CLI::IsMember({"ga", "beta"}))
                          ->default_str("ga");
  auto* azure_opt =
      app.add_flag("--azure", azure, "Azure OpenAI: send the key as api-key, from AZURE_OPENAI_API_KEY");
  auto* ca_opt = app.add_option("--ca-file", ca_file, "Also trust the CA certificates in this PEM file");
  auto* instructions_opt = app.add_option("--instructions", instructions, "System instructions");
  auto* voice_opt = app.add_option("--voice", voice, "Voice of the answers (e.g. marin, cedar)");
  app.add_option("--config", config_path, "Config file")->default_str("~/.config/voxterm/config.json");
  auto* verbose_opt = app.add_flag("-v,--verbose", verbosity, "More diagnostics on stderr (-vv: debug)");
  auto* log_opt = app.add_option("--log-events", log_events,
                                 "Write every event, both ways, to this file as JSON lines");
  auto* stats_opt = app.add_option("--stats", stats_file,
                                   "At exit, write the conversation's latencies to this file as JSON");

// CLI11 reports errors by exception; they end here, as one line and exit code 2.
  std::string input_device, output_device, input_file, output_file, record, vad, transcribe, echo;
  int frame_ms = 0, prebuffer_ms = 0, vad_silence_ms = 0, vad_prefix_ms = 0;
  double vad_threshold = 0;
  bool speak = false, headphones = false;
  auto* input_device_opt = app.add_option("--input-device", input_device,
                                          "Microphone: an index or part of a name (see: voxterm devices)");
  auto* output_device_opt = app.add_option("--output-device", output_device, "Speaker: an index or part of a name");
  auto* input_file_opt = app.add_option("--input-file", input_file,
                                        "Use an audio file as the microphone, in real time");
  auto* output_file_opt = app.add_option("--output-file", output_file,
                                         "Write the assistant's audio to this WAV instead of the speaker");
  auto* record_opt = app.add_option("--record", record,
                                    "Record both sides of the conversation to this stereo WAV");
  auto* speak_opt = app.add_flag("--speak", speak, "With --text: spoken answers too (speaker or --output-file)");
  auto* echo_opt =
      app.add_option("--echo", echo,
                     "Keep the speaker out of the microphone: aec (cancel it, WebRTC), aec-speex "
                     "(cancel it, speexdsp), gate, half-duplex or off")
          ->check(CLI::IsMember({"aec", "aec-speex", "gate", "half-duplex", "off"}))
          ->default_str("aec; off with --headphones");
  auto* headphones_opt = app.add_flag("--headphones", headphones, "The speaker cannot be heard by the microphone: no echo control");
  auto* frame_opt = app.add_option("--frame-ms", frame_ms, "Microphone audio per message, ms")
                        ->check(CLI::Range(10, 100))
                        ->default_str("20");
  auto* prebuffer_opt = app.add_option("--prebuffer-ms", prebuffer_ms, "Audio buffered before an answer plays, ms")
                            ->check(CLI::Range(0, 2000))
                            ->default_str("100");
  auto* vad_opt = app.add_option("--vad", vad, "Turn detection: server, semantic or off")
                      ->check(CLI::IsMember({"server", "semantic", "off"}))
                      ->default_str("server");
  auto* threshold_opt = app.add_option("--vad-threshold", vad_threshold, "server VAD threshold, 0 to 1")
                            ->check(CLI::Range(0.0, 1.0))
                            ->default_str("0.5");
  auto* silence_opt = app.add_option("--vad-silence-ms", vad_silence_ms, "Silence that ends a turn, ms")
                          ->check(CLI::Range(0, 10000))
                          ->default_str("500");
  auto* prefix_opt = app.add_option("--vad-prefix-ms", vad_prefix_ms, "Audio kept before speech starts, ms")
                         ->check(CLI::Range(0, 10000))
                         ->default_str("300");
  auto* transcribe_opt = app.add_option("--transcribe", transcribe,
                                        "Transcription model for your words, or off")
                             ->default_str("gpt-4o-mini-transcribe");
  int answer_timeout_ms = 0;
  auto* answer_timeout_opt =
      app.add_option("--answer-timeout-ms", answer_timeout_ms,
                     "Tell (in --text: fail) when the server sends nothing this long while an answer is due; 0: never")
          ->check(CLI::Range(0, 3600000))
          ->default_str("30000");
  int reconnect_tries = 0;
  auto* reconnect_opt = app.add_option("--reconnect-tries", reconnect_tries,
                                       "Tries to reconnect after the connection drops; 0: never")
                            ->check(CLI::Range(0, 100))
                            ->default_str("5");
  int renew_session_s = 0;
  auto* renew_opt = app.add_option("--renew-session-s", renew_session_s,
                                   "Renew the session at a quiet moment after this long (the server ends it "
                                   "at 60 min); 0: only when it ends")
                        ->check(CLI::Range(0, 86400))
                        ->default_str("3300");
  auto* devices = app.add_subcommand("devices", "List the audio inputs and outputs, then exit");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {  // --help, --version
      app.exit(e);
      result.exit_code = ToInt(ExitCode::kSuccess);
    } else {
      fprintf(stderr, "voxterm: error: %s (see voxterm --help)\n", e.what());
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
    fprintf(stderr, "voxterm: error: %s\n", loaded.message().c_str());
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
  if (answer_timeout_opt->count()) config.answer_timeout_ms = answer_timeout_ms;
  if (reconnect_opt->count()) config.reconnect_tries = reconnect_tries;
  if (renew_opt->count()) config.renew_session_s = renew_session_s;
  result.list_devices = devices->parsed();
  if (config.mode == Mode::kText && (!config.input_file.empty() || !config.record.empty())) {
    fprintf(stderr, "voxterm: error: --%s needs a spoken conversation (not --text)\n",
            config.input_file.empty() ? "record" : "input-file");
    result.exit_code = ToInt(ExitCode::kUsage);
  }
  return result;
}

}  // namespace voxterm
