"""Text that cannot be trusted as it is: invalid UTF-8 on its way to the server (the server would
close the session with 1007), and escape sequences from the server on their way to a terminal
(they would act on it)."""

import os
import pty
import subprocess

from conftest import BIN, Pty, clean_env
from test_voice import silence, write_wav

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
    write_wav(mic, silence(4000))
    m = mock()
    t = Terminal(tmp_path, ["--url", m.url(), "--input-file", str(mic), "--output-file",
                            str(tmp_path / "answer.wav")])
    assert t.wait_for(b"listening"), t.out
    t.key(b"mock:escape\n")
    assert t.wait_for(b"assistant: " + SHOWN), t.out
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
