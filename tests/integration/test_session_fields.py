"""The session fields users set (noise reduction, speed, VAD eagerness and idle timeout,
transcription hints, output tokens, reasoning effort, parallel tool calls): each flag and each
config key reaches session.update as OpenAI's schema says, in GA and beta where the dialect has
the field (the mock validates every event against the schema), and session.updated reflects it.
Out-of-range values and fields a dialect lacks are one line and exit 2."""

import json
import math
import subprocess
import struct
import wave

import pytest

from conftest import BIN, clean_env, one_line

RATE = 24000


def write_wav(path, samples):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(struct.pack("<%dh" % len(samples), *samples))


def tone(ms, hz=300, amplitude=8000):
    return [int(amplitude * math.sin(2 * math.pi * hz * n / RATE)) for n in range(RATE * ms // 1000)]


def silence(ms):
    return [0] * (RATE * ms // 1000)


def voice_args(m, tmp_path, ms=200):
    mic = tmp_path / "quiet.wav"
    write_wav(mic, silence(ms))
    return ["--url", m.url(), "--input-file", str(mic), "--output-file", str(tmp_path / "o.wav")]


def logged(log, direction, kind):
    lines = [json.loads(l) for l in log.read_text().splitlines()]
    return [l["event"] for l in lines if l["dir"] == direction and l["event"]["type"] == kind]


def session_sent(m):
    updates = [e for e in m.events() if e["type"] == "session.update"]
    assert len(updates) == 1
    return updates[0]["session"]


VOICE_FLAGS = ["--noise-reduction", "far_field", "--transcribe-language", "de",
               "--transcribe-prompt", "Fachbegriffe: voxterm, PortAudio.", "--max-output-tokens", "300"]
GA_FLAGS = ["--speed", "1.25", "--idle-timeout-ms", "6000", "--reasoning-effort", "high"]


@pytest.mark.parametrize("dialect", ["ga", "beta"])
def test_voice_flags_reach_the_session(mock, run, tmp_path, dialect):
    m = mock()
    log = tmp_path / "events.jsonl"
    extra = GA_FLAGS if dialect == "ga" else []
    r = run(voice_args(m, tmp_path) + ["--dialect", dialect, "--log-events", str(log)] + VOICE_FLAGS + extra,
            timeout=30)
    assert r.returncode == 0, r.stderr
    s = session_sent(m)
    updated = logged(log, "in", "session.updated")[0]["session"]
    if dialect == "ga":
        audio = s["audio"]
        assert audio["input"]["noise_reduction"] == {"type": "far_field"}
        assert audio["input"]["transcription"] == {"model": "gpt-live-transcribe", "language": "de",
                                                   "prompt": "Fachbegriffe: voxterm, PortAudio."}
        assert audio["input"]["turn_detection"]["idle_timeout_ms"] == 6000
        assert audio["output"]["speed"] == 1.25
        assert s["max_output_tokens"] == 300
        assert s["reasoning"] == {"effort": "high"}
        assert "parallel_tool_calls" not in s  # no tools declared
        # The server's answer shows the session as voxterm set it.
        assert updated["audio"]["input"]["noise_reduction"] == {"type": "far_field"}
        assert updated["audio"]["output"]["speed"] == 1.25
        assert updated["audio"]["input"]["turn_detection"]["idle_timeout_ms"] == 6000
        assert updated["audio"]["input"]["transcription"]["language"] == "de"
        assert updated["max_output_tokens"] == 300
        assert updated["reasoning"] == {"effort": "high"}
    else:
        assert s["input_audio_noise_reduction"] == {"type": "far_field"}
        # The beta schema documents only the older transcription models (docs/protocol.md).
        assert s["input_audio_transcription"] == {"model": "gpt-4o-mini-transcribe", "language": "de",
                                                  "prompt": "Fachbegriffe: voxterm, PortAudio."}
        assert s["max_response_output_tokens"] == 300
        assert "idle_timeout_ms" not in s["turn_detection"]
        assert updated["input_audio_noise_reduction"] == {"type": "far_field"}
        assert updated["max_response_output_tokens"] == 300
    assert m.violations() == []
    assert m.errors_sent() == []


@pytest.mark.parametrize("dialect", ["ga", "beta"])
def test_semantic_eagerness_and_noise_reduction_off(mock, run, tmp_path, dialect):
    m = mock()
    r = run(voice_args(m, tmp_path) + ["--dialect", dialect, "--vad", "semantic", "--vad-eagerness", "low",
                                       "--noise-reduction", "off", "--max-output-tokens", "inf"], timeout=30)
    assert r.returncode == 0, r.stderr
    s = session_sent(m)
    if dialect == "ga":
        assert s["audio"]["input"]["turn_detection"] == {"type": "semantic_vad", "eagerness": "low"}
        assert s["audio"]["input"]["noise_reduction"] is None
        assert s["max_output_tokens"] == "inf"
    else:
        assert s["turn_detection"] == {"type": "semantic_vad", "eagerness": "low"}
        assert s["input_audio_noise_reduction"] is None
        assert s["max_response_output_tokens"] == "inf"
    assert m.violations() == []


def test_text_mode_sends_the_model_settings(mock, run):
    m = mock()
    r = run(["--text", "--url", m.url(), "--max-output-tokens", "4096", "--reasoning-effort", "minimal",
             "--noise-reduction", "near_field"], input="hello\n")
    assert r.returncode == 0, r.stderr
    s = session_sent(m)
    assert s["max_output_tokens"] == 4096
    assert s["reasoning"] == {"effort": "minimal"}
    assert "audio" not in s or "noise_reduction" not in s["audio"].get("input", {})  # no microphone
    assert m.violations() == []


CONFIG = {
    "noise_reduction": "near_field", "speed": 0.5, "vad": "server", "idle_timeout_ms": 30000,
    "transcribe_language": "fr", "transcribe_prompt": "Vocabulaire technique.", "max_output_tokens": 1,
    "reasoning_effort": "xhigh",
}


@pytest.mark.parametrize("dialect", ["ga", "beta"])
def test_config_keys_reach_the_session(mock, run, tmp_path, dialect):
    m = mock()
    config = dict(CONFIG, dialect=dialect)
    if dialect == "beta":
        for key in ("speed", "idle_timeout_ms", "reasoning_effort"):
            del config[key]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    r = run(voice_args(m, tmp_path) + ["--config", str(path)], timeout=30)
    assert r.returncode == 0, r.stderr
    s = session_sent(m)
    if dialect == "ga":
        assert s["audio"]["input"]["noise_reduction"] == {"type": "near_field"}
        assert s["audio"]["output"]["speed"] == 0.5
        assert s["audio"]["input"]["turn_detection"]["idle_timeout_ms"] == 30000
        assert s["audio"]["input"]["transcription"]["language"] == "fr"
        assert s["audio"]["input"]["transcription"]["prompt"] == "Vocabulaire technique."
        assert s["max_output_tokens"] == 1
        assert s["reasoning"] == {"effort": "xhigh"}
    else:
        assert s["input_audio_noise_reduction"] == {"type": "near_field"}
        assert s["input_audio_transcription"]["language"] == "fr"
        assert s["max_response_output_tokens"] == 1
    assert m.violations() == []


def test_a_flag_wins_over_its_config_key(mock, run, tmp_path):
    m = mock()
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"max_output_tokens": 100, "speed": 0.5}))
    r = run(["--text", "--url", m.url(), "--config", str(path), "--max-output-tokens", "inf", "--speed", "1.5"],
            input="hi\n")
    assert r.returncode == 0, r.stderr
    s = session_sent(m)
    assert s["max_output_tokens"] == "inf"
    assert s["audio"]["output"]["speed"] == 1.5


TOOL = {"name": "clock", "description": "The time.", "command": ["date"]}


@pytest.mark.parametrize("model,setting,expected", [
    ("gpt-realtime-2.1", None, True),        # a reasoning model: several calls in one response
    ("gpt-realtime-2-2026-05-01", None, True),
    ("gpt-realtime-mini", None, "absent"),   # not a reasoning model: the field is not sent
    ("gpt-realtime-2.1", False, False),      # the config key decides
    ("my-azure-deployment", True, True),
])
def test_parallel_tool_calls(mock, run, tmp_path, model, setting, expected):
    m = mock()
    config = {"tools": [TOOL]}
    if setting is not None:
        config["parallel_tool_calls"] = setting
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    r = run(["--text", "--url", m.url(), "--model", model, "--config", str(path)], input="hi\n")
    assert r.returncode == 0, r.stderr
    s = session_sent(m)
    assert s.get("parallel_tool_calls", "absent") == expected
    assert m.violations() == []


@pytest.mark.parametrize("args,needle", [
    (["--speed", "1.6"], "--speed"),
    (["--speed", "0.2"], "--speed"),
    (["--speed", "fast"], "--speed"),
    (["--idle-timeout-ms", "4999"], "--idle-timeout-ms"),
    (["--idle-timeout-ms", "30001"], "--idle-timeout-ms"),
    (["--max-output-tokens", "0"], "--max-output-tokens"),
    (["--max-output-tokens", "4097"], "--max-output-tokens"),
    (["--max-output-tokens", "lots"], "--max-output-tokens"),
    (["--noise-reduction", "loud"], "--noise-reduction"),
    (["--vad-eagerness", "eager", "--vad", "semantic"], "--vad-eagerness"),
    (["--reasoning-effort", "max"], "--reasoning-effort"),
    (["--transcribe-language", "english"], "--transcribe-language"),
    # Not a number the session can hold: NaN and the infinities, in every spelling strtod takes.
    (["--vad-threshold", "nan"], "--vad-threshold"),
    (["--vad-threshold", "-nan"], "--vad-threshold"),
    (["--vad-threshold", "inf"], "--vad-threshold"),
    (["--speed", "nan"], "--speed"),
    (["--speed", "NaN"], "--speed"),
    (["--speed", "infinity"], "--speed"),
    (["--speed", "-inf"], "--speed"),
    # Fields the beta session does not have.
    (["--dialect", "beta", "--speed", "1.2"], "--speed"),
    (["--dialect", "beta", "--idle-timeout-ms", "6000"], "--idle-timeout-ms"),
    (["--dialect", "beta", "--reasoning-effort", "low"], "--reasoning-effort"),
    # Settings that contradict the VAD or the transcription.
    (["--vad-eagerness", "low"], "--vad-eagerness"),
    (["--vad", "server", "--vad-eagerness", "high"], "--vad-eagerness"),
    (["--vad", "semantic", "--idle-timeout-ms", "6000"], "--idle-timeout-ms"),
    (["--vad", "off", "--idle-timeout-ms", "6000"], "--idle-timeout-ms"),
    (["--transcribe", "off", "--transcribe-language", "en"], "--transcribe-language"),
    (["--transcribe", "off", "--transcribe-prompt", "x"], "--transcribe-prompt"),
])
def test_bad_flags_are_one_line_and_exit_2(run, args, needle):
    r = run(["--url", "ws://127.0.0.1:1/"] + args, input="")
    assert r.returncode == 2, r.stderr
    line = one_line(r.stderr)
    assert line.startswith("voxterm: error: ") and needle in line, line
    assert "not expected" not in line  # a known flag, refused for its value


def test_the_limits_themselves_are_accepted(mock, run):
    m = mock()
    r = run(["--text", "--url", m.url(), "--speed", "0.25", "--max-output-tokens", "1"], input="hi\n")
    assert r.returncode == 0, r.stderr
    r = run(["--text", "--url", m.url(), "--speed", "1.5", "--max-output-tokens", "4096"], input="hi\n")
    assert r.returncode == 0, r.stderr
    assert m.violations() == []


@pytest.mark.parametrize("config,needle", [
    ({"speed": 1.51}, '"speed" must be a number from 0.25 to 1.5'),
    ({"speed": "1"}, '"speed" must be a number'),
    ({"idle_timeout_ms": 1000}, '"idle_timeout_ms" must be a whole number from 5000 to 30000'),
    ({"max_output_tokens": 0}, '"max_output_tokens" must be a whole number from 1 to 4096, or "inf"'),
    ({"max_output_tokens": "infinite"}, '"max_output_tokens" must be'),
    ({"max_output_tokens": 12.5}, '"max_output_tokens" must be'),
    ({"noise_reduction": "near"}, '"noise_reduction" must be "near_field", "far_field" or "off"'),
    ({"noise_reduction": None}, '"noise_reduction" must be'),
    ({"vad_eagerness": "eager"}, '"vad_eagerness" must be "low", "medium", "high" or "auto"'),
    ({"reasoning_effort": "none"}, '"reasoning_effort" must be "minimal", "low", "medium", "high" or "xhigh"'),
    ({"transcribe_language": "en-US"}, '"transcribe_language" must be a language code'),
    ({"transcribe_prompt": 5}, '"transcribe_prompt" must be a string'),
    # JSON has no NaN nor infinity: a file that writes them (as Python's json does) is refused.
    ({"vad_threshold": float("nan")}, "config.json:1: "),
    ({"speed": float("inf")}, "config.json:1: "),
    ({"parallel_tool_calls": "yes"}, '"parallel_tool_calls" must be true or false'),
    ({"dialect": "beta", "speed": 1.2}, '--speed ("speed") is not in the beta dialect'),
    ({"dialect": "beta", "parallel_tool_calls": True}, '"parallel_tool_calls" is not in the beta dialect'),
    ({"vad_eagerness": "low"}, '--vad-eagerness ("vad_eagerness") is for --vad semantic, not --vad server'),
    ({"vad": "semantic", "idle_timeout_ms": 6000}, '("idle_timeout_ms") is for --vad server, not --vad semantic'),
])
def test_bad_config_values_are_one_line_and_exit_2(run, tmp_path, config, needle):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    r = run(["--url", "ws://127.0.0.1:1/", "--config", str(path)], input="")
    assert r.returncode == 2, r.stderr
    line = one_line(r.stderr)
    assert line.startswith("voxterm: error: ") and needle in line, line


def test_the_idle_timeout_answers_the_silence(mock, run, tmp_path):
    # 0.8 s of speech, then 7.5 s of silence: the answer (0.5 s of audio) ends about 1.8 s in,
    # and 5 s of silence after it the server's idle timeout fires: the server commits the silent
    # audio and answers again, and the conversation goes on to the end of the file.
    mic = tmp_path / "mic.wav"
    write_wav(mic, tone(800) + silence(7500))
    m = mock("--answer-ms", "500")
    log = tmp_path / "events.jsonl"
    r = run(["--url", m.url(), "--input-file", str(mic), "--output-file", str(tmp_path / "o.wav"),
             "--idle-timeout-ms", "5000", "--log-events", str(log)], timeout=60)
    assert r.returncode == 0, r.stderr
    triggered = logged(log, "in", "input_audio_buffer.timeout_triggered")
    assert len(triggered) == 1
    assert 4900 <= triggered[0]["audio_end_ms"] - triggered[0]["audio_start_ms"] <= 5100
    done = logged(log, "in", "response.done")
    assert [d["response"]["status"] for d in done] == ["completed", "completed"]
    assert r.stdout.count("assistant: This is a 500 millisecond answer.") == 2, r.stdout
    # The silence is no turn of the user's: no "you:" line for it.
    assert r.stdout.count("you: ") == 1, r.stdout
    assert m.violations() == []
    assert m.errors_sent() == []
    # voxterm answered none of it with a request of its own: the server answers a timeout itself.
    assert [e for e in m.events() if e["type"] in ("response.create", "input_audio_buffer.commit")] == []


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_no_flag_value_makes_invalid_json(run, mock, value):
    # voxterm once sent "threshold":, (RapidJSON writes nothing for NaN) and waited 15 s for an
    # answer; now the flag is refused before anything is sent.
    m = mock()
    for flag in ("--vad-threshold", "--speed"):
        r = run(["--text", "--url", m.url(), flag, value], input="hi\n", timeout=10)
        assert r.returncode == 2, r.stderr
        assert one_line(r.stderr).startswith("voxterm: error: " + flag), r.stderr
    assert m.events() == []


@pytest.mark.parametrize("args,needle", [
    (["--idle-timeout-ms=6e3"], "--idle-timeout-ms"),
    (["--frame-ms=2.5"], "--frame-ms"),
    (["--vad-silence-ms", "1e3"], "--vad-silence-ms"),
    (["--reconnect-tries", "two"], "--reconnect-tries"),
])
def test_a_whole_number_flag_says_so(run, args, needle):
    r = run(["--url", "ws://127.0.0.1:1/"] + args, input="")
    assert r.returncode == 2, r.stderr
    line = one_line(r.stderr)
    assert line.startswith("voxterm: error: " + needle) and "must be a whole number" in line, line
    assert "not in range" not in line  # 6e3 is 6000, which is in range: the form is what is wrong


def run_bytes(tmp_path, args):
    """voxterm with raw bytes in its arguments, and its stderr as bytes."""
    return subprocess.run([BIN] + args, input=b"", capture_output=True, env=clean_env(tmp_path), timeout=30)


def assert_printable_line(stderr):
    lines = [l for l in stderr.split(b"\n") if l.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith(b"voxterm: error: "), stderr
    bad = [b for b in lines[0] if b < 0x20 or b == 0x7F]
    assert bad == [], stderr
    lines[0].decode("utf-8")  # strictly valid UTF-8: every invalid byte is escaped
    return lines[0].decode()


@pytest.mark.parametrize("args,needle", [
    ([b"--reasoning-effort=\xff\x1b[31m"], r"\xff\x1b[31m"),
    ([b"--vad-eagerness=\x1b]0;t\x07"], r"\x1b]0;t\x07"),
    ([b"--speed", b"\x1b[2J"], "--speed: must be a number"),
    ([b"--idle-timeout-ms", b"6\x1b[2J"], "--idle-timeout-ms"),
    ([b"--transcribe-language", b"e\x9bn"], "--transcribe-language"),
    ([b"--\x1b[31mno-such-flag"], r"\x1b[31m"),
    ([b"--config", b"/nonexistent/\x1b]0;owned\x07.json"], r"\x1b]0;owned\x07"),
    # Refused later, when the file or the device is opened: the same line, through the log.
    ([b"--log-events", b"/nonexistent/\x1b[2J"], r"/nonexistent/\x1b[2J"),
    ([b"--stats", b"/nonexistent/\x1b[2J\xff"], r"/nonexistent/\x1b[2J\xff"),
    ([b"--ca-file", b"/nonexistent/\x1b]0;t\x07"], r"/nonexistent/\x1b]0;t\x07"),
    ([b"--speak", b"--output-file", b"/nonexistent/\x1b[2J"], r"/nonexistent/\x1b[2J"),
])
def test_control_bytes_in_flags_are_escaped_in_the_error(tmp_path, args, needle):
    r = run_bytes(tmp_path, [b"--text", b"--url", b"ws://127.0.0.1:1/"] + args)
    assert r.returncode == 2, r.stderr
    assert needle in assert_printable_line(r.stderr)


# Raw control bytes are not JSON (the parser refuses them, and its message quotes none), but
# \u escapes put them into keys and values all the same.
@pytest.mark.parametrize("config", [
    rb'{"\u001b[31mvoice": "x"}',                      # an unknown key, named in the error
    rb'{"vad": "semantic", "vad_eagerness\u0007": 1}',
    rb'{"tools": [{"name": "clock", "description": "d", "command": ["date"], "x\u001b]0;t\u0007": 1}]}',
    rb'{"tools": [{"name": "a\u001b[2Jb\u009b", "description": "d", "command": ["date"]}]}',
    rb'{"voice": "\u00ff\u001b[31m", "speed": 7}',
])
def test_control_bytes_in_the_config_are_escaped_in_the_error(tmp_path, config):
    path = tmp_path / "config.json"
    path.write_bytes(config)
    r = run_bytes(tmp_path, [b"--text", b"--url", b"ws://127.0.0.1:1/", b"--config", bytes(path)])
    assert r.returncode == 2, r.stderr
    assert_printable_line(r.stderr)


# A string setting given as "" would leave the server's default without a word, and the flag
# refuses it: so does the config key (leaving the key out is how to keep the default).
STRING_KEYS = ["url", "model", "instructions", "voice", "transcribe", "transcribe_prompt", "transcribe_language",
               "input_device", "output_device", "ptt_key", "ca_file", "log_events", "input_file", "output_file",
               "record", "echo", "vad", "stats", "config"]
FLAGS_ONLY = ("stats", "config")


@pytest.mark.parametrize("key", STRING_KEYS)
def test_an_empty_string_is_refused_by_flag_and_key_alike(run, tmp_path, key):
    flag = "--" + key.replace("_", "-")
    url = [] if key == "url" else ["--url", "ws://127.0.0.1:1/"]
    for given in ([flag + "="], [flag, ""]):  # CLI11 calls the first a missing value
        r = run(["--text"] + url + given, input="")
        assert r.returncode == 2, r.stderr
        assert one_line(r.stderr).startswith("voxterm: error: " + flag), r.stderr
    if key in FLAGS_ONLY:
        return
    path = tmp_path / "config.json"
    path.write_text(json.dumps({key: ""}))
    r = run(["--text", "--url", "ws://127.0.0.1:1/", "--config", str(path)], input="")
    assert r.returncode == 2, r.stderr
    line = one_line(r.stderr)
    assert '"%s" must not be empty' % key in line, line


def test_the_language_is_sent_in_lowercase(mock, run, tmp_path):
    m = mock()
    r = run(voice_args(m, tmp_path) + ["--transcribe-language", "EN"], timeout=30)
    assert r.returncode == 0, r.stderr
    assert session_sent(m)["audio"]["input"]["transcription"]["language"] == "en"
    m = mock()
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"transcribe_language": "Fr"}))
    r = run(voice_args(m, tmp_path) + ["--config", str(path), "--dialect", "beta"], timeout=30)
    assert r.returncode == 0, r.stderr
    assert session_sent(m)["input_audio_transcription"]["language"] == "fr"
    assert m.violations() == []


@pytest.mark.parametrize("model,azure,warned", [
    ("gpt-realtime", False, True),
    ("gpt-realtime-mini", False, True),
    ("gpt-realtime-1.5", False, True),
    ("gpt-realtime-2025-08-28", False, True),
    ("gpt-4o-realtime-preview", False, True),
    ("gpt-4o-mini-realtime-preview-2024-12-17", False, True),
    ("gpt-realtime-2.1", False, False),
    ("gpt-realtime-2-2026-05-01", False, False),
    ("some-future-model", False, False),  # not known to be without reasoning: no word
    ("gpt-realtime", True, False),        # on Azure the model is a deployment's name
])
def test_reasoning_effort_for_a_model_that_does_not_reason(mock, run, model, azure, warned):
    m = mock()
    args = ["--text", "--url", m.url(), "--model", model, "--reasoning-effort", "high"]
    kwargs = {}
    if azure:
        args.append("--azure")
        kwargs = {"key": None, "env": {"AZURE_OPENAI_API_KEY": "azure-test-key"}}
    r = run(args, input="hi\n", **kwargs)
    assert r.returncode == 0, r.stderr
    warnings = [l for l in r.stderr.splitlines() if "reasoning" in l]
    if warned:
        assert len(warnings) == 1, r.stderr
        assert "--reasoning-effort" in warnings[0] and model in warnings[0], warnings
    else:
        assert warnings == [], r.stderr
    # Sent all the same: the schema allows it for any model, and the server has the last word.
    assert session_sent(m)["reasoning"] == {"effort": "high"}
    assert m.violations() == []


def test_reasoning_effort_from_the_config_warns_too(mock, run, tmp_path):
    m = mock()
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model": "gpt-realtime-mini", "reasoning_effort": "low"}))
    r = run(["--text", "--url", m.url(), "--config", str(path)], input="hi\n")
    assert r.returncode == 0, r.stderr
    assert one_line(r.stderr).startswith('voxterm: warning: --reasoning-effort ("reasoning_effort"): '
                                         "gpt-realtime-mini is not a reasoning model"), r.stderr
    assert session_sent(m)["reasoning"] == {"effort": "low"}
