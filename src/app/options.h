// The option table: every setting of voxterm defined once, with its flag, its config-file key,
// its type and range, where it lives in Config, and its help. The config file's parser
// (config.cpp), the command line and --help (cli.cpp) are generated from it; a test checks that
// docs/config.md names every flag and key. Defaults are Config's initialisers (config.h), never
// written here (mpv's m_option tables, git's parse-options arrays).
//
// An option has a flag, a key, or both: "--stats" is a flag only (it is about one run), "tools"
// a key only (config file only). How a kind reads the file and the flag is in options.cpp and
// cli.cpp; the error texts are fixed by tests (tests/integration/test_cli_options.py).
// Thread safety: the table is built once, on first use, and immutable after.
#pragma once

#include <rapidjson/fwd.h>

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "app/config.h"
#include "util/status.h"

namespace voxterm {

// Where a key's value sits in the file, for messages: "path:line: "key" what".
class KeyReader {
 public:
  KeyReader(const std::string& path, const std::map<std::string, int>& lines)
      : path_(path), lines_(lines) {}

  Status Error(const std::string& key, const std::string& what) const;
  // "path:line" of the value at a JSON pointer ("/tools/0/name").
  std::string Where(const std::string& pointer) const;

  // Never empty: "" would leave the default without a word, and the flag refuses it too (a key
  // left out is how to keep the default).
  Status String(const rapidjson::Value& v, const std::string& key, std::string* out) const;
  Status Int(const rapidjson::Value& v, const std::string& key, int low, int high, int* out) const;
  Status Bool(const rapidjson::Value& v, const std::string& key, bool* out) const;

 private:
  const std::string& path_;
  const std::map<std::string, int>& lines_;
};

// The kinds of option. Each names the Config member it sets.

// A string, never empty. Paths in the file may start with ~/, as people write them.
struct Text {
  enum class Home { kAsIs, kExpandInFile };
  std::string Config::*member;
  Home home = Home::kAsIs;
};

// A whole number from low to high. A default outside the range means "not set": --help shows
// none.
struct Int {
  int Config::*member;
  int low, high;
};

// A finite number from low to high; a default outside the range means "not set".
struct Number {
  double Config::*member;
  double low, high;
};

// A flag that sets a bool; true or false in the file.
struct Switch {
  bool Config::*member;
};

// A flag that may be given more than once (-vv); true (1) or false (0) in the file.
struct Count {
  int Config::*member;
};

// A flag that may be given more than once, each time adding a string (--image), none empty; a
// flag only, so never read from the file.
struct TextList {
  std::vector<std::string> Config::*member;
};

// A flag that chooses the mode (--text, --ptt); the mode flags exclude each other.
struct ModeFlag {
  Mode mode;
};

// One of a few words, each standing for a value of an enum.
struct Word {
  // How the file's key treats a value that is not a string, or "": as "must be a string" (and
  // "must not be empty"), or as not one of the words.
  enum class Json { kStringFirst, kAnyValue };
  std::vector<std::string> names;             // in the order messages list them
  std::function<void(Config*, size_t)> set;   // set names[i]
  std::function<size_t(const Config&)> find;  // the index of the current value, or size()
  Json json = Json::kStringFirst;
};

// A value with rules of its own: the file's key read by read_key, the flag by check and apply.
struct Custom {
  Status (*read_key)(const KeyReader&, const std::string& key, const rapidjson::Value&, Config*);
  // The flag's value: "" when apply may take it, else what is wrong; nullptr: not empty is
  // enough. flag_type names its values in --help ("CODE").
  std::string (*check)(const std::string& value) = nullptr;
  const char* flag_type = nullptr;
  void (*apply)(const std::string& value, Config*) = nullptr;
  // The value as `voxterm config` shows it; "" when not set.
  std::string (*show)(const Config&) = nullptr;
};

// --config itself: read by cli.cpp before every other option, and no member of Config.
struct ConfigFile {};

using OptionKind =
    std::variant<Text, Int, Number, Switch, Count, TextList, ModeFlag, Word, Custom, ConfigFile>;

struct Option {
  const char* flag;  // "--frame-ms", "-v,--verbose"; nullptr: config file only
  const char* key;   // "frame_ms"; nullptr: a flag only
  OptionKind kind;
  const char* help;  // --help's line; nullptr for a key only
  // --help's default when Config's means "not set" (the server's, or a choice made later);
  // empty: Config's default as the flag writes it, if it is set.
  std::string unset_default = "";
};

// The table, in --help's order.
const std::vector<Option>& Options();

// The subcommands, for the command line, the manual and the completions.
struct Subcommand {
  const char* name;
  const char* help;
};
inline constexpr Subcommand kDevicesCommand = {"devices",
                                               "List the audio inputs and outputs, then exit"};
inline constexpr const char* kDevicesJsonHelp = "As JSON: an object per device";
inline constexpr const char* kDevicesTestHelp =
    "Play a short tone, then show the microphone's level for a few seconds";
inline constexpr Subcommand kMcpCommand = {
    "mcp", "Start each MCP server of the config file, list its tools, then exit"};
inline constexpr Subcommand kConfigCommand = {
    "config", "Print the settings in effect and where each comes from, then exit"};

// The option with this config-file key, or nullptr.
const Option* FindKey(const std::string& key);

// Config's default of an option as its flag would write it ("20", "server"); "" when not set.
std::string DefaultText(const Option& option);
// The option's value in config as its flag would write it; "" when not set.
std::string SettingText(const Option& option, const Config& config);

// Reads one config-file key into *config with the option's rules; an error names the key.
Status ReadKey(const Option& option, const KeyReader& reader, const std::string& key,
               const rapidjson::Value& value, Config* config);

// `"a", "b" or "c"`: the words of a message.
std::string QuotedChoices(const std::vector<std::string>& names);

// A Word over an enum member: names and the values they stand for, in the same order.
// Words<Vad>(&Config::vad, {{"server", Vad::kServer}, ...}).
template <typename E, typename Member>
Word Words(Member Config::*member, std::vector<std::pair<const char*, E>> choices,
           Word::Json json = Word::Json::kStringFirst) {
  Word word;
  for (const auto& choice : choices) word.names.push_back(choice.first);
  word.set = [member, choices](Config* config, size_t i) { config->*member = choices[i].second; };
  word.find = [member, choices](const Config& config) {
    size_t i = 0;
    while (i < choices.size() && !(config.*member == choices[i].second)) ++i;
    return i;
  };
  word.json = json;
  return word;
}

}  // namespace voxterm
