#include "app/manual.h"

#include <string_view>
#include <variant>
#include <vector>

#include "app/commands.h"
#include "app/options.h"

namespace voxterm {
namespace {

// One flag of the table as the manual and the completions see it.
struct FlagInfo {
  std::vector<std::string> names;  // "--frame-ms"; "-v", "--verbose"; "--speak", "--no-speak"
  std::string value;               // what it takes, for the manual ("PATH", "N"); "" for none
  std::vector<std::string> words;  // the values it takes, when they are a few words
  bool path = false;               // it takes a file's name
  std::string help;
  std::string fallback;  // the default, as --help shows it
};

std::vector<std::string> SplitNames(std::string_view flag) {
  std::vector<std::string> names;
  while (!flag.empty()) {
    const size_t comma = flag.find(',');
    names.emplace_back(flag.substr(0, comma));
    flag = comma == std::string_view::npos ? std::string_view() : flag.substr(comma + 1);
  }
  return names;
}

// What each kind of option takes after its flag.
struct ValueOf {
  FlagInfo* info;
  void operator()(const Text& text) const {
    info->path = text.home == Text::Home::kExpandInFile;
    info->value = info->path ? "PATH" : "TEXT";
  }
  void operator()(const Int&) const { info->value = "N"; }
  void operator()(const Number&) const { info->value = "X"; }
  void operator()(const Switch&) const {
    info->names.push_back("--no-" + info->names.back().substr(2));
  }
  void operator()(const Count&) const {}
  void operator()(const TextList&) const {
    info->path = true;
    info->value = "PATH";
  }
  void operator()(const ModeFlag&) const {}
  void operator()(const Word& word) const {
    info->words = word.names;
    for (const std::string& name : word.names) {
      info->value += (info->value.empty() ? "" : "|") + name;
    }
  }
  void operator()(const Custom& custom) const {
    info->value = custom.flag_type ? custom.flag_type : "VALUE";
  }
  void operator()(const ConfigFile&) const {
    info->path = true;
    info->value = "PATH";
  }
};

std::vector<FlagInfo> Flags() {
  std::vector<FlagInfo> flags;
  for (const Option& option : Options()) {
    if (!option.flag) continue;
    FlagInfo info;
    info.names = SplitNames(option.flag);
    info.help = option.help ? option.help : "";
    info.fallback = DefaultText(option);
    std::visit(ValueOf{&info}, option.kind);
    flags.push_back(std::move(info));
  }
  return flags;
}

const Subcommand kSubcommands[] = {kDevicesCommand, kMcpCommand, kConfigCommand};

// roff: a backslash is \e, a hyphen in a name \-, and a line may not start with . or '.
std::string Roff(std::string_view text, bool hyphens = false) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-' && hyphens) {
      out += "\\-";
    } else {
      out += c;
    }
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

const char kManualHead[] = R"(.TH VOXTERM 1 "" "voxterm" "User Commands"
.SH NAME
voxterm \- talk with an OpenAI Realtime model from a terminal
.SH SYNOPSIS
.B voxterm
.RI [ options ]
.br
.B voxterm \-\-text
.RI [ options ]
.RI [< input ]
.br
.B voxterm \-\-ptt
.RI [ options ]
.br
.B voxterm devices
.br
.B voxterm
.RI [ options ]
.B config
.SH DESCRIPTION
.B voxterm
holds a conversation with a speech\-to\-speech model over one WebSocket (the Realtime API):
on the microphone and the speaker, where you can talk over the model and it stops; with
push\-to\-talk on a key; or in text, standard input to standard output, to script the model
like any Unix tool. The model can run the shell commands a config file declares as tools.
.PP
With no mode given, voxterm starts a spoken conversation: the server's voice activity
detection takes the turns, your words and the model's are shown as they come, and a status
line shows who is speaking. Lines typed meanwhile are text turns, answered aloud.
.PP
.B \-\-ptt
sends the microphone only while a take is on: press the key (space) to start, again to send;
Escape drops the take; q, Ctrl\-C or Ctrl\-D quits.
.PP
.B \-\-text
makes each line of standard input a turn (the whole input with
.BR \-\-turn\-per\-input )
and writes the answers to standard output, each ending with a newline; everything else goes
to standard error. On a terminal it is a chat with a prompt, where Ctrl\-C stops an answer.
.PP
A lost connection is tried again, and the conversation goes on where it stopped. The API key
comes from the environment or the config file's
.BR api_key_command ,
never from a flag.
.SH OPTIONS
A flag given twice takes its last value. Every flag but a few has a config file key of the
same name with underscores; a flag wins over the file.
)";

// After the options: typing on a terminal, then the commands of a typed line (CommandList).
const char kManualCommands[] = R"(.SH TYPING
On a terminal, what you type goes to an edit row under the transcript (and under the status
line in the spoken modes); an answer streams above it without mixing. Left, Right, Home, End,
Ctrl\-A, Ctrl\-E, Ctrl\-B, Ctrl\-F, Ctrl\-Left and Ctrl\-Right move; Backspace, Delete,
Ctrl\-W, Ctrl\-U and Ctrl\-K delete (Ctrl\-Y puts back what was cut); Up and Down go
through this session's lines; Escape drops the line. A bracketed paste is one line, newlines
and all. Ctrl\-C stops a running tool or (text mode) the answer, else drops the line, and on an
empty line quits; Ctrl\-D on an empty line ends the input. In push\-to\-talk, / or a paste
starts a line.
.PP
A line that starts with / is a command:
)";

const char kManualTail[] = R"(.SH COMMANDS
.TP
.B devices
List the audio inputs and outputs PortAudio finds, with their index, channels and rate.
.TP
.B devices \-\-json
The same as JSON: an object per device (index, name, host_api, input_channels,
output_channels, default_rate_hz, default_input, default_output).
.TP
.B devices \-\-test
Check the devices a conversation would use (the flags and the config file choose them): a
second of a 440 Hz tone on the speaker, then the microphone's level for a few seconds.
Exits 1 when the microphone heard nothing.
.TP
.B config
Print every setting in effect and where it came from (a flag, the config file, the default);
never the key.
.SH FILES
.TP
.I $XDG_CONFIG_HOME/voxterm/config.json
The config file (JSON; with no XDG_CONFIG_HOME,
.IR ~/.config/voxterm/config.json ).
Its keys, the tools and their rules are described in docs/config.md.
.SH ENVIRONMENT
.TP
.B OPENAI_API_KEY
The API key
.RB ( AZURE_OPENAI_API_KEY
with
.BR \-\-azure ).
.TP
.BR XDG_CONFIG_HOME ", " HOME
Where the config file is.
.TP
.BR SSL_CERT_FILE ", " SSL_CERT_DIR
The trusted CA certificates, for wss:// URLs.
.TP
.B NO_COLOR
No colour on the terminal.
.SH EXIT STATUS
.TP
.B 0
Success.
.TP
.B 1
A failure during the conversation: an answer failed, the connection was lost for good, a
write failed, an input line over 1 MiB was skipped.
.TP
.B 2
Usage or configuration: a bad flag or config file, a device that cannot open, an
.B \-\-image
that is not a PNG, JPEG, WebP or GIF file of at most 10 MiB (or given to the beta dialect or
GPT\-Live, which take no images).
.TP
.B 3
Could not connect, or the server refused the key, the account or the model.
.TP
.B 130
Interrupted (Ctrl\-C, SIGTERM).
.SH EXAMPLES
.TP
.B voxterm
Talk on the default microphone and speaker (Ctrl\-C or Ctrl\-D to stop).
.TP
.B voxterm \-\-headphones
Talk with no echo control.
.TP
.B echo 'Name a prime.' | voxterm \-\-text
One question, its answer on standard output.
.TP
.B voxterm \-\-text \-\-turn\-per\-input < notes.txt > answer.txt
A whole file as one turn.
.TP
.B voxterm \-\-text \-\-image screenshot.png <<< 'What does this error say?'
A picture in the first turn, as an input_image part (the Realtime API's GA dialect only);
.B /image PATH [TEXT]
sends one from a terminal.
.SH SEE ALSO
The README and docs/config.md of voxterm's source.
)";

}  // namespace

std::string ManualPage() {
  std::string page = kManualHead;
  for (const FlagInfo& flag : Flags()) {
    page += ".TP\n";
    for (size_t i = 0; i < flag.names.size(); ++i) {
      page += (i ? ", " : "") + std::string("\\fB") + Roff(flag.names[i], true) + "\\fR";
    }
    if (!flag.value.empty()) page += " \\fI" + Roff(flag.value, true) + "\\fR";
    page += "\n" + Roff(flag.help);
    if (!flag.fallback.empty()) page += " (default: " + Roff(flag.fallback) + ")";
    page += ".\n";
  }
  page += kManualCommands;
  for (const CommandUsage& command : CommandList()) {
    page += ".TP\n.B " + Roff(command.usage, true) + "\n" + Roff(command.help) + ".\n";
  }
  return page + kManualTail;
}

namespace {

// A single-quoted word for a shell: ' closes, an escaped ' follows, ' opens again.
std::string Quoted(std::string_view text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string Joined(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string BashCompletion() {
  std::vector<std::string> all = {"-h", "--help", "--version"};
  std::string cases;
  std::vector<std::string> paths, free;
  for (const FlagInfo& flag : Flags()) {
    all.insert(all.end(), flag.names.begin(), flag.names.end());
    if (!flag.words.empty()) {
      cases += "    " + flag.names[0] + ") COMPREPLY=($(compgen -W " + Quoted(Joined(flag.words)) +
               " -- \"$cur\")); return ;;\n";
    } else if (flag.path) {
      paths.push_back(flag.names[0]);
    } else if (!flag.value.empty()) {
      free.push_back(flag.names[0]);
    }
  }
  std::string script = "# bash completion for voxterm, written from its option table\n";
  script += "_voxterm() {\n  local cur=\"${COMP_WORDS[COMP_CWORD]}\"\n";
  script += "  local prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n  case \"$prev\" in\n" + cases;
  auto alternatives = [](const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "" : "|") + n;
    return out;
  };
  script += "    " + alternatives(paths) +
            ") compopt -o filenames; COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n";
  script += "    " + alternatives(free) + ") COMPREPLY=(); return ;;\n  esac\n";
  script += "  if [[ \"$cur\" == -* ]]; then\n";
  script += "    local flags=" + Quoted(Joined(all)) + "\n";
  script += "    [[ \" ${COMP_WORDS[*]} \" == *\" devices \"* ]] && flags+=' --json --test'\n";
  script += "    COMPREPLY=($(compgen -W \"$flags\" -- \"$cur\"))\n  else\n";
  script += "    COMPREPLY=($(compgen -W 'devices config' -- \"$cur\"))\n  fi\n}\n";
  script += "complete -F _voxterm voxterm\n";
  return script;
}

// zsh's _arguments specs: the help goes in [...], where ] and : must not appear.
std::string ZshHelp(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '[' || c == ']') {
      out += '\\';
      out += c;
    } else if (c == ':') {
      out += ',';
    } else {
      out += c;
    }
  }
  return out;
}

std::string ZshCompletion() {
  std::string script =
      "#compdef voxterm\n# zsh completion for voxterm, written from its option "
      "table\n_arguments -s \\\n";
  script += "  '(- *)'{-h,--help}'[print the help and exit]' \\\n";
  script += "  '(- *)--version[print the version and exit]' \\\n";
  for (const FlagInfo& flag : Flags()) {
    std::string action;
    if (!flag.words.empty()) {
      action = ":value:(" + Joined(flag.words) + ")";
    } else if (flag.path) {
      action = ":file:_files";
    } else if (!flag.value.empty()) {
      action = ":" + flag.value + ": ";
    }
    const bool repeats = flag.names[0] == "-v";
    for (const std::string& name : flag.names) {
      script += "  " +
                Quoted((repeats ? "*" : "") + name + "[" + ZshHelp(flag.help) + "]" + action) +
                " \\\n";
    }
  }
  script +=
      "  " + Quoted(std::string("--json[(devices) ") + ZshHelp(kDevicesJsonHelp) + "]") + " \\\n";
  script +=
      "  " + Quoted(std::string("--test[(devices) ") + ZshHelp(kDevicesTestHelp) + "]") + " \\\n";
  script += "  '1:command:(devices config)'\n";
  return script;
}

std::string FishCompletion() {
  std::string script = "# fish completion for voxterm, written from its option table\n";
  script += "complete -c voxterm -s h -l help -d 'Print the help and exit'\n";
  script += "complete -c voxterm -l version -d 'Print the version and exit'\n";
  for (const FlagInfo& flag : Flags()) {
    for (const std::string& name : flag.names) {
      std::string line = "complete -c voxterm ";
      line += name.size() == 2 ? "-s " + name.substr(1) : "-l " + name.substr(2);
      if (!flag.words.empty()) {
        line += " -x -a " + Quoted(Joined(flag.words));
      } else if (flag.path) {
        line += " -r -F";
      } else if (!flag.value.empty()) {
        line += " -x";
      }
      script += line + " -d " + Quoted(flag.help) + "\n";
    }
  }
  script += "complete -c voxterm -n '__fish_seen_subcommand_from devices' -l json -d " +
            Quoted(kDevicesJsonHelp) + "\n";
  script += "complete -c voxterm -n '__fish_seen_subcommand_from devices' -l test -d " +
            Quoted(kDevicesTestHelp) + "\n";
  for (const Subcommand& sub : kSubcommands) {
    script += "complete -c voxterm -n __fish_use_subcommand -f -a " + std::string(sub.name) +
              " -d " + Quoted(sub.help) + "\n";
  }
  return script;
}

}  // namespace

std::string Completion(Shell shell) {
  switch (shell) {
    case Shell::kBash: return BashCompletion();
    case Shell::kZsh: return ZshCompletion();
    case Shell::kFish: return FishCompletion();
  }
  return "";
}

}  // namespace voxterm
