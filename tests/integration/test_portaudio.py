"""Real PortAudio without a sound card: ALSA's file plugin over a private PulseAudio with null
sinks (../shared/TESTING.md). The file plugin makes what is captured and played bit-exact
files; PulseAudio paces them in real time, as a sound card would."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import BIN, clean_env, one_line, peak_rss_kb
from pulse_env import Pulse
from test_voice import RATE, silence, speech, tone  # noqa: F401  (speech is a fixture)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mock"))
from realtime_mock import mock_audio  # noqa: E402  the mock's own answer, to look for

pytestmark = pytest.mark.skipif(shutil.which("pulseaudio") is None, reason="needs pulseaudio")


@pytest.fixture
def pulse(tmp_path):
    p = Pulse(str(tmp_path / "pulse"))
    yield p
    p.stop()


def raw(samples):
    import struct
    return struct.pack("<%dh" % len(samples), *samples)


def wait_for(predicate, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def start_voxterm(tmp_path, pulse, args):
    env = clean_env(tmp_path, extra=pulse.env)
    return subprocess.Popen([BIN] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def stderr_of(p):
    """What a voxterm that failed a check wrote, read after killing it (a live one never ends it)."""
    p.kill()
    return p.stderr.read()


def test_devices_are_listed(pulse, tmp_path, run):
    pulse.devices(os.devnull, str(tmp_path / "out.raw"))
    r = run(["devices"], env=pulse.env)
    assert r.returncode == 0, r.stderr
    assert "rt_capture" in r.stdout and "rt_play" in r.stdout
    assert "in,out" in r.stdout  # the default
    assert r.stderr == ""  # ALSA's and JACK's probing noise stays out of sight


def test_devices_as_json(pulse, tmp_path, run):
    import json
    pulse.devices(os.devnull, str(tmp_path / "out.raw"))
    r = run(["devices", "--json"], env=pulse.env)
    assert r.returncode == 0, r.stderr
    devices = json.loads(r.stdout)
    by_name = {d["name"]: d for d in devices}
    assert by_name["rt_capture"]["input_channels"] > 0
    assert by_name["rt_play"]["output_channels"] > 0
    assert set(devices[0]) == {"index", "name", "host_api", "input_channels", "output_channels",
                               "default_rate_hz", "default_input", "default_output"}
    assert sum(d["default_input"] for d in devices) == 1


def test_devices_test_plays_a_tone_and_hears_the_microphone(pulse, tmp_path, run):
    mic = tmp_path / "mic.raw"
    mic.write_bytes(raw(tone(6000, amplitude=4000)))  # about -18 dBFS
    played = tmp_path / "played.raw"
    pulse.devices(str(mic), str(played))
    r = run(["devices", "--test", "--input-device", "rt_capture", "--output-device", "rt_play"],
            env=pulse.env, timeout=30)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "speaker: a 440 Hz tone for 1 s"
    assert re.fullmatch(r"speaker: 1\.0 s played", lines[1]), lines
    level = int(re.fullmatch(r"microphone: loudest (-\d+) dBFS .*", lines[2]).group(1))
    assert -22 <= level <= -14, lines
    out = played.read_bytes()
    assert len(out.strip(b"\0")) > 0.9 * 2 * 24000  # the tone reached the speaker (24 kHz or more)


def test_devices_test_says_when_the_microphone_is_silent(pulse, tmp_path, run):
    mic = tmp_path / "mic.raw"
    mic.write_bytes(raw(silence(6000)))
    pulse.devices(str(mic), str(tmp_path / "played.raw"))
    r = run(["devices", "--test"], env=pulse.env, timeout=30)
    assert r.returncode == 1
    assert r.stdout.splitlines()[-1].startswith("microphone: silent")


def test_a_missing_device_lists_what_exists(pulse, tmp_path, run):
    pulse.devices(os.devnull, str(tmp_path / "out.raw"))
    r = run(["--output-device", "no-such-speaker", "--url", "ws://127.0.0.1:1/"], env=pulse.env)
    assert r.returncode == 2
    line = one_line(r.stderr)
    assert 'no audio output device "no-such-speaker"' in line and '"rt_play"' in line


def test_a_spoken_turn_through_portaudio_is_bit_exact(pulse, mock, tmp_path, speech):
    mic = tmp_path / "mic.raw"
    mic.write_bytes(speech_raw(speech) + raw(silence(1500)))
    played = tmp_path / "played.raw"
    pulse.devices(str(mic), str(played))
    heard = tmp_path / "heard.raw"
    m = mock("--audio-in", str(heard), "--answer-ms", "1500")
    answer = mock_audio(1500 * RATE // 1000)
    recording = tmp_path / "both.wav"
    # --headphones: no echo control, so that the microphone reaches the server untouched.
    p = start_voxterm(tmp_path, pulse, ["--url", m.url(), "--headphones", "--input-device", "rt_capture",
                                        "--output-device", "rt_play", "--record", str(recording)])
    try:
        assert wait_for(lambda: played.exists() and answer in played.read_bytes(), 30), stderr_of(p)
    finally:
        p.send_signal(signal.SIGINT)
    assert p.wait(10) == 130
    m.settle()
    assert "assistant: This is a 1500 millisecond answer." in p.stdout.read()
    # The microphone: the speech is what the server heard first, bit for bit.
    assert heard.read_bytes().startswith(speech_raw(speech))
    # The speaker: the answer, bit for bit, with silence around it.
    out = played.read_bytes()
    start = out.find(answer)
    assert set(out[:start]) <= {0} and set(out[start + len(answer):]) <= {0}
    assert m.violations() == []
    # --record: the microphone on the left as sent, the speaker on the right as played.
    import wave
    with wave.open(str(recording)) as w:
        assert (w.getnchannels(), w.getframerate()) == (2, RATE)
        frames = w.readframes(w.getnframes())
    left = b"".join(frames[i:i + 2] for i in range(0, len(frames), 4))
    right = b"".join(frames[i + 2:i + 4] for i in range(0, len(frames), 4))
    assert left.startswith(speech_raw(speech))
    assert answer in right
    # In step: the answer starts on the right after the speech ended on the left.
    assert right.find(answer) > len(speech_raw(speech))


def test_verbose_reports_the_callbacks_and_whether_real_time_took(pulse, mock, tmp_path):
    mic = tmp_path / "mic.raw"
    mic.write_bytes(raw(silence(3000)))
    played = tmp_path / "played.raw"
    pulse.devices(str(mic), str(played))
    m = mock()
    p = start_voxterm(tmp_path, pulse, ["--url", m.url(), "--headphones", "--input-device", "rt_capture",
                                        "--output-device", "rt_play", "-v"])
    try:
        # Half a second of the output's silence: both streams have run for a while.
        assert wait_for(lambda: played.exists() and played.stat().st_size > RATE, 30), stderr_of(p)
    finally:
        p.send_signal(signal.SIGINT)
    assert p.wait(10) == 130
    reports = [line for line in p.stderr.read().splitlines() if "callbacks of" in line]
    assert sorted(r.split(":")[1].strip() for r in reports) == ["audio input", "audio output"], reports
    for report in reports:
        # Callback times in microseconds ("0.00 ms" said nothing), and whether the system gave the
        # stream's thread real time, which PortAudio asks for and gives up on quietly.
        assert re.search(r"the longest took \d+ us", report), report
        assert re.search(r"; (real-time scheduling \(SCHED_(FIFO|RR) \d+\)|normal scheduling \(the system "
                         r"refused real time\))$", report), report


def speech_raw(wav_path):
    import wave
    with wave.open(str(wav_path)) as w:
        return w.readframes(w.getnframes())


def test_barge_in_truncates_at_the_played_position(pulse, mock, tmp_path):
    # Speak 1 s; the answer (4 s, sent at twice real time, so it is queued ahead of the speaker)
    # starts playing about 0.6 s later; speak again 1 s into it.
    mic = tmp_path / "mic.raw"
    mic.write_bytes(raw(tone(1000) + silence(1600) + tone(800, 440) + silence(3000)))
    played = tmp_path / "played.raw"
    pulse.devices(str(mic), str(played))
    m = mock("--answer-ms", "4000", "--audio-pace", "2")
    # No room lies between this file microphone and the speaker (as with headphones). With aec,
    # WebRTC's suppressor took the pure 440 Hz tone "user" over the mock's tonal answer for echo
    # in some runs (their coherence is high); a voice over a voice is tested in test_echo.py.
    p = start_voxterm(tmp_path, pulse, ["--url", m.url(), "--headphones"])
    try:
        assert wait_for(lambda: "conversation.item.truncate" in
                        [e["type"] for e in m.events(settle=False)], 30), stderr_of(p)
        time.sleep(0.5)
    finally:
        p.send_signal(signal.SIGINT)
    assert p.wait(10) == 130
    events = m.events()
    (truncate,) = [e for e in events if e["type"] == "conversation.item.truncate"]
    assert "response.cancel" not in [e["type"] for e in events]  # the server's VAD cancelled
    assert m.errors_sent() == []
    # What was played of the first answer: its samples, exactly, up to the cut and its fade.
    answer = mock_audio(4000 * RATE // 1000)
    out = played.read_bytes()
    start = out.find(answer[:4800])
    assert start >= 0
    exact = 0
    while exact < len(answer) and out[start + exact:start + exact + 2] == answer[exact:exact + 2]:
        exact += 2
    heard_samples = exact // 2 + 95  # the first fade sample equals the original, 95 more follow
    # The truncate says exactly what the speaker played, to the millisecond.
    assert abs(truncate["audio_end_ms"] - heard_samples * 1000 // RATE) <= 1, (truncate, exact)
    assert 500 <= truncate["audio_end_ms"] <= 2000
    # After the fade, silence: the rest of the first answer was never played. What plays next is
    # the answer to the interruption, from its own beginning (the mock's answers share a
    # waveform, so position tells them apart).
    cut = start + exact + 2 * 95
    second = out.find(answer[:4800], cut)
    assert set(out[cut:second if second > 0 else len(out)]) <= {0}


def played_exactly(out, at, audio):
    """How many bytes of audio were played exactly from out[at] on."""
    exact = 0
    while exact < len(audio) and out[at + exact:at + exact + 2] == audio[exact:exact + 2]:
        exact += 2
    return exact


@pytest.mark.parametrize("during", ["answer", "preamble"])
def test_barge_in_truncates_the_message_that_was_playing(pulse, mock, tmp_path, during):
    # A reasoning model's response: a spoken preamble, then the answer, each an item of its own.
    # Speak 1 s; the response starts playing about 0.6 s later; speak again 1 s into the answer
    # (after a 1 s preamble), or 1 s into a 3 s preamble (the answer already queued behind it,
    # as the mock sends at four times real time).
    preamble_ms = 1000 if during == "answer" else 3000
    gap_ms = 2600 if during == "answer" else 1600
    mic = tmp_path / "mic.raw"
    mic.write_bytes(raw(tone(1000) + silence(gap_ms) + tone(800, 440) + silence(3000)))
    played = tmp_path / "played.raw"
    pulse.devices(str(mic), str(played))
    m = mock("--preamble-ms", str(preamble_ms), "--answer-ms", "3000", "--audio-pace",
             "2" if during == "answer" else "4")
    log = tmp_path / "events.jsonl"
    # A file microphone with no room in between, as with headphones (see the test above).
    p = start_voxterm(tmp_path, pulse, ["--url", m.url(), "--log-events", str(log), "--headphones"])
    try:
        assert wait_for(lambda: "conversation.item.truncate" in
                        [e["type"] for e in m.events(settle=False)], 30), stderr_of(p)
        time.sleep(0.5)
    finally:
        p.send_signal(signal.SIGINT)
    assert p.wait(10) == 130
    events = m.events()
    assert m.errors_sent() == [] and m.violations() == []
    import json
    with open(log) as f:
        added = [json.loads(line)["event"] for line in f]
    first, second = [e["item"]["id"] for e in added if e.get("type") == "response.output_item.added"][:2]
    truncates = {e["item_id"]: e["audio_end_ms"] for e in events if e["type"] == "conversation.item.truncate"}
    preamble = mock_audio(preamble_ms * RATE // 1000)
    answer = mock_audio(3000 * RATE // 1000)
    out = played.read_bytes()
    if during == "answer":
        # The two messages played one after the other, no gap, no overlap; the answer was cut
        # and truncated at what the speaker played of it, counted from its own start.
        start = out.find(preamble + answer[:4800])
        assert start >= 0
        exact = played_exactly(out, start + len(preamble), answer)
        assert list(truncates) == [second], truncates
    else:
        # The preamble was cut and truncated at what was played of it; the answer behind it was
        # never heard, and is truncated to nothing.
        start = out.find(preamble[:4800])
        assert start >= 0
        exact = played_exactly(out, start, preamble)
        assert list(truncates) == [first, second] and truncates[second] == 0, truncates
    heard_samples = exact // 2 + 95  # the first fade sample equals the original, 95 more follow
    cut = truncates[second if during == "answer" else first]
    assert abs(cut - heard_samples * 1000 // RATE) <= 1, (truncates, exact)
    assert 500 <= cut <= 2000


def test_a_gpt_live_turn_through_portaudio(pulse, mock, tmp_path):
    """GPT-Live (issue 18): the microphone streams to the mock's GPT-Live side and its answer
    plays on the speaker, through the same playback path as Realtime's."""
    mic = tmp_path / "mic.raw"
    mic.write_bytes(raw(silence(300) + tone(800) + silence(6000)))
    played = tmp_path / "played.raw"
    pulse.devices(str(mic), str(played))
    m = mock()
    p = start_voxterm(tmp_path, pulse, ["--model", "gpt-live-1.1", "--url", m.url(path="/v1/live/sessions"),
                                        "--headphones", "--input-device", "rt_capture",
                                        "--output-device", "rt_play"])

    def said():
        return [r["live_said"] for r in m.raw_records() if "live_said" in r]

    try:
        # The whole answer (six words of 200 ms) said and heard: its words show as they play.
        assert wait_for(lambda: [s for s in said() if s["words"] == s["of"]], 30), stderr_of(p)
        assert wait_for(lambda: played.exists() and len(played.read_bytes().strip(b"\0")) > 0.9 * 2 * 1200 * 24,
                        30), stderr_of(p)
        time.sleep(3)  # the answer over (2 s of silence): every word of it is shown
    finally:
        p.send_signal(signal.SIGINT)
    assert p.wait(10) == 130
    m.settle()
    assert "assistant: I heard 800 ms of speech." in p.stdout.read()
    assert [e["type"] for e in m.events()][-1] == "session.close"
    assert m.violations() == []


@pytest.mark.skipif(bool(os.environ.get("VOXTERM_SANITIZER")), reason="sanitizers inflate memory")
def test_audio_sent_far_ahead_of_the_speaker_is_bounded(pulse, mock, tmp_path):
    # A server that sends a 20-minute answer all at once (57.6 MB of samples): a hostile one, or
    # one far faster than any real server. Only the speaker could take it, in real time.
    (tmp_path / "mic.raw").write_bytes(b"")
    pulse.devices(str(tmp_path / "mic.raw"), os.devnull)
    m = mock()
    p = start_voxterm(tmp_path, pulse, ["--text", "--speak", "--url", m.url()])
    p.stdin.write("mock:audio 1200000\n")
    p.stdin.flush()
    # Until voxterm has taken all of it: its high-water mark stops growing.
    peak, steady_since = 0, time.time()
    deadline = time.time() + 90
    while time.time() - steady_since < 3 and time.time() < deadline:
        now = peak_rss_kb(p.pid)
        if now > peak:
            peak, steady_since = now, time.time()
        time.sleep(0.2)
    p.send_signal(signal.SIGINT)
    err = p.communicate(timeout=20)[1]
    # What waits for the speaker stops at five minutes (14.4 MB at the sink's 24 kHz); the rest
    # is dropped, and said so, once.
    # With the baseline and the 8 MiB the network may hold ahead of the main thread: about 34 MB.
    # (A backlog that grew by doubling held 25 MB at once, and peaked at 42 to 46 MB.)
    assert peak < 40 * 1024, peak
    assert err.count("dropped audio of an answer: more than 300 s of it already waits") == 1, err
