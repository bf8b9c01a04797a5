"""Push-to-talk: a real voxterm --ptt in a pty, keys typed into it, real PortAudio over the
headless PulseAudio of test_portaudio.py, against the mock."""

import json
import os
import pty
import signal
import termios

import pytest

from conftest import BIN, Pty, clean_env
from test_portaudio import Pulse, pulse, raw, wait_for  # noqa: F401  (pulse is a fixture)
from test_voice import silence, tone


class PttProcess(Pty):
    """voxterm --ptt in a pty, started as a job-control shell would start it: in its own
    foreground process group under a parent that stays in the session. (A lone session leader's
    process group is orphaned, and Linux ignores Ctrl-Z's stop signal for those.)"""

    def __init__(self, tmp_path, pulse, args):
        # NO_COLOR: these tests look for words, not for their colours.
        env = clean_env(tmp_path, extra=dict(pulse.env, NO_COLOR="1"))
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            child = os.fork()
            if child == 0:
                signal.signal(signal.SIGTTOU, signal.SIG_IGN)
                os.setpgid(0, 0)
                os.tcsetpgrp(0, os.getpid())
                signal.signal(signal.SIGTTOU, signal.SIG_DFL)
                os.execve(BIN, [BIN, "--ptt"] + args, env)
            while True:  # the "shell": waits out stops, exits as its job does
                _, status = os.waitpid(child, os.WUNTRACED)
                if not os.WIFSTOPPED(status):
                    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
        self.out = b""
        self.saved = termios.tcgetattr(self.fd)  # the pty as voxterm found it

    def lflag(self):
        return termios.tcgetattr(self.fd)[3]


def types(m):
    return [e["type"] for e in m.events(settle=False) if e["type"] != "input_audio_buffer.append"]


@pytest.fixture
def talking(pulse, tmp_path):
    """A microphone that talks all the time: takes are cut by the keys alone."""
    mic = tmp_path / "mic.raw"
    mic.write_bytes(raw(tone(60000)))
    pulse.devices(str(mic), str(tmp_path / "played.raw"))
    return pulse


def test_press_talk_press_gets_an_answer(talking, mock, tmp_path):
    m = mock("--answer-ms", "500")
    p = PttProcess(tmp_path, talking, ["--url", m.url()])
    assert p.wait_for(b"press space to talk"), p.out
    assert not p.lflag() & termios.ICANON  # raw mode
    p.key(b" ")
    assert p.wait_for(b"recording")
    p.pause(1.0)
    p.key(b" ")
    assert p.wait_for(b"assistant: This is a 500 millisecond answer."), p.out
    assert p.wait_for(b"press space to talk")
    p.key(b"q")
    assert p.finish() == 0
    assert termios.tcgetattr(p.fd) == p.saved  # the terminal as it was found
    events = m.events()
    session = events[0]["session"]
    assert session["audio"]["input"]["turn_detection"] is None
    kinds = [e["type"] for e in events if e["type"] != "input_audio_buffer.append"]
    assert kinds == ["session.update", "input_audio_buffer.clear", "input_audio_buffer.commit",
                     "response.create"]
    # A second of talk, plus the pre-roll and the tail, reached the server before the commit.
    appends = sum(int(e["audio"].split()[1]) for e in events if e["type"] == "input_audio_buffer.append")
    assert 1.1 * 48000 < appends < 2.5 * 48000
    assert m.violations() == [] and m.errors_sent() == []


def test_a_press_during_the_answer_interrupts_it(talking, mock, tmp_path):
    m = mock("--answer-ms", "6000", "--audio-pace", "2")
    p = PttProcess(tmp_path, talking, ["--url", m.url()])
    assert p.wait_for(b"press space to talk")
    p.key(b" ")
    p.pause(0.6)
    p.key(b" ")
    assert p.wait_for(b"assistant:")
    p.pause(1.0)  # the answer is playing
    p.key(b" ")  # talk over it
    assert p.until(lambda: "conversation.item.truncate" in types(m)), types(m)
    p.pause(0.6)
    p.key(b" ")
    assert p.until(lambda: types(m).count("response.create") == 2), types(m)
    p.key(b"q")
    assert p.finish() == 0
    kinds = types(m)
    # Stop the answer (no server VAD to do it), truncate at what was heard, then the new take.
    assert kinds.index("response.cancel") < kinds.index("input_audio_buffer.clear", 2)
    truncate = [e for e in m.events() if e["type"] == "conversation.item.truncate"][0]
    assert 300 <= truncate["audio_end_ms"] <= 3000
    assert m.errors_sent() == [] and m.violations() == []


def test_a_double_press_and_escape_drop_the_take(talking, mock, tmp_path):
    m = mock()
    p = PttProcess(tmp_path, talking, ["--url", m.url()])
    assert p.wait_for(b"press space to talk")
    p.key(b"  ")  # two presses in one write: well under 100 ms apart
    assert p.wait_for(b"double press: take dropped")
    p.key(b" ")
    p.pause(0.5)
    p.key(b"\x1b")  # a key of its own: a moment later (no sequence followed), Escape
    assert p.until(lambda: p.out.count(b"take dropped") >= 2), p.out
    p.key(b"q")
    assert p.finish() == 0
    assert "input_audio_buffer.commit" not in types(m)


def test_ctrl_c_exits_130_and_ctrl_z_puts_the_terminal_back(talking, mock, tmp_path):
    m = mock()
    p = PttProcess(tmp_path, talking, ["--url", m.url(), "--ptt-key", "f5"])
    assert p.wait_for(b"press f5 to talk")
    job = os.tcgetpgrp(p.fd)  # voxterm's process group, in the foreground
    p.key(b"\x1a")  # Ctrl-Z
    assert p.until(lambda: p.lflag() & termios.ICANON, 5)  # the terminal put back while stopped
    with open("/proc/%d/stat" % job) as f:
        assert f.read().split(")")[1].split()[0] == "T"  # stopped, as the shell expects
    os.killpg(job, signal.SIGCONT)  # fg
    assert p.until(lambda: not p.lflag() & termios.ICANON, 5)  # raw again
    p.key(b"\x1b[15~")  # F5
    assert p.wait_for(b"recording")
    p.key(b"\x03")  # Ctrl-C
    assert p.finish() == 130
    assert termios.tcgetattr(p.fd) == p.saved


def test_holding_the_key_and_letting_go_sends(talking, mock, tmp_path):
    # What a terminal speaking the kitty keyboard protocol sends: a press, repeats, a release.
    m = mock("--answer-ms", "300")
    p = PttProcess(tmp_path, talking, ["--url", m.url()])
    assert p.wait_for(b"press space to talk")
    assert b"\x1b[>15u" in p.out  # voxterm asked for key events
    p.key(b"\x1b[32u")
    assert p.wait_for(b"recording")
    p.pause(0.4)
    p.key(b"\x1b[32;1:2u")  # auto-repeat: still holding
    p.pause(0.4)
    p.key(b"\x1b[32;1:3u")  # let go
    assert p.until(lambda: "response.create" in types(m)), types(m)
    assert p.wait_for(b"assistant: ")
    p.key(b"q")
    assert p.finish() == 0
    assert b"\x1b[<u" in p.out  # and switched the protocol off again


def test_a_crash_leaves_the_terminal_as_it_was(talking, mock, tmp_path):
    m = mock()
    p = PttProcess(tmp_path, talking, ["--url", m.url()])
    assert p.wait_for(b"press space to talk")
    assert not p.lflag() & termios.ICANON
    os.killpg(os.tcgetpgrp(p.fd), signal.SIGSEGV)
    assert p.finish() == (-signal.SIGSEGV) & 0xFF  # it still dies of the signal...
    assert termios.tcgetattr(p.fd) == p.saved  # ...but the terminal is put back first
    assert b"\x1b[<u" in p.out


def test_an_error_leaves_the_terminal_as_it_was(talking, tmp_path):
    p = PttProcess(tmp_path, talking, ["--url", "ws://127.0.0.1:1/v1/realtime"])
    assert p.finish() == 3
    assert b"connection refused" in p.out
    assert termios.tcgetattr(p.fd) == p.saved


def test_ptt_needs_a_terminal(run):
    r = run(["--ptt", "--url", "ws://127.0.0.1:1/"], input="")
    assert r.returncode == 2
    assert "--ptt needs a terminal" in r.stderr


def test_tools_ask_with_a_key_and_ctrl_c_stops_them(talking, mock, tmp_path):
    marker = tmp_path / "ran"
    config = tmp_path / "config.json"
    # The first run answers at once; the second hangs until stopped.
    config.write_text(json.dumps({"tools": [{
        "name": "lights", "confirm": True, "parameters": {"type": "object", "properties": {}},
        "shell": "[ -e %s ] && exec sleep 60; touch %s; echo lights on" % (marker, marker)}]}))
    m = mock("--call-on-audio", "lights {}")
    p = PttProcess(tmp_path, talking, ["--config", str(config), "--url", m.url()])
    assert p.wait_for(b"press space to talk"), p.out
    for take in (1, 2):
        p.key(b" ")
        assert p.wait_for(b"recording")
        p.pause(0.5)
        p.key(b" ")
        assert p.until(lambda: p.out.count(b"echo lights on' lights? [y/N]") == take), p.out
        p.key(b"y")
        if take == 1:
            # Take 1 ran, and the model answered with its output. Wait for it: a take started
            # before the follow-up answer arrives would rightly cancel it.
            assert p.wait_for(
                b'assistant: Tool lights returned: {"exit_code":0,"stdout":"lights on\\n"'), p.out
    assert p.wait_for(b"running a tool")
    p.key(b"\x03")  # Ctrl-C stops the tool, not voxterm
    assert p.wait_for(b"tool: lights: interrupted"), p.out
    assert p.until(lambda: p.out.rfind(b"press space to talk") > p.out.rfind(b"interrupted")), p.out
    p.key(b"q")
    assert p.finish() == 0
    assert termios.tcgetattr(p.fd) == p.saved
    kinds = [e["type"] for e in m.events() if e["type"] != "input_audio_buffer.append"]
    # Each take: commit, response.create; the first's output gets one follow-up, the
    # interrupted second none.
    assert kinds.count("response.create") == 3
    assert kinds.count("conversation.item.create") == 2
    assert m.violations() == [] and m.errors_sent() == []


def test_a_preamble_and_its_answer_are_two_lines_after_a_live_caption(talking, mock, tmp_path):
    import re
    m = mock("--preamble-ms", "400", "--answer-ms", "500")
    p = PttProcess(tmp_path, talking, ["--url", m.url()])
    assert p.wait_for(b"press space to talk"), p.out
    p.key(b" ")
    assert p.wait_for(b"recording")
    p.pause(1.0)
    p.key(b" ")
    assert p.wait_for(b"assistant: This is a 500 millisecond answer."), p.out
    p.key(b"q")
    assert p.finish() == 0
    # The take's words as a caption in the status line, then as the final line.
    assert re.search(rb"you: \(\d+ (ms )?\r", p.out), p.out
    assert re.search(r"^you: \(\d+ ms of speech\)$", p.screen(), re.M), p.screen()
    # The preamble and the answer: a line each.
    assert "\nassistant: Let me check that.\nassistant: This is" in p.screen(), p.screen()
    assert m.violations() == [] and m.errors_sent() == []


def test_push_to_talk_with_gpt_live_mutes_between_takes(talking, mock, tmp_path):
    # GPT-Live hears a stream that never stops (LIVE.md 3): between takes voxterm sends silence
    # and mutes the input, and unmutes it for a take; the model answers when the take ends.
    m = mock()
    p = PttProcess(tmp_path, talking, ["--model", "gpt-live-1.1", "--url", m.url(path="/v1/live/sessions")])
    assert p.wait_for(b"press space to talk"), p.out
    p.pause(1.0)  # the microphone talks all the time: the model must not hear it now
    p.key(b" ")
    assert p.wait_for(b"recording")
    p.pause(1.0)
    p.key(b" ")
    assert p.wait_for(b"assistant: I heard"), p.out
    assert p.wait_for(b"press space to talk")
    p.key(b"q")
    assert p.finish() == 0
    events = m.events()
    kinds = [e["type"] for e in events if e["type"] != "session.input_audio.append"]
    assert kinds[:4] == ["session.start", "session.input_audio.mute", "session.input_audio.unmute",
                         "session.input_audio.mute"], kinds
    assert kinds[-1] == "session.close"
    # Audio flowed before the take too (silence): the session's clock never stopped.
    first_unmute = next(i for i, e in enumerate(events) if e["type"] == "session.input_audio.unmute")
    assert sum(e["type"] == "session.input_audio.append" for e in events[:first_unmute]) >= 20
    heard = [r["live_turn"] for r in m.records() if "live_turn" in r]
    assert len(heard) == 1, heard  # the talk before the press was not heard
    assert m.violations() == []
