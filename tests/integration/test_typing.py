"""Typing at voxterm in a real terminal (tmux renders what voxterm writes as a terminal would, and
capture-pane reads the screen back): the edit row under the transcript, line editing and
history, Ctrl-C, a bracketed paste, the commands. Against the mock; the spoken modes use audio
files for their devices, which play in real time."""

import json
import os
import shutil
import stat
import time

import pytest

from conftest import clean_env
from test_portaudio import Pulse, pulse, raw  # noqa: F401  (pulse is a fixture)
from test_terminal import status_lines, terminal  # noqa: F401  (terminal is a fixture)
from test_voice import silence, tone, write_wav

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


def env_for(tmp_path):
    return dict(clean_env(tmp_path, extra={"NO_COLOR": "1"}), TERM="xterm-256color")


def lines(t):
    return [line.rstrip() for line in t.screen().splitlines() if line.strip()]


def sent_texts(m):
    return [c["text"] for e in m.events() if e["type"] == "conversation.item.create"
            for c in e["item"].get("content", []) if c.get("type") == "input_text"]


def test_line_editing_and_history_in_the_text_chat(mock, tmp_path, terminal):
    m = mock()
    t = terminal(env_for(tmp_path), ["--text", "--url", m.url()], width=60)
    assert t.wait_for(">"), t.screen()
    t.keys("helo wrld")
    t.keys("Left", "Left", "Left", "o")  # helo world
    t.keys("C-a", "Right", "Right", "Right", "l")  # hello world
    assert t.wait_for("> hello world"), t.screen()
    t.keys("C-e", "C-w")  # the word before the cursor goes
    assert lines(t)[-1] == "> hello", t.screen()
    t.keys("C-y", "Enter")  # and comes back
    assert t.wait_for("You said: hello world"), t.screen()
    t.keys("Up")  # the line sent, back in the edit row
    assert t.wait_for("> hello world\n") or lines(t)[-1] == "> hello world", t.screen()
    t.keys("C-u", "again", "Enter")
    assert t.wait_for("You said: again"), t.screen()
    assert sent_texts(m) == ["hello world", "again"]
    # No arrow key reached the model as bytes.
    assert all("\x1b" not in text and "[D" not in text for text in sent_texts(m))


def test_typing_during_an_answer_stays_out_of_it_and_ctrl_c_stops_the_answer(
        mock, tmp_path, terminal):
    m = mock()
    t = terminal(env_for(tmp_path), ["--text", "--url", m.url()], width=60, height=20)
    assert t.wait_for(">"), t.screen()
    t.keys("mock:slow 80 100", "Enter")
    assert t.wait_for("word3 "), t.screen()
    t.keys("next question")
    time.sleep(1)  # the answer goes on streaming above the line being typed
    shown = lines(t)
    assert shown[-1] == "> next question", t.screen()
    answer = " ".join(l for l in shown if l.startswith("word") or " word" in l)
    assert "next" not in answer and "word10" in answer, t.screen()
    t.keys("C-c")  # stops the answer; what was typed stays
    time.sleep(1)
    assert "word99" not in t.screen()
    assert lines(t)[-1] == "> next question", t.screen()
    t.keys("Enter")
    assert t.wait_for("You said: next question"), t.screen()
    types = [e["type"] for e in m.events()]
    assert types.count("response.cancel") == 1
    t.keys("C-c")  # at an empty prompt, with nothing to stop: quits
    assert t.wait_for("EXIT=130"), t.screen()
    assert m.violations() == []


def test_a_bracketed_paste_is_one_turn(mock, tmp_path, terminal):
    m = mock()
    t = terminal(env_for(tmp_path), ["--text", "--url", m.url()], width=60)
    assert t.wait_for(">"), t.screen()
    t.tmux("set-buffer", "-b", "notes", "first line\nsecond line")
    t.tmux("paste-buffer", "-p", "-b", "notes")  # -p: bracketed, as voxterm asked
    assert t.wait_for("> first line\u21b5second line"), t.screen()
    t.keys("Enter")
    assert t.wait_for("You said: first line"), t.screen()
    assert sent_texts(m) == ["first line\nsecond line"]


def test_commands_in_the_text_chat(mock, tmp_path, terminal):
    m = mock()
    saved = tmp_path / "talk.md"
    t = terminal(env_for(tmp_path), ["--text", "--url", m.url()], width=100, height=30)
    assert t.wait_for(">"), t.screen()
    t.keys("/help", "Enter")
    assert t.wait_for("/instructions TEXT"), t.screen()
    t.keys("/nope", "Enter")
    assert t.wait_for("/nope: no such command; the commands are /mute"), t.screen()
    t.keys("//slash", "Enter")
    assert t.wait_for("You said: /slash"), t.screen()
    t.keys("/mute", "Enter")
    assert t.wait_for("mute: there is no microphone in text mode"), t.screen()
    t.keys("/save %s" % saved, "Enter")
    assert t.wait_for("saved to %s" % saved), t.screen()
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600
    assert "/slash" in saved.read_text() and "You said: /slash" in saved.read_text()
    t.keys("/quit", "Enter")
    assert t.wait_for("EXIT=0"), t.screen()
    assert sent_texts(m) == ["/slash"]  # nothing else reached the model


def test_typed_text_stays_put_while_the_status_line_redraws(mock, tmp_path, terminal):
    mic = tmp_path / "mic.wav"
    write_wav(mic, tone(3000) + silence(20000))  # the meter moves: the status row is redrawn
    m = mock()
    t = terminal(env_for(tmp_path), ["--url", m.url(), "--input-file", str(mic),
                                     "--output-file", str(tmp_path / "out.wav")], width=60)
    assert t.wait_for("\u25cf"), t.screen()
    t.keys("hello there")
    for _ in range(10):  # through the tone, its turn and its answer
        time.sleep(0.3)
        shown = lines(t)
        assert shown[-1] == "> hello there", t.screen()
        assert "\u25cf" in shown[-2] and len(status_lines(t.screen())) == 1, t.screen()
    t.keys("Enter")
    assert t.wait_for("you: hello there"), t.screen()
    assert t.wait_for("assistant: You said: hello there"), t.screen()
    assert not lines(t)[-1].startswith(">"), t.screen()  # the edit row goes with the line


@pytest.mark.skipif(shutil.which("pulseaudio") is None, reason="needs pulseaudio")
def test_an_answer_cut_by_a_typed_line_shows_what_was_heard_and_is_marked(
        pulse, mock, tmp_path, terminal):
    # A real-time speaker (PortAudio on the private PulseAudio): the answer's 6 s of audio
    # arrive at once and play for 6 s, its words shown as they are heard.
    mic = tmp_path / "mic.raw"
    mic.write_bytes(raw(tone(800) + silence(30000)))
    pulse.devices(str(mic), str(tmp_path / "played.raw"))
    m = mock("--answer-ms", "6000")
    env = dict(clean_env(tmp_path, extra=dict(pulse.env, NO_COLOR="1")), TERM="xterm-256color")
    t = terminal(env, ["--headphones", "--url", m.url()], width=80)
    assert t.wait_for("assistant: "), t.screen()
    time.sleep(1)
    t.keys("stop", "Enter")
    assert t.wait_for("[interrupted]"), t.screen()
    cut = [l for l in lines(t) if "[interrupted]" in l]
    assert len(cut) == 1 and "answer." not in cut[0], t.screen()  # not the whole sentence
    assert t.wait_for("you: stop"), t.screen()


def test_push_to_talk_types_a_command_after_slash(mock, tmp_path, terminal):
    mic = tmp_path / "mic.wav"
    write_wav(mic, silence(30000))
    m = mock()
    t = terminal(env_for(tmp_path), ["--ptt", "--url", m.url(), "--input-file", str(mic),
                                     "--output-file", str(tmp_path / "out.wav")], width=80)
    assert t.wait_for("press space to talk"), t.screen()
    t.keys("/")
    assert t.wait_for("> /"), t.screen()
    t.keys("mute", "Enter")
    assert t.wait_for("muted (Ctrl-T or /unmute to talk)"), t.screen()
    t.keys("C-t")  # the key does the same
    assert t.wait_for("press space to talk"), t.screen()
    t.keys("/", "BSpace", "hi there", "Enter")  # without its "/", the line is a turn
    assert t.wait_for("you: hi there"), t.screen()
    assert t.wait_for("assistant: You said: hi there"), t.screen()
    t.keys("q")  # out of the line, keys are push-to-talk's again
    assert t.wait_for("EXIT=0"), t.screen()
    assert sent_texts(m) == ["hi there"]


def test_piped_through_tee_the_echoed_transcript_is_not_erased(mock, tmp_path, terminal):
    mic = tmp_path / "mic.wav"
    write_wav(mic, tone(2000) + silence(20000))  # the meter moves: the status row is redrawn
    m = mock()
    saved = tmp_path / "talk.txt"
    t = terminal(env_for(tmp_path), ["--url", m.url(), "--input-file", str(mic),
                                     "--output-file", str(tmp_path / "out.wav")],
                 width=70, height=15, after="| tee %s" % saved)
    assert t.wait_for("\u25cf"), t.screen()
    t.keys("first line", "Enter")
    assert t.wait_for("assistant: You said: first line"), t.screen()
    time.sleep(2)  # redraws go on: what tee wrote stays
    shown = t.screen()
    assert "you: first line" in shown and "assistant: You said: first line" in shown, shown
    assert len(status_lines(shown)) == 1, shown
    assert "assistant: You said: first line" in saved.read_text()


def test_commands_change_a_live_spoken_session(mock, tmp_path, terminal):
    mic = tmp_path / "mic.wav"
    write_wav(mic, silence(30000))
    m = mock()
    t = terminal(env_for(tmp_path), ["--url", m.url(), "--input-file", str(mic),
                                     "--output-file", str(tmp_path / "out.wav")], width=80)
    assert t.wait_for("listening"), t.screen()
    t.keys("/voice cedar", "Enter")
    assert t.wait_for("voice: cedar"), t.screen()
    t.keys("/instructions Answer in one word.", "Enter")
    assert t.wait_for("instructions: changed"), t.screen()
    t.keys("C-t")  # mute: the status line says so
    assert t.wait_for("muted"), t.screen()
    assert [l for l in status_lines(t.screen()) if "muted" in l], t.screen()
    t.keys("/unmute", "Enter")
    time.sleep(0.5)
    assert not [l for l in status_lines(t.screen()) if "muted" in l], t.screen()
    updates = [e["session"] for e in m.events() if e["type"] == "session.update"]
    assert any(json.dumps(u).find('"cedar"') >= 0 for u in updates[1:]), updates
    assert any(u.get("instructions") == "Answer in one word." for u in updates[1:]), updates
    assert m.violations() == []


def test_after_ctrl_d_ctrl_c_still_ends_a_wait_for_an_answer(mock, tmp_path, terminal):
    # Ctrl-C is a key on the raw terminal, not a signal: the terminal is read to the end.
    m = mock()
    t = terminal(env_for(tmp_path), ["--text", "--url", m.url()], width=60)
    assert t.wait_for(">"), t.screen()
    t.keys("mock:stall", "Enter")  # an answer that never comes
    time.sleep(0.5)
    t.keys("C-d")  # the end of input: voxterm waits for the answer
    time.sleep(0.5)
    t.keys("typed after the end")  # no more lines: nothing shows, nothing is sent
    t.keys("C-c")  # asks the answer to stop (the mock does not answer that either)
    time.sleep(0.5)
    t.keys("C-c")  # and the second one is the way out
    assert t.wait_for("EXIT=130", timeout=10), t.screen()
    assert "typed after the end" not in t.screen()
    assert sent_texts(m) == ["mock:stall"]


def test_a_paste_cut_short_never_takes_the_keyboard(mock, tmp_path):
    from test_tools import TextPty
    m = mock()
    t = TextPty(tmp_path, ["--url", m.url()])
    t.wait_for("> ")
    # The end mark split across two reads (a slow link): the paste still ends.
    t.type("\x1b[200~split")
    t.pause(0.2)
    t.type("\x1b")
    t.pause(0.2)
    t.type("[201~\r")
    t.wait_for("You said: split")
    # No end mark at all: Ctrl-C ends the paste, then drops the line; the keyboard is back.
    t.type("\x1b[200~never ends")
    t.pause(0.3)
    t.type("\x03")
    t.pause(0.3)
    t.type("after\r")
    t.wait_for("You said: after")
    # A Latin-1 byte and a cut colour code swallow nothing after them.
    t.key(b"\x1b[200~caf\xe9 \x1b[38;5\x1b[201~ok\r")
    t.wait_for("You said: caf")
    t.type("\x04")
    assert t.finish() == 0
    assert sent_texts(m)[:2] == ["split", "after"]
    assert sent_texts(m)[2].endswith(" ok")


def test_narrowing_the_terminal_while_typing_keeps_the_transcript(mock, tmp_path, terminal):
    m = mock()
    t = terminal(env_for(tmp_path), ["--text", "--url", m.url()], width=50, height=15)
    assert t.wait_for(">"), t.screen()
    t.keys("first line", "Enter")
    assert t.wait_for("You said: first line"), t.screen()
    t.keys("second line", "Enter")
    assert t.wait_for("You said: second line"), t.screen()
    t.keys("x" * 28)
    for width in (30, 50, 20, 45):
        t.tmux("resize-window", "-x", str(width))
        time.sleep(0.5)
    t.tmux("resize-window", "-x", "50")
    time.sleep(0.5)
    # With what scrolled into the history: a narrower pane rewraps lines, so the first ones
    # move up out of sight.
    shown = t.tmux("capture-pane", "-p", "-S", "-100").stdout
    for line in ("> first line", "You said: first line", "> second line",
                 "You said: second line"):
        assert line in shown, shown
    assert lines(t)[-1] == "> " + "x" * 28, shown  # the whole line again, at full width


def test_a_line_typed_to_gpt_live_is_answered(mock, tmp_path, terminal):
    # GPT-Live has no event for a typed turn: the line goes as a commentary append that asks for
    # an answer (LIVE.md 5e); the mock's model says what it is given.
    mic = tmp_path / "mic.wav"
    write_wav(mic, silence(30000))
    m = mock()
    t = terminal(env_for(tmp_path), ["--model", "gpt-live-1.1", "--url", m.url(path="/v1/live/sessions"),
                                     "--input-file", str(mic), "--output-file", str(tmp_path / "out.wav")],
                 width=100)
    assert t.wait_for("\u25cf"), t.screen()
    t.keys("what time is it", "Enter")
    assert t.wait_for("you: what time is it"), t.screen()
    assert t.wait_for("assistant: The user typed this"), t.screen()
    appends = [e for e in m.events() if e["type"] == "session.commentary.append"]
    assert len(appends) == 1 and appends[0]["delegation_id"] is None
    assert appends[0]["content"].endswith(": what time is it")
    assert m.violations() == []
    assert "not sent to GPT-Live" not in t.screen()


def test_a_tool_asked_for_in_a_typed_line_runs_through_gpt_live_delegation(mock, tmp_path, terminal):
    # As a new user tries it with ./scripts/run: the mock's model takes "mock:call NAME JSON" in a
    # typed line as a request, and delegates it to the backend, which calls the tool.
    mic = tmp_path / "mic.wav"
    write_wav(mic, silence(30000))
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"tools": [{"name": "uptime", "shell": "echo up 3 days"}]}))
    m = mock()
    t = terminal(env_for(tmp_path), ["--model", "gpt-live-1.1", "--url", m.url(path="/v1/live/sessions"),
                                     "--config", str(config), "--input-file", str(mic),
                                     "--output-file", str(tmp_path / "out.wav")], width=120)
    assert t.wait_for("\u25cf"), t.screen()
    t.keys("mock:call uptime {}", "Enter")
    assert t.wait_for("tool: uptime: exit 0"), t.screen()
    assert t.wait_for("Tool uptime returned:"), t.screen()
    assert t.wait_for("up 3 days"), t.screen()
    outputs = [e for e in m.events() if e["type"] == "response.item.create"]
    assert len(outputs) == 1 and "up 3 days" in outputs[0]["item"]["output"]
    assert m.violations() == []
