"""Text that cannot be trusted as it is: invalid UTF-8 on its way to the server (the server would
close the session with 1007), and escape sequences from the server on their way to a terminal
(they would act on it)."""

import os
import pty
import subprocess

from conftest import BIN, Pty, clean_env
from test_voice import silence, write_wav

REPLACEMENT = "\ufffd"
# What the mock answers to mock:escape, byte for byte.
ESCAPES = (b"\x1b]52;c;ZXZpbA==\x07Escapes \x1b[2Jgone\xc2\x9b, \xe2\x80\xaedesrever\xe2\x80\xac "
           b"raw \x9b.")
# The same on a terminal: every control, the bidi override and its pop, the raw byte escaped.
SHOWN = (rb"\x1b]52;c;ZXZpbA==\x07Escapes \x1b[2Jgone\u009b, \u202edesrever\u202c raw \x9b.")
ACTIVE = [b"\x1b]", b"\x1b[2J", b"\x07", b"\x9b", b"\xe2\x80\xae"]  # what must not reach a terminal


def run_bytes(tmp_path, args, input=b"", timeout=60):
    """voxterm with bytes for stdin and argv, and bytes back: invalid UTF-8 stays invalid."""
    return subprocess.run([BIN] + list(args), input=input, capture_output=True,
                          env=clean_env(tmp_path), timeout=timeout)


def repair_warnings(stderr):
    return [l for l in stderr.decode().splitlines() if "U+FFFD" in l]


def sent_texts(m):
    return [e["item"]["content"][0]["text"] for e in m.events()
            if e["type"] == "conversation.item.create"]


def test_a_line_of_invalid_utf8_is_repaired_and_the_lines_after_it_answered(mock, tmp_path):
    m = mock()
    lines = b"first\nbad \xff\xfe and cut \xe2\x82\nthird\nfourth \xc0\xaf\n"
    r = run_bytes(tmp_path, ["--text", "--url", m.url()], lines)
    assert r.returncode == 0, r.stderr
    bad, fourth = "bad %s%s and cut %s" % ((REPLACEMENT,) * 3), "fourth %s%s" % ((REPLACEMENT,) * 2)
    assert r.stdout.decode() == "You said: first\nYou said: %s\nYou said: third\nYou said: %s\n" % (
        bad, fourth)
    assert sent_texts(m) == ["first", bad, "third", fourth]
    assert len(repair_warnings(r.stderr)) == 1, r.stderr  # said once, not once a line
    assert 1007 not in [d["code"] for d in m.disconnects()]


def test_invalid_utf8_in_the_instructions_is_repaired(mock, tmp_path):
    m = mock()
    r = run_bytes(tmp_path, ["--text", "--url", m.url(), "--instructions", b"be \xff brief"],
                  b"one\ntwo\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"You said: one\nYou said: two\n"
    update = [e for e in m.events() if e["type"] == "session.update"][0]
    assert update["session"]["instructions"] == "be %s brief" % REPLACEMENT
    assert len(repair_warnings(r.stderr)) == 1, r.stderr


def test_invalid_utf8_in_config_values_is_repaired(mock, tmp_path):
    m = mock()
    config = tmp_path / "c.json"
    config.write_bytes(b'{"instructions": "caf\xe9", "tools": [{"name": "t", '
                       b'"description": "d\xff", "parameters": {"type": "object", "properties": '
                       b'{"p": {"type": "string", "description": "\xed\xa0\x80"}}}, '
                       b'"command": ["true"]}]}')
    r = run_bytes(tmp_path, ["--text", "--config", str(config), "--url", m.url()], b"one\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"You said: one\n"
    session = [e for e in m.events() if e["type"] == "session.update"][0]["session"]
    assert session["instructions"] == "caf" + REPLACEMENT
    assert session["tools"][0]["description"] == "d" + REPLACEMENT
    # A surrogate's three bytes: each is invalid on its own.
    assert session["tools"][0]["parameters"]["properties"]["p"]["description"] == REPLACEMENT * 3
    assert len(repair_warnings(r.stderr)) == 1, r.stderr


def test_escape_sequences_reach_a_pipe_unchanged(mock, tmp_path):
    m = mock()
    r = run_bytes(tmp_path, ["--text", "--url", m.url()], b"mock:escape\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ESCAPES + b"\n"


class Terminal(Pty):
    """voxterm with a pty for stdin, stdout and stderr, as in a terminal window."""

    def __init__(self, tmp_path, args):
        env = clean_env(tmp_path, extra={"NO_COLOR": "1"})
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(BIN, [BIN] + args, env)
        self.out = b""


def test_escape_sequences_are_shown_escaped_on_a_terminal(mock, tmp_path):
    m = mock()
    t = Terminal(tmp_path, ["--text", "--url", m.url()])
    assert t.wait_for(b"> ")
    t.key(b"mock:escape\n")
    assert t.wait_for(SHOWN), t.out
    t.key(b"\x04")
    assert t.finish() == 0
    for active in ACTIVE:
        assert active not in t.out, (active, t.out)


def test_a_spoken_conversations_transcript_is_shown_escaped_on_a_terminal(mock, tmp_path):
    mic = tmp_path / "quiet.wav"
    write_wav(mic, silence(6000))
    m = mock()
    t = Terminal(tmp_path, ["--url", m.url(), "--input-file", str(mic), "--output-file",
                            str(tmp_path / "answer.wav")])
    assert t.wait_for(b"listening"), t.out
    t.key(b"mock:escape\n")
    assert t.wait_for(b"assistant: " + SHOWN), t.out
    # A notice: the error's code, which the mock makes of the escapes (typed, an escape
    # sequence would be a key).
    t.key(rb"mock:error \x1b[2J\u009b\u202e" + b"\r")
    assert t.wait_for(rb"server error \x1b[2J\u009b\u202e: "), t.out
    assert t.finish(30) == 0
    for active in ACTIVE:
        assert active not in t.out, (active, t.out)


def test_server_text_in_diagnostics_is_escaped(mock, tmp_path):
    """An error's code and message and a close reason are one line each, with nothing active,
    piped or not."""
    m = mock()
    r = run_bytes(tmp_path, ["--text", "--url", m.url()],
                  "mock:error \x1b[2J\u009b\u202e\nmock:close 1008 \x1b]52;c;ZXZpbA==\x07\u009b\u202e\n"
                  .encode())
    assert r.returncode == 1, r.stderr
    for active in ACTIVE:
        assert active not in r.stderr, (active, r.stderr)
    lines = r.stderr.decode().splitlines()
    assert any(rb"\x1b[2J\u009b\u202e".decode() in l for l in lines if "server error" in l), lines
    assert any(rb"\x1b]52;c;ZXZpbA==\x07\u009b\u202e".decode() in l for l in lines
               if "code 1008" in l), lines
