"""Every kind of option refuses a bad value with the same line, whether the flag or the config
file gives it (exit 2): the texts are fixed here, as the option table (src/app/options.cpp)
generates both front ends."""

import json

import pytest

from conftest import one_line

URL = ["--url", "ws://127.0.0.1:1/"]


@pytest.mark.parametrize("args,line", [
    (["--bogus"], "The following argument was not expected: --bogus (see voxterm --help)"),
    (["--text", "--ptt"], "--text excludes --ptt (see voxterm --help)"),
    (["--dialect", "gamma"], "--dialect: gamma not in {ga,beta} (see voxterm --help)"),
    (["--echo", "x"], "--echo: x not in {aec,aec-speex,gate,half-duplex,off} (see voxterm --help)"),
    (["--vad", ""], "--vad:  not in {server,semantic,off} (see voxterm --help)"),
    (["--frame-ms", "5"], "--frame-ms: must be a whole number from 10 to 100 (see voxterm --help)"),
    (["--frame-ms", "2.5"], "--frame-ms: must be a whole number (see voxterm --help)"),
    (["--renew-session-s", "100000"], "--renew-session-s: must be a whole number from 0 to 86400 (see voxterm --help)"),
    (["--vad-threshold", "2"], "--vad-threshold: must be a number from 0 to 1 (see voxterm --help)"),
    (["--speed", "x"], "--speed: must be a number (see voxterm --help)"),
    (["--transcribe", ""], "--transcribe: must not be empty (see voxterm --help)"),
    (["--transcribe-language", "e1"], "--transcribe-language: must be 2 or 3 letters (e.g. en) (see voxterm --help)"),
    (["--max-output-tokens", "0"], "--max-output-tokens: must be 1 to 4096, or inf (see voxterm --help)"),
    (["--model="], "--model: 1 required TEXT:TEXT missing (see voxterm --help)"),
    (["--stats", ""], "--stats: must not be empty (see voxterm --help)"),
    (["--image", ""], "--image: must not be empty (see voxterm --help)"),
    # One path per --image, so that a subcommand or a stray word is never taken for an image.
    (["--image", "a.png", "b.png"], "The following argument was not expected: b.png (see voxterm --help)"),
    (["--config", ""], "--config: must not be empty (see voxterm --help)"),
    (["--vad", "off", "--idle-timeout-ms", "6000"],
     '--idle-timeout-ms ("idle_timeout_ms") is for --vad server, not --vad off'),
    (["--speed", "0.2"], "--speed: must be a number from 0.25 to 1.5 (see voxterm --help)"),
    (["--text", "--output-file", "answers.wav"],
     "--output-file in text mode needs --speak (the answers are text, written to stdout)"),
    (["--transcribe", "off", "--transcribe-prompt", "x"],
     '--transcribe-prompt ("transcribe_prompt") needs transcription, which --transcribe off turns off'),
])
def test_a_bad_flag_is_refused_in_its_words(run, args, line):
    r = run(URL + args, input="")
    assert r.returncode == 2, r.stderr
    assert one_line(r.stderr) == "voxterm: error: " + line


@pytest.mark.parametrize("config,what", [
    ({"voise": 1}, '"voise" is not a known key (see docs/config.md)'),
    # Flags only: no key of their own.
    ({"stats": "x"}, '"stats" is not a known key (see docs/config.md)'),
    ({"image": "x.png"}, '"image" is not a known key (see docs/config.md)'),
    ({"images": ["x.png"]}, '"images" is not a known key (see docs/config.md)'),
    ({"config": "x"}, '"config" is not a known key (see docs/config.md)'),
    ({"text": True}, '"text" is not a known key (see docs/config.md)'),
    ({"url": 5}, '"url" must be a string'),
    ({"input_file": ""}, '"input_file" must not be empty (leave the key out for the default)'),
    ({"mode": "x"}, '"mode" must be "voice", "ptt" or "text"'),
    ({"dialect": 5}, '"dialect" must be a string'),
    ({"echo": "loud"}, '"echo" must be "aec", "aec-speex", "gate", "half-duplex" or "off"'),
    ({"vad": 1}, '"vad" must be a string'),
    ({"noise_reduction": 5}, '"noise_reduction" must be "near_field", "far_field" or "off"'),
    ({"noise_reduction": ""}, '"noise_reduction" must be "near_field", "far_field" or "off"'),
    ({"verbose": 1}, '"verbose" must be true or false'),
    ({"speak": 1}, '"speak" must be true or false'),
    ({"frame_ms": "20"}, '"frame_ms" must be a whole number from 10 to 100'),
    ({"idle_timeout_ms": 6000.5}, '"idle_timeout_ms" must be a whole number from 5000 to 30000'),
    ({"keepalive_s": 0}, '"keepalive_s" must be a whole number from 1 to 3600'),
    ({"api_key_command_timeout_s": 601}, '"api_key_command_timeout_s" must be a whole number from 1 to 600'),
    ({"vad_threshold": 2}, '"vad_threshold" must be a number from 0 to 1'),
    ({"speed": "1"}, '"speed" must be a number from 0.25 to 1.5'),
    ({"max_message_bytes": 1023}, '"max_message_bytes" must be a number of bytes from 1024 to 1073741824'),
    ({"transcribe": 1}, '"transcribe" must be a string'),
    ({"transcribe_language": "e"},
     '"transcribe_language" must be a language code of 2 or 3 letters (ISO-639-1, e.g. "en")'),
    ({"tools": 1}, '"tools" must be a list of tools'),
])
def test_a_bad_key_is_refused_in_its_words(run, tmp_path, config, what):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    r = run(["--text"] + URL + ["--config", str(path)], input="")
    assert r.returncode == 2, r.stderr
    assert one_line(r.stderr) == "voxterm: error: %s:1: %s" % (path, what)


def test_help_shows_the_defaults_of_config(run):
    r = run(["--help"])
    assert r.returncode == 0
    for shown in ("--renew-session-s INT:INT:INT in [0 - 86400]=3300", "--frame-ms INT:INT:INT in [10 - 100]=20",
                  "--vad TEXT:{server,semantic,off}=server", "--vad-threshold FLOAT:NUMBER:FLOAT in [0 - 1]=0.5",
                  "--ptt-key TEXT:TEXT=space", "--dialect TEXT:{ga,beta}=ga", "-v,--verbose", "--config TEXT:TEXT"):
        assert shown in r.stdout, shown
    assert "--idle-timeout-ms INT:INT:INT in [5000 - 30000]\n" in r.stdout  # not set: no default


def test_no_turn_detection_with_an_input_file_says_nothing_will_be_answered(run, tmp_path):
    from test_files import quiet_wav
    mic = quiet_wav(tmp_path / "mic.wav")
    r = run(URL + ["--vad", "off", "--input-file", mic, "--output-file", "/dev/null"], input="")
    assert "--vad off: nothing takes the turns of --input-file's speech" in r.stderr
    r = run(URL + ["--input-file", mic, "--output-file", "/dev/null"], input="")
    assert "--vad off" not in r.stderr


def test_a_model_named_twice_is_refused(run):
    """A URL that names a model decides it; a --model naming another is refused, not ignored."""
    url = "ws://127.0.0.1:1/v1/realtime?model=gpt-y"
    r = run(["--text", "--model", "gpt-x", "--url", url], input="")
    assert r.returncode == 2, r.stderr
    assert one_line(r.stderr) == (
        'voxterm: error: --model ("model") gpt-x and the model in --url (gpt-y) differ: name the model once')
    r = run(["--text", "--model", "gpt-y", "--url", url], input="")  # the same model: fine
    assert r.returncode == 3, r.stderr


def test_help_ends_with_examples_the_config_file_in_use_and_the_exit_codes(run, tmp_path):
    r = run(["--help"])
    assert r.returncode == 0
    assert "echo 'Name a prime.' | voxterm --text" in r.stdout
    assert "Config file: %s/.config/voxterm/config.json (none there)" % tmp_path in r.stdout
    assert "OPENAI_API_KEY" in r.stdout and "XDG_CONFIG_HOME" in r.stdout
    assert "3 could not connect" in r.stdout and "130 interrupted" in r.stdout
    config = tmp_path / "xdg" / "voxterm" / "config.json"
    config.parent.mkdir(parents=True)
    config.write_text("{}")
    r = run(["--help"], env={"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    assert "Config file: %s\n" % config in r.stdout  # the one in use, there
