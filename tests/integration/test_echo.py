"""Echo control end to end, in a room made of PulseAudio: what voxterm's speaker plays goes back
into its microphone as loud as it was played (module-loopback from the speaker's monitor into
the microphone's sink), through real PortAudio, and the mock's VAD decides what is speech, as a
server's would. The answer is speech (espeak-ng), ten seconds of it."""

import json
import os
import shutil
import signal
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
    user = espeak(d, "user", "Stop, stop. I need to ask you something else.", "en-gb+f3")
    return answer, user


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


def converse(tmp_path, pulse, mock, voices, args, user_after_s=None):
    """A ten-second spoken answer through the room, with a user talking over it user_after_s
    into it, or silent. Returns voxterm's server events as (t_ms, type), when the first of the
    answer arrived (t_ms), and how many seconds of sound the speaker played."""
    answer, user = voices
    played = tmp_path / "played.raw"
    pulse.live(str(played))
    pulse.loop_speaker_into_mic()
    m = mock("--answer-audio", answer)
    log = str(tmp_path / "events.jsonl")
    stderr = tmp_path / "stderr.txt"
    p = subprocess.Popen([BIN, "--url", m.url(), "--log-events", log] + args, stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=stderr.open("w"), text=True,
                         env=clean_env(tmp_path, extra=pulse.env))
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
            pulse.say_into_mic(user).wait(20)
        wait_for(lambda: speech_starts(server_events(log)), max(0.1, end - time.time()))
        time.sleep(0.5)
    finally:
        p.send_signal(signal.SIGINT)
    assert p.wait(10) == 130, stderr.read_text()
    return server_events(log), answer_at_ms, sound_seconds(played)


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
    events, answer_at, played_s = converse(tmp_path, pulse, mock, voices, ["--echo", "off"])
    assert speech_starts(events), events
    assert speech_starts(events)[0] < answer_at + 3000
    assert played_s < 5


@pytest.mark.parametrize("mode", ["aec", "half-duplex", "gate"])
def test_a_ten_second_answer_does_not_interrupt_itself(pulse, mock, tmp_path, voices, mode):
    events, _, played_s = converse(tmp_path, pulse, mock, voices, ["--echo", mode])
    assert speech_starts(events) == [], events
    # All of it was played (espeak's pauses between words are silent).
    assert played_s > 7, played_s


def test_aec_is_the_default_and_a_user_talking_over_the_answer_is_heard(pulse, mock, tmp_path, voices):
    events, answer_at, played_s = converse(tmp_path, pulse, mock, voices, [], user_after_s=4)
    starts = speech_starts(events)
    assert starts, events
    # Heard when they spoke, not before: the answer was 4 s in, and it stopped there.
    assert answer_at + 3500 < starts[0] < answer_at + 6000, (starts, answer_at)
    assert played_s < 6.5, played_s
