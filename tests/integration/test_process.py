"""The process as a whole: signals end it promptly whatever it is blocked on, and its own files
never take the numbers of standard streams it was started without."""

import fcntl
import json
import os
import pty
import signal
import subprocess
import termios
import time

import pytest

from conftest import BIN, Pty, clean_env

# voxterm promises to be gone within a second of SIGTERM or Ctrl-C; the bound is generous,
# for slow and busy CI machines.
GONE_WITHIN_S = 3


def gone_within(p, sig):
    """Sends sig, then returns how long the process took to exit (killing it if it did not)."""
    started = time.monotonic()
    p.send_signal(sig)
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise AssertionError("voxterm still running 10 s after %s" % signal.Signals(sig).name)
    return time.monotonic() - started


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_ends_voxterm_while_stdout_is_a_full_pipe(mock, tmp_path, sig):
    m = mock()
    reader, writer = os.pipe()
    fcntl.fcntl(writer, fcntl.F_SETPIPE_SZ, 4096)
    p = subprocess.Popen([BIN, "--text", "--url", m.url()], stdin=subprocess.PIPE, stdout=writer,
                         stderr=subprocess.PIPE, env=clean_env(tmp_path))
    os.close(writer)
    try:
        p.stdin.write(b"mock:long 2000\n" * 10)
        p.stdin.flush()
        # Nobody reads the pipe: once it is full (it holds a page, and the answers are longer),
        # voxterm is stuck writing to it, and what the pipe holds stops changing.
        deadline = time.monotonic() + 20
        queued, last, still_since = bytearray(4), -1, time.monotonic()
        while time.monotonic() < deadline:
            fcntl.ioctl(reader, termios.FIONREAD, queued)
            now = int.from_bytes(queued, "little")
            if now != last:
                last, still_since = now, time.monotonic()
            elif now > 0 and time.monotonic() - still_since > 1:
                break
            time.sleep(0.05)
        assert last > 0, "nothing was written"
        assert p.poll() is None
        took = gone_within(p, sig)
        assert took < GONE_WITHIN_S, took
        assert p.returncode == 130
    finally:
        os.close(reader)
        if p.poll() is None:
            p.kill()
            p.wait()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_ends_voxterm_while_its_output_fifo_has_no_reader(mock, start, tmp_path, sig):
    fifo = tmp_path / "answer.wav"
    os.mkfifo(fifo)
    m = mock()
    p = start(["--text", "--speak", "--output-file", str(fifo), "--url", m.url()])
    time.sleep(1)  # opening the FIFO waits for a reader that never comes
    assert p.poll() is None
    took = gone_within(p, sig)
    assert took < GONE_WITHIN_S, took
    assert p.returncode == 130


@pytest.mark.parametrize("flag", ["--log-events", "--stats", "--config"])
def test_a_signal_ends_voxterm_while_it_opens_a_fifo_at_start_up(mock, start, tmp_path, flag):
    # Opening a FIFO waits for its other end, before the conversation (and its loop) starts.
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    m = mock()
    p = start(["--text", flag, str(fifo), "--url", m.url()])
    time.sleep(1)
    assert p.poll() is None
    took = gone_within(p, signal.SIGTERM)
    assert took < GONE_WITHIN_S, took
    assert p.returncode == 130


@pytest.mark.parametrize("fd", [0, 1, 2])
def test_files_never_take_the_number_of_a_closed_standard_stream(mock, tmp_path, fd):
    m = mock()
    log = tmp_path / "events.jsonl"
    # -v: diagnostics to stderr, the answer to stdout, lines from stdin: none may reach the log.
    r = subprocess.run(["/bin/sh", "-c", 'exec "$@" %d>&-' % fd, "sh", BIN, "--text", "-v", "--log-events",
                        str(log), "--url", m.url()], input=b"hello\n", capture_output=True,
                       env=clean_env(tmp_path), timeout=30)
    assert r.returncode == 0, r.stderr
    records = [json.loads(line) for line in log.read_text().splitlines()]  # every line an event
    assert all(set(rec) >= {"t_ms", "dir"} for rec in records)
    assert records or fd == 0
    assert b"error" not in r.stderr
    if fd == 0:  # no input: nothing to send
        assert [e for e in m.events() if e["type"] == "conversation.item.create"] == []
    if fd != 1:
        assert r.stdout == (b"" if fd == 0 else b"You said: hello\n")


class TextPty(Pty):
    """voxterm --text on a terminal of its own."""

    def __init__(self, tmp_path, args):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(BIN, [BIN, "--text"] + args, clean_env(tmp_path, extra={"NO_COLOR": "1"}))


def test_a_ctrl_c_that_stops_a_tool_does_not_end_voxterm_later(mock, tmp_path):
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"tools": [{"name": "slow", "shell": "exec sleep 60"}]}))
    m = mock()
    t = TextPty(tmp_path, ["--config", str(config), "--url", m.url()])
    assert t.wait_for(b"> ")
    t.key(b"mock:call slow {}\n")
    assert t.wait_for(b"tool: slow {}")
    time.sleep(0.5)
    t.key(b"\x03")
    assert t.wait_for(b"tool: slow: interrupted")
    t.pause(2)  # longer than the grace a signal not absorbed gets
    t.key(b"hello\n")
    assert t.wait_for(b"You said: hello")
    t.key(b"\x04")
    assert t.finish() == 0
