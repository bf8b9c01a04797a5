#include "app/cli.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "app/api_select.h"
#include "app/config.h"
#include "app/options.h"
#include "app/session_settings.h"
#include "transport/url.h"
#include "util/exit_code.h"
#include "util/log.h"
#include "util/utf8.h"

namespace voxterm {
namespace {

// Azure's two realtime URLs each go with one dialect (docs/config.md#azure-openai); the wrong
// mix fails only once connected, with a message that does not say why. voxterm still tries:
// a server that is not Azure may use the same paths.
void WarnAboutAzureUrl(const Config& config) {
  if (!config.azure || UsesLive(config)) return;  // GPT-Live's path is LiveUrl's
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

// In the user's words, as the config file says it: CLI11's own message prints 0.000000. --help
// shows it as CLI::Range did: "INT in [10 - 100]".
std::string Bound(double value) {
  char text[32];
  snprintf(text, sizeof text, std::floor(value) == value ? "%.0f" : "%g", value);
  return text;
}

CLI::Validator InRange(double low, double high, const char* what, const char* type) {
  return CLI::Validator(
      [=](std::string& v) {
        const double d = strtod(v.c_str(), nullptr);
        return d >= low && d <= high
                   ? std::string()
                   : std::string("must be ") + what + " from " + Bound(low) + " to " + Bound(high);
      },
      std::string(type) + " in [" + Bound(low) + " - " + Bound(high) + "]");
}

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

// What a flag held, until the config file has been read: the flags the user gave apply over it.
struct FlagValue {
  const Option* option = nullptr;
  CLI::Option* cli = nullptr;
  std::string text;
  std::vector<std::string> texts;  // a TextList's, in the order given
  int integer = 0;
  double number = 0;
  bool on = false;
};

// The command line as CLI11 sees it: the table's flags, each bound to its FlagValue.
struct Flags {
  Flags()
      : app("voxterm: talk with an OpenAI Realtime model from a terminal.\n"
            "The API key comes from OPENAI_API_KEY (AZURE_OPENAI_API_KEY with --azure) or from\n"
            "api_key_command in the config file; never from a flag.",
            "voxterm") {}
  CLI::App app;
  std::vector<FlagValue> values;  // reserved once: CLI11 holds their addresses
  std::string config_path;        // --config
  std::vector<CLI::Option*> mode_flags;
  CLI::App* devices = nullptr;
  bool devices_json = false;
  bool devices_test = false;
  CLI::App* show_config = nullptr;
  CLI::App* mcp = nullptr;
};

// One CLI11 option per kind, bound to its FlagValue; the checks run before CLI11 converts.
struct FlagDefiner {
  Flags* flags;
  const Option& option;
  FlagValue* value;

  // A string flag given "" would otherwise mean "not set" without a word (the config keys refuse
  // "" likewise); the flags with a fixed set of words refuse it as not one of them.
  CLI::Option* operator()(const Text&) const {
    return flags->app.add_option(option.flag, value->text, option.help)->check(kNotEmpty);
  }
  CLI::Option* operator()(const Int& range) const {
    return flags->app.add_option(option.flag, value->integer, option.help)
        ->check(kWholeNumber)
        ->check(InRange(range.low, range.high, "a whole number", "INT"));
  }
  CLI::Option* operator()(const Number& range) const {
    return flags->app.add_option(option.flag, value->number, option.help)
        ->check(kFiniteNumber)
        ->check(InRange(range.low, range.high, "a number", "FLOAT"));
  }
  // --no-speak undoes a "speak": true of the config file; the last of the two given wins.
  CLI::Option* operator()(const Switch&) const {
    const std::string name = option.flag;
    return flags->app.add_flag(name + ",!--no-" + name.substr(2), value->on, option.help);
  }
  CLI::Option* operator()(const Count&) const {
    return flags->app.add_flag(option.flag, value->integer, option.help);
  }
  // One value per flag given: "--image a.png b.png" is not two images.
  CLI::Option* operator()(const TextList&) const {
    return flags->app.add_option(option.flag, value->texts, option.help)
        ->check(kNotEmpty)
        ->expected(1)
        ->allow_extra_args(false)
        ->take_all();
  }
  CLI::Option* operator()(const ModeFlag&) const {
    CLI::Option* added = flags->app.add_flag(option.flag, value->on, option.help);
    for (CLI::Option* other : flags->mode_flags) added->excludes(other);
    flags->mode_flags.push_back(added);
    return added;
  }
  CLI::Option* operator()(const Word& word) const {
    return flags->app.add_option(option.flag, value->text, option.help)
        ->check(CLI::IsMember(word.names));
  }
  CLI::Option* operator()(const Custom& custom) const {
    CLI::Option* added = flags->app.add_option(option.flag, value->text, option.help);
    if (!custom.check) return added->check(kNotEmpty);
    auto check = custom.check;
    return added->check(
        CLI::Validator([check](std::string& v) { return check(v); }, custom.flag_type));
  }
  CLI::Option* operator()(const ConfigFile&) const {
    return flags->app.add_option(option.flag, flags->config_path, option.help)->check(kNotEmpty);
  }
};

// A flag given overrides what the file set; the values were checked when parsed.
struct FlagApplier {
  const FlagValue& value;
  Config* config;

  void operator()(const Text& text) const { config->*text.member = value.text; }
  void operator()(const Int& range) const { config->*range.member = value.integer; }
  void operator()(const Number& range) const { config->*range.member = value.number; }
  void operator()(const Switch& flag) const { config->*flag.member = value.on; }
  void operator()(const Count& count) const { config->*count.member = value.integer; }
  void operator()(const TextList& list) const { config->*list.member = value.texts; }
  void operator()(const ModeFlag& flag) const {
    if (value.on) config->mode = flag.mode;  // --text=false asks for nothing
  }
  void operator()(const Word& word) const {
    for (size_t i = 0; i < word.names.size(); ++i) {
      if (word.names[i] == value.text) word.set(config, i);
    }
  }
  void operator()(const Custom& custom) const { custom.apply(value.text, config); }
  void operator()(const ConfigFile&) const {}
};

// After the flags: what a user looks for in --help besides them. The config file is the one in
// use here (XDG_CONFIG_HOME or HOME), said to exist or not.
std::string HelpFooter() {
  const std::string config = DefaultConfigPath();
  const bool exists = access(config.c_str(), F_OK) == 0;
  return "Examples:\n"
         "  voxterm                                    talk (Ctrl-C or Ctrl-D to stop)\n"
         "  voxterm --headphones                       talk with no echo control\n"
         "  voxterm --ptt                              push-to-talk: space to start and to send\n"
         "  echo 'Name a prime.' | voxterm --text      one question, its answer on stdout\n"
         "  voxterm devices                            the microphones and speakers there are\n"
         "  voxterm mcp                                the tools of the config's MCP servers\n"
         "\n"
         "Config file: " +
         config + (exists ? "" : " (none there)") +
         "\n"
         "Environment: OPENAI_API_KEY (AZURE_OPENAI_API_KEY with --azure), XDG_CONFIG_HOME,\n"
         "  HOME, SSL_CERT_FILE, SSL_CERT_DIR\n"
         "Exit codes: 0 success, 1 a failure during the conversation, 2 usage or configuration,\n"
         "  3 could not connect or was refused, 130 interrupted\n"
         "More: README.md and docs/config.md";
}

void DefineFlags(Flags* flags) {
  flags->app.set_version_flag("--version", std::string("voxterm ") + VOXTERM_VERSION);
  flags->app.get_formatter()->column_width(30);
  flags->values.reserve(Options().size());
  for (const Option& option : Options()) {
    if (!option.flag) continue;
    FlagValue* value = &flags->values.emplace_back();
    value->option = &option;
    value->cli = std::visit(FlagDefiner{flags, option, value}, option.kind);
    // A flag given twice takes its last value, as most Unix tools do, so that an alias can be
    // overridden (-v counts instead).
    if (!std::holds_alternative<Count>(option.kind) &&
        !std::holds_alternative<TextList>(option.kind))
      value->cli->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    const std::string shown = DefaultText(option);
    if (!shown.empty()) value->cli->default_str(shown);
  }
  // --mode and --text or --ptt: two answers to one question.
  if (CLI::Option* mode = flags->app.get_option_no_throw("--mode")) {
    for (CLI::Option* other : flags->mode_flags) mode->excludes(other);
  }
  // The run's flags may follow a subcommand too (voxterm devices --test --input-device 2).
  flags->devices =
      flags->app.add_subcommand(kDevicesCommand.name, kDevicesCommand.help)->fallthrough();
  CLI::Option* json = flags->devices->add_flag("--json", flags->devices_json, kDevicesJsonHelp);
  flags->devices->add_flag("--test", flags->devices_test, kDevicesTestHelp)->excludes(json);
  flags->mcp = flags->app.add_subcommand(kMcpCommand.name, kMcpCommand.help)->fallthrough();
  flags->show_config =
      flags->app.add_subcommand(kConfigCommand.name, kConfigCommand.help)->fallthrough();
  flags->app.footer(std::function<std::string()>(HelpFooter));  // made only for --help
}

// CLI11 reports errors by exception; they end here, as one line and exit code 2. Returns the
// exit code when the process should exit at once.
std::optional<int> ParseFlags(Flags* flags, int argc, char** argv) {
  try {
    flags->app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {  // --help, --version
      flags->app.exit(e);
      return ToInt(ExitCode::kSuccess);
    }
    PrintError(e.what(), " (see voxterm --help)");
    return ToInt(ExitCode::kUsage);
  }
  return std::nullopt;
}

std::string ConfigPath(const Flags& flags) {
  return flags.config_path.empty() ? DefaultConfigPath() : ExpandHome(flags.config_path);
}

Status LoadConfig(const Flags& flags, Config* config, KeyLines* lines) {
  return LoadConfigFile(ConfigPath(flags),
                        flags.config_path.empty() ? IfMissing::kUseDefaults : IfMissing::kError,
                        config, lines);
}

// Where an option's value came from: the flag given (--no-speak for a switch turned off; --text
// for the mode), else the file's line, else "default".
std::string SettingSource(const Flags& flags, const Option& option, const KeyLines& lines) {
  for (const FlagValue& value : flags.values) {
    if (!value.cli->count()) continue;
    const bool mode_flag = std::holds_alternative<ModeFlag>(value.option->kind) && value.on;
    if (value.option != &option && !(mode_flag && !strcmp(option.key, "mode"))) continue;
    const std::string name = value.cli->get_name();
    return std::holds_alternative<Switch>(option.kind) && !value.on ? "--no-" + name.substr(2)
                                                                    : name;
  }
  if (auto line = lines.find(option.key); line != lines.end())
    return ConfigPath(flags) + ":" + std::to_string(line->second);
  return "default";
}

// `voxterm config`: each setting in effect, as its flag writes it, and where it came from. The
// API key is never among them.
void ShowConfig(const Flags& flags, const Config& config, const KeyLines& lines) {
  printf("# config file: %s%s\n", ConfigPath(flags).c_str(), lines.empty() ? " (no settings)" : "");
  for (const Option& option : Options()) {
    if (!option.key) continue;  // a flag only: --config, --stats, the mode flags
    std::string from = SettingSource(flags, option, lines);
    std::string shown = SettingText(option, config);
    // The URL that will be used: a GPT-Live run goes to its endpoint (api_select.h), not to
    // the Realtime URL the setting holds.
    if (!strcmp(option.key, "url") && UsesLive(config)) {
      shown = LiveUrl(config);
      from += " (GPT-Live's endpoint)";
    }
    if (shown.empty()) {
      shown =
          option.unset_default.empty() ? "(not set)" : "(not set: " + option.unset_default + ")";
    }
    std::string printable;
    AppendForDisplay(shown, LineBreaks::kEscape, &printable);
    printf("%-26s %-30s %s\n", option.key, printable.c_str(), from.c_str());
  }
}

// A URL that names a model (model=, or Azure's deployment=) decides the model; a --model that
// names another would be silently ignored. (The default model cannot tell whether it was given.)
Status CheckModelNamedOnce(const Config& config) {
  if (config.model == kDefaultModel || UsesLive(config)) return Status::Ok();
  auto url = ParseUrl(config.url);
  if (!url.ok()) return Status::Ok();  // said when connecting
  const std::string in_url = ModelInQuery(*url);
  if (in_url.empty() || in_url == config.model) return Status::Ok();
  return Status::Error("--model (\"model\") " + config.model + " and the model in --url (" +
                       in_url + ") differ: name the model once");
}

// What no single option can check: settings that contradict each other. Warnings come only
// when there is no error and a conversation will start.
void CheckTogether(CommandLine* result) {
  const Config& config = result->config;
  if (config.mode == Mode::kText && (!config.input_file.empty() || !config.record.empty())) {
    fprintf(stderr, "voxterm: error: --%s needs a spoken conversation (not --text)\n",
            config.input_file.empty() ? "record" : "input-file");
    result->exit_code = ToInt(ExitCode::kUsage);
  }
  if (config.mode != Mode::kText && config.turn_per_input && !result->exit_code) {
    fprintf(stderr, "voxterm: error: --turn-per-input needs --text (spoken turns are yours)\n");
    result->exit_code = ToInt(ExitCode::kUsage);
  }
  if (config.mode == Mode::kText && !config.output_file.empty() && !config.speak &&
      !result->exit_code) {
    fprintf(stderr,
            "voxterm: error: --output-file in text mode needs --speak (the answers are text, "
            "written to stdout)\n");
    result->exit_code = ToInt(ExitCode::kUsage);
  }
  if (Status models = CheckModelNamedOnce(config); !models.ok() && !result->exit_code) {
    PrintError(models.message());
    result->exit_code = ToInt(ExitCode::kUsage);
  }
  if (Status live = CheckLiveOptions(config); !live.ok() && !result->exit_code) {
    PrintError(live.message());
    result->exit_code = ToInt(ExitCode::kUsage);
  }
  if (!config.images.empty() && !result->exit_code) {
    if (Status images = CheckImagesAllowed(config, "--image"); !images.ok()) {
      PrintError(images.message());
      result->exit_code = ToInt(ExitCode::kUsage);
    }
  }
  if (Status hosted = CheckHostedMcpAllowed(config);
      !hosted.ok() && !result->exit_code && !result->list_mcp) {
    PrintError(hosted.message());
    result->exit_code = ToInt(ExitCode::kUsage);
  }
  if (Status session = CheckSessionOptions(config); !session.ok() && !result->exit_code) {
    PrintError(session.message());
    result->exit_code = ToInt(ExitCode::kUsage);
  }
  if (!result->exit_code && !result->list_devices && !result->list_mcp) {
    WarnAboutAzureUrl(config);
    WarnAboutReasoningEffort(config);
    if (config.mode == Mode::kVoice && config.vad == Vad::kOff && !config.input_file.empty()) {
      LOG_WARN(
          "--vad off: nothing takes the turns of --input-file's speech, so only typed lines will "
          "be answered");
    }
  }
}

}  // namespace

std::string CommandLineHelp() {
  Flags flags;
  DefineFlags(&flags);
  return flags.app.help();
}

CommandLine ParseCommandLine(int argc, char** argv) {
  CommandLine result;
  Flags flags;
  DefineFlags(&flags);
  result.exit_code = ParseFlags(&flags, argc, argv);
  if (result.exit_code) return result;

  // The config file first, then the flags that were given: a flag always wins over the file.
  KeyLines lines;
  if (Status loaded = LoadConfig(flags, &result.config, &lines); !loaded.ok()) {
    PrintError(loaded.message());
    result.exit_code = ToInt(ExitCode::kUsage);
    return result;
  }
  for (const FlagValue& value : flags.values) {
    if (value.cli->count()) std::visit(FlagApplier{value, &result.config}, value.option->kind);
  }
  result.list_devices = flags.devices->parsed();
  result.devices_json = flags.devices_json;
  result.devices_test = flags.devices_test;
  result.list_mcp = flags.mcp->parsed();
  CheckTogether(&result);
  if (!result.exit_code && flags.show_config->parsed()) {
    ShowConfig(flags, result.config, lines);
    result.exit_code = ToInt(ExitCode::kSuccess);
  }
  return result;
}

}  // namespace voxterm
