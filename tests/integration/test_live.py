"""GPT-Live (issue 18, items 1, 2, 5 and 6): voxterm against the mock's GPT-Live side
(tests/mock/live_session.py, written from ../shared/protocol/LIVE.md): selecting it, a spoken
conversation over files and over PortAudio, the model's own barge-in, delegations answered,
expiry with the history, each session.closed reason, the polite close, usage."""

import json
import signal
import subprocess
import time

import pytest

from conftest import BIN, clean_env, one_line
from test_voice import silence, tone, write_wav

LIVE_PATH = "/v1/live/sessions"
LIVE_EVENTS = {"session.start", "session.input_audio.append", "session.commentary.append",
               "session.close"}


def live_url(m):
    return m.url(path=LIVE_PATH)


def spoken(tmp_path, *parts, name="mic.wav"):
    """A WAV of tone (speech to the mock's VAD) and silence: ("tone", ms) or ("silence", ms)."""
    samples = []
    for kind, ms in parts:
        samples += tone(ms) if kind == "tone" else silence(ms)
    path = tmp_path / name
    write_wav(path, samples)
    return path


def run_live(run, m, tmp_path, mic, *extra, timeout=60):
    out = tmp_path / "answer.wav"
    return run(["--model", "gpt-live-1.1", "--url", live_url(m), "--input-file", str(mic),
                "--output-file", str(out)] + list(extra), timeout=timeout)


def sent_types(m):
    return [e["type"] for e in m.events()]


def records(m, key):
    return [r[key] for r in m.records() if key in r]


def test_a_spoken_turn_and_its_answer(mock, run, tmp_path):
    m = mock()
    mic = spoken(tmp_path, ("silence", 300), ("tone", 1000), ("silence", 1000))
    log = tmp_path / "events.jsonl"
    r = run_live(run, m, tmp_path, mic, "--log-events", str(log), "-v")
    assert r.returncode == 0, r.stderr
    assert "you: (1000 ms of speech)" in r.stdout
    assert "assistant: I heard 1000 ms of speech." in r.stdout
    assert m.violations() == []
    types = sent_types(m)
    # session.start first, then audio for the whole session, then session.close; nothing of
    # Realtime's on the Live socket.
    assert types[0] == "session.start"
    assert set(types) <= LIVE_EVENTS
    assert types[-1] == "session.close"
    start = m.events()[0]["session"]
    assert start["model"] == "gpt-live-1.1"
    assert start["audio"]["format"] == {"type": "audio/pcm", "rate": 24000}
    assert start["delegation"] == {"type": "client"}
    closed = records(m, "live_closed")
    assert closed and closed[0]["reason"] == "close_requested"
    # The answer's audio reached the output file.
    assert (tmp_path / "answer.wav").stat().st_size > 44 + 24000
    # The event log shows GPT-Live's events both ways, audio as its length.
    logged = [json.loads(line) for line in log.read_text().splitlines()]
    both = {(e["dir"], e["event"]["type"]) for e in logged}
    assert ("out", "session.start") in both and ("in", "session.started") in both
    assert ("in", "session.output_audio.delta") in both and ("in", "session.closed") in both
    audio = next(e["event"] for e in logged if e["event"]["type"] == "session.output_audio.delta")
    assert audio["delta"].startswith("<audio: ")
    # Usage: the session's seconds and their cost.
    assert "s of GPT-Live session time" in r.stderr
    assert "estimated cost: $" in r.stderr and "gpt-live-1.1 prices" in r.stderr


def test_audio_streams_to_the_end_silence_included(mock, run, tmp_path):
    m = mock("--live-answer-ms", "1500")
    mic = spoken(tmp_path, ("tone", 600), ("silence", 200))  # the answer outlasts the file
    r = run_live(run, m, tmp_path, mic)
    assert r.returncode == 0, r.stderr
    assert "assistant: I heard 600 ms of speech." in r.stdout  # the whole answer, not cut
    appends = [e for e in m.events() if e["type"] == "session.input_audio.append"]
    # 800 ms of file, then silence while the answer played (the mock's timeline runs on input).
    assert len(appends) * 20 > 800 + 1500


def test_the_model_stops_for_the_user(mock, run, tmp_path):
    m = mock("--live-answer-ms", "3000", "--live-barge-in-ms", "300")
    mic = spoken(tmp_path, ("tone", 800), ("silence", 1500), ("tone", 700), ("silence", 3000))
    r = run_live(run, m, tmp_path, mic)
    assert r.returncode == 0, r.stderr
    assert records(m, "barge_in"), "the mock's model never stopped"
    lines = r.stdout.splitlines()
    first = next(line for line in lines if line.startswith("assistant: I heard 800"))
    assert first.endswith("[interrupted]") and "speech." not in first
    assert "you: (700 ms of speech)" in lines
    assert m.violations() == []


def test_a_delegation_is_answered_at_once(mock, run, tmp_path):
    m = mock("--live-delegate", "uptime", "{}")
    mic = spoken(tmp_path, ("tone", 800), ("silence", 4000))
    r = run_live(run, m, tmp_path, mic, "-v")
    assert r.returncode == 0, r.stderr
    created = records(m, "delegation_created")
    answered = records(m, "delegation_answered")
    assert created and len(answered) == len(created)
    assert {a["by"] for a in answered} == {"commentary"}
    assert records(m, "live_unanswered") == []
    commentary = [e for e in m.events() if e["type"] == "session.commentary.append"]
    assert commentary[0]["delegation_id"] == created[0]["id"]
    assert "cannot" in commentary[0]["content"]
    assert "without tools voxterm cannot carry it out" in r.stderr


def test_an_expired_session_goes_on_with_its_history(mock, run, tmp_path):
    m = mock("--live-expire-ms", "3500")
    mic = spoken(tmp_path, ("tone", 800), ("silence", 3500), ("tone", 600), ("silence", 2500))
    r = run_live(run, m, tmp_path, mic, "-v")
    assert r.returncode == 0, r.stderr
    started = records(m, "live_started")
    assert len(started) >= 2
    assert started[1]["input_messages"] >= 2  # the first turn and its answer
    starts = [e for e in m.events() if e["type"] == "session.start"]
    history = starts[1]["session"]["input"]
    assert history[0] == {"type": "message", "role": "user",
                          "content": [{"type": "input_text", "text": "(800 ms of speech)"}]}
    assert history[1]["role"] == "assistant"
    assert history[1]["content"][0]["text"].startswith("I heard 800 ms of speech.")
    assert "you: (600 ms of speech)" in r.stdout  # the conversation went on
    assert "renewing the session" in r.stderr
    # Appends already on their way when the server closed the session cannot be helped (the
    # mock counts its refusals of them as violations); nothing else is one.
    in_flight = "session.input_audio.append: The session is closing"
    assert [v for v in m.violations() if not v.startswith(in_flight)] == []


@pytest.mark.parametrize("reason, code, words", [
    ("content", 1, "its safety system stopped the conversation (content)"),
])
def test_a_session_ended_for_good(mock, run, tmp_path, reason, code, words):
    m = mock("--live-expire-ms", "1500", "--live-close-reason", reason)
    mic = spoken(tmp_path, ("tone", 600), ("silence", 4000))
    r = run_live(run, m, tmp_path, mic)
    assert r.returncode == code, r.stderr
    assert words in one_line(r.stderr)


def test_a_remote_hangup_reconnects(mock, run, tmp_path):
    m = mock("--live-expire-ms", "1500", "--live-close-reason", "remote_hangup")
    mic = spoken(tmp_path, ("tone", 600), ("silence", 2500))
    r = run_live(run, m, tmp_path, mic)
    assert "the server closed the session (remote_hangup); reconnecting" in r.stderr
    assert len(records(m, "live_started")) >= 2


def test_an_error_before_the_session_starts_is_fatal(mock, run, tmp_path):
    m = mock("--live-error-at-start", "unknown_parameter")
    mic = spoken(tmp_path, ("tone", 300))
    r = run_live(run, m, tmp_path, mic)
    assert r.returncode == 3, r.stderr
    line = one_line(r.stderr)
    assert line.startswith("voxterm: error: the server refused the session: unknown_parameter")
    assert sent_types(m) == ["session.start"]  # nothing else before session.started


def test_a_model_the_server_does_not_offer(mock, run, tmp_path):
    m = mock("--live-error-at-start", "model_not_found")
    r = run_live(run, m, tmp_path, spoken(tmp_path, ("tone", 300)))
    assert r.returncode == 3, r.stderr
    assert 'model "gpt-live-1.1"' in one_line(r.stderr)


@pytest.mark.parametrize("flag", [["--text"], ["--text", "--speak"]])
def test_text_mode_is_refused_with_gpt_live(run, flag):
    r = run(["--model", "gpt-live-1.1", "--url", "ws://127.0.0.1:1" + LIVE_PATH] + flag)
    assert r.returncode == 2
    assert "not possible with GPT-Live" in one_line(r.stderr)


def test_ctrl_c_closes_the_session_politely(mock, tmp_path):
    m = mock()
    mic = spoken(tmp_path, ("tone", 600), ("silence", 20000))
    env = clean_env(tmp_path)
    p = subprocess.Popen([BIN, "--model", "gpt-live-1.1", "--url", live_url(m), "--input-file", str(mic),
                          "--output-file", str(tmp_path / "a.wav")],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env)
    deadline = time.time() + 20
    while time.time() < deadline and not records(m, "live_turn"):
        time.sleep(0.1)
    p.send_signal(signal.SIGINT)
    assert p.wait(5) == 130
    m.settle()
    assert sent_types(m)[-1] == "session.close"
    assert records(m, "live_closed")[-1]["reason"] == "close_requested"


def test_stats_carry_the_session_seconds(mock, run, tmp_path):
    m = mock("--live-usage-ms", "1000")
    stats = tmp_path / "stats.json"
    r = run_live(run, m, tmp_path, spoken(tmp_path, ("tone", 600), ("silence", 2500)),
                 "--stats", str(stats))
    assert r.returncode == 0, r.stderr
    usage = json.loads(stats.read_text())["usage"]
    assert usage["live_seconds"] >= 3
    assert usage["cost_usd"] == pytest.approx(usage["live_seconds"] / 60 * 0.05)


def test_what_a_hostile_server_sends_is_skipped(mock, run, tmp_path):
    m = mock("--live-garbage")
    r = run_live(run, m, tmp_path, spoken(tmp_path, ("tone", 1000), ("silence", 1500)))
    assert r.returncode == 0, r.stderr
    assert "assistant: I heard 1000 ms of speech." in r.stdout  # the conversation went on
    assert "skipped a server message: JSON nested deeper than 64 levels" in r.stderr
    assert "Traceback" not in r.stderr and m.violations() == []


def test_words_heard_while_the_user_talks_make_one_line(mock, run, tmp_path):
    m = mock("--live-transcript-step-ms", "200")
    r = run_live(run, m, tmp_path, spoken(tmp_path, ("tone", 800), ("silence", 2500)))
    assert r.returncode == 0, r.stderr
    you = [line for line in r.stdout.splitlines() if line.startswith("you:")]
    assert you == ["you: one two three four (800 ms of speech)"]


def test_a_dropped_connection_reconnects_with_the_history(mock, run, tmp_path):
    m = mock("--live-drop-ms", "3500")
    mic = spoken(tmp_path, ("tone", 800), ("silence", 3500), ("tone", 600), ("silence", 2500))
    r = run_live(run, m, tmp_path, mic)
    assert r.returncode == 0, r.stderr
    assert "reconnecting in" in r.stderr
    started = records(m, "live_started")
    assert len(started) == 2 and started[1]["input_messages"] >= 2
    assert "you: (600 ms of speech)" in r.stdout
    # The answer the drop cut off was dropped with it: not closed again, with a warning.
    assert "warning" not in r.stderr


def test_a_refused_upgrade_is_a_connection_failure(mock, run, tmp_path):
    m = mock("--http-status", "401")
    r = run_live(run, m, tmp_path, spoken(tmp_path, ("tone", 300)))
    assert r.returncode == 3, r.stderr
    assert "401" in one_line(r.stderr)
    assert m.events() == []
