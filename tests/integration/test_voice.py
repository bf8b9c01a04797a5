"""Spoken conversations through audio files, against the mock's server VAD."""

import json
import math
import os
import select
import signal
import struct
import subprocess
import wave

import pytest

from conftest import one_line

RATE = 24000


def write_wav(path, samples, rate=RATE, channels=1):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(struct.pack("<%dh" % len(samples), *samples))


def read_wav(path):
    with wave.open(str(path)) as w:
        assert w.getframerate() == RATE and w.getnchannels() == 1
        return w.readframes(w.getnframes())


def tone(ms, hz=300, amplitude=8000):
    return [int(amplitude * math.sin(2 * math.pi * hz * n / RATE)) for n in range(RATE * ms // 1000)]


def silence(ms):
    return [0] * (RATE * ms // 1000)


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    """A spoken sentence from espeak-ng, as 24 kHz mono 16-bit WAV."""
    d = tmp_path_factory.mktemp("speech")
    raw = d / "espeak.wav"
    out = d / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(raw), "What is the weather like today?"], check=True, timeout=60)
    subprocess.run(["sox", str(raw), "-r", "24000", "-c", "1", "-b", "16", "-e", "signed-integer", str(out)],
                   check=True, timeout=60)
    return out


@pytest.mark.parametrize("dialect", ["ga", "beta"])
def test_a_spoken_turn_is_bit_exact_both_ways(mock, run, speech, tmp_path, dialect):
    heard, said = tmp_path / "heard.raw", tmp_path / "said.raw"
    m = mock("--audio-in", str(heard), "--audio-out", str(said), "--answer-ms", "1500")
    out = tmp_path / "answer.wav"
    r = run(["--dialect", dialect, "--url", m.url(), "--input-file", str(speech), "--output-file", str(out)],
            timeout=60)
    assert r.returncode == 0, r.stderr
    m.settle()  # the mock writes its audio files when the session ends
    lines = r.stdout.splitlines()
    assert lines[0].startswith("you: (") and lines[0].endswith("ms of speech)")
    assert lines[1] == "assistant: This is a 1500 millisecond answer."
    # The microphone: every sample of the file reached the server, in order, then silence.
    sent = read_wav(speech)
    received = heard.read_bytes()
    assert received[:len(sent)] == sent
    assert set(received[len(sent):]) <= {0}
    # The speaker: exactly the audio the server sent.
    assert read_wav(out) == said.read_bytes()
    assert len(said.read_bytes()) == 1500 * 48
    events = m.events()
    session = events[0]["session"]
    if dialect == "ga":
        assert session["audio"]["input"]["turn_detection"]["type"] == "server_vad"
        assert session["audio"]["input"]["transcription"]["model"] == "gpt-live-transcribe"
        assert session["output_modalities"] == ["audio"]
    else:
        assert session["turn_detection"]["type"] == "server_vad"
        # Beta servers know the beta schema's models (docs/protocol.md).
        assert session["input_audio_transcription"]["model"] == "gpt-4o-mini-transcribe"
        assert session["modalities"] == ["text", "audio"]
    appends = [e for e in events if e["type"] == "input_audio_buffer.append"]
    assert all(e["audio"] == "<audio: 960 bytes>" for e in appends)  # 20 ms frames
    assert m.violations() == []
    assert m.errors_sent() == []


def test_talking_over_the_answer_stops_it(mock, run, tmp_path):
    # Speak 1 s; the answer (4 s, streamed in real time) starts ~0.5 s later; speak again 1 s
    # into it. An output file plays everything the moment it arrives, so nothing is left unheard
    # to truncate (tests/integration/test_portaudio.py checks truncation on a real-time output).
    mic = tmp_path / "mic.wav"
    write_wav(mic, tone(1000) + silence(1500) + tone(800, 440) + silence(1500))
    said = tmp_path / "said.raw"
    m = mock("--answer-ms", "4000", "--audio-pace", "1", "--audio-out", str(said))
    out = tmp_path / "answer.wav"
    r = run(["--url", m.url(), "--input-file", str(mic), "--output-file", str(out)], timeout=60)
    assert r.returncode == 0, r.stderr
    m.settle()  # the mock writes its audio files when the session ends
    events = m.events()
    types = [e["type"] for e in events]
    # The server's VAD cancelled the response itself: voxterm sent no response.cancel.
    assert "response.cancel" not in types
    assert "[interrupted]" in r.stdout
    # Two answers were started; the first was cut after about a second, the second played whole.
    # What was played is what was sent with at most one stretch left out: audio of the first
    # answer that arrived but was still queued when the user spoke (a busy machine can queue
    # some) is dropped, never played late.
    played, sent = read_wav(out), said.read_bytes()
    answer = 4000 * 48
    assert answer < len(played) < 6500 * 48 and len(played) <= len(sent)
    kept = next((i for i in range(len(played)) if played[i] != sent[i]), len(played))
    assert played[kept:] == sent[len(sent) - (len(played) - kept):]
    assert played[-answer:] == sent[-answer:]  # the second answer is all there
    assert m.errors_sent() == []
    assert m.violations() == []


def test_a_typed_line_is_answered_aloud(mock, run, tmp_path):
    mic = tmp_path / "quiet.wav"
    write_wav(mic, silence(2500))
    said = tmp_path / "said.raw"
    m = mock("--audio-out", str(said))
    out = tmp_path / "answer.wav"
    r = run(["--url", m.url(), "--input-file", str(mic), "--output-file", str(out)],
            input="tell me a joke\n", timeout=60)
    assert r.returncode == 0, r.stderr
    m.settle()  # the mock writes its audio files when the session ends
    assert "assistant: You said: tell me a joke" in r.stdout
    types = [e["type"] for e in m.events()]
    assert types.count("conversation.item.create") == 1
    assert read_wav(out) == said.read_bytes()


def test_speak_in_text_mode(mock, run, tmp_path):
    said = tmp_path / "said.raw"
    m = mock("--audio-out", str(said))
    out = tmp_path / "spoken.wav"
    r = run(["--text", "--speak", "--output-file", str(out), "--url", m.url()], input="hello\n")
    assert r.returncode == 0, r.stderr
    m.settle()  # the mock writes its audio files when the session ends
    assert r.stdout == "You said: hello\n"  # the transcript, as in text mode
    assert read_wav(out) == said.read_bytes() and len(said.read_bytes()) > 0
    create = [e for e in m.events() if e["type"] == "response.create"][0]
    assert create["response"]["output_modalities"] == ["audio"]


def test_vad_settings_reach_the_session(mock, run, tmp_path):
    mic = tmp_path / "quiet.wav"
    write_wav(mic, silence(300))
    m = mock()
    r = run(["--url", m.url(), "--input-file", str(mic), "--output-file", str(tmp_path / "o.wav"),
             "--vad", "semantic", "--transcribe", "off", "--voice", "marin", "--frame-ms", "40"], timeout=30)
    assert r.returncode == 0, r.stderr
    m.settle()  # the mock writes its audio files when the session ends
    events = m.events()
    audio = events[0]["session"]["audio"]
    assert audio["input"]["turn_detection"] == {"type": "semantic_vad"}
    assert "transcription" not in audio["input"]
    assert audio["output"]["voice"] == "marin"
    appends = [e for e in events if e["type"] == "input_audio_buffer.append"]
    assert appends and all(e["audio"] == "<audio: 1920 bytes>" for e in appends)
    assert m.violations() == []


def test_audio_errors_are_one_line(run, tmp_path):
    r = run(["--input-file", "/nonexistent.wav", "--output-file", str(tmp_path / "o.wav"),
             "--url", "ws://127.0.0.1:1/"])
    assert r.returncode == 2
    # In plain words, not libsndfile's "System error : No such file or directory."
    assert one_line(r.stderr) == "voxterm: error: --input-file /nonexistent.wav: No such file or directory"
    not_audio = tmp_path / "text.wav"
    not_audio.write_text("not audio at all")
    r = run(["--input-file", str(not_audio), "--output-file", str(tmp_path / "o.wav"), "--url", "ws://127.0.0.1:1/"])
    assert r.returncode == 2
    one_line(r.stderr)
    r = run(["--input-file", str(not_audio), "--output-file", "/nonexistent/dir/o.wav", "--url", "ws://127.0.0.1:1/"])
    assert r.returncode == 2
    r = run(["--frame-ms", "5", "--text"])
    assert r.returncode == 2


@pytest.mark.parametrize("no_color", [False, True])
def test_colour_only_on_a_terminal_and_never_with_no_color(mock, tmp_path, no_color):
    import pty
    import select
    import time
    from conftest import BIN, clean_env
    mic = tmp_path / "mic.wav"
    write_wav(mic, tone(800) + silence(1500))
    m = mock("--answer-ms", "300")
    env = clean_env(tmp_path, extra={"NO_COLOR": "1"} if no_color else None)
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(BIN, [BIN, "--url", m.url(), "--input-file", str(mic), "--output-file",
                        str(tmp_path / "o.wav")], env)
    out = b""
    deadline = time.time() + 30
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0, out
    assert b"assistant: " in out.replace(b"\x1b[32m", b"").replace(b"\x1b[0m", b"")
    colours = b"\x1b[36m" in out or b"\x1b[32m" in out
    assert colours == (not no_color), out
    assert b"listening" in out  # the status line, drawn on a terminal


def test_no_colour_and_no_status_line_into_a_pipe(mock, run, tmp_path):
    mic = tmp_path / "mic.wav"
    write_wav(mic, tone(800) + silence(1500))
    m = mock("--answer-ms", "300")
    r = run(["--url", m.url(), "--input-file", str(mic), "--output-file", str(tmp_path / "o.wav")], timeout=30)
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stdout and "\x1b" not in r.stderr
    assert "listening" not in r.stderr


def test_a_silent_server_is_reported_in_a_spoken_conversation(mock, start, tmp_path):
    mic = tmp_path / "quiet.wav"
    write_wav(mic, silence(30000))
    m = mock()
    p = start(["--url", m.url(), "--input-file", str(mic), "--output-file", str(tmp_path / "a.wav"),
               "--answer-timeout-ms", "1000"], env={"NO_COLOR": "1"})
    p.stdin.write("mock:stall\n")
    p.stdin.flush()
    ready, _, _ = select.select([p.stderr], [], [], 20)
    assert ready, "no notice within 20 s"
    line = p.stderr.readline()  # the first thing voxterm says: the notice
    assert line == "voxterm: the server has sent nothing for 1 s; still waiting (Ctrl-C to quit)\n"
    assert p.poll() is None  # a conversation goes on waiting: the user decides
    p.send_signal(signal.SIGTERM)
    assert p.wait(10) == 130
    assert m.violations() == []


def test_a_transcript_file_has_both_sides_with_times(mock, run, speech, tmp_path):
    """--transcript in a spoken conversation: the spoken turn, a typed one, and the answers."""
    import re
    m = mock()
    out = tmp_path / "answer.wav"
    talk = tmp_path / "talk.md"
    r = run(["--url", m.url(), "--input-file", str(speech), "--output-file", str(out),
             "--transcript", str(talk)], input="and a typed line\n", timeout=90)
    assert r.returncode == 0, r.stderr
    assert "you: and a typed line" in r.stdout  # a typed turn has its line on the screen too
    entries = re.findall(r"\*\*(you|you \(typed\)|assistant)\*\* \(\d\d:\d\d:\d\d\): (.*)\n\n",
                         talk.read_text())
    assert ("you (typed)", "and a typed line") in entries
    assert ("assistant", "You said: and a typed line") in entries
    assert any(who == "you" for who, _ in entries)  # the spoken turn's transcript
    assert oct(talk.stat().st_mode & 0o777) == "0o600"


def test_a_transcript_file_in_text_mode(mock, run, tmp_path):
    talk = tmp_path / "talk.txt"
    m = mock()
    r = run(["--text", "--transcript", str(talk), "--url", m.url()], input="hello\nagain\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "You said: hello\nYou said: again\n"  # stdout is unchanged
    import re
    lines = [re.sub(r"^\[\d\d:\d\d:\d\d\] ", "", line) for line in talk.read_text().splitlines()]
    assert lines == ["you (typed): hello", "assistant: You said: hello",
                     "you (typed): again", "assistant: You said: again"]
