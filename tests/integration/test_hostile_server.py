"""An untrusted server: every bad frame is logged and skipped, the conversation goes on."""

import base64
import os
import re
import socket
import struct
import subprocess
import time

import pytest

from conftest import BIN, clean_env, one_line, peak_rss_kb
from hostile import Hostile


def test_garbage_frames_are_skipped_and_the_answer_arrives(mock, run):
    m = mock()
    r = run(["--text", "--url", m.url()], input="mock:garbage\nafter\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Still here after the garbage.\nYou said: after\n"
    assert "skipped a binary message" in r.stderr
    assert "not JSON" in r.stderr
    assert "not a JSON object" in r.stderr
    assert 'without a string "type"' in r.stderr
    assert 'response.done: missing or mistyped "response"' in r.stderr
    assert "dropped a message of 20971" in r.stderr
    for line in r.stderr.splitlines():
        assert line.startswith("voxterm: warning: "), line
        assert len(line) < 400


def test_the_message_limit_is_configurable(mock, run, tmp_path):
    m = mock("--garbage-big-bytes", "100000")
    config = tmp_path / "c.json"
    config.write_text('{"max_message_bytes": 65536}')
    r = run(["--text", "--config", str(config), "--url", m.url()], input="mock:garbage\n")
    assert r.returncode == 0, r.stderr
    assert "dropped a message of 1000" in r.stderr  # the 100 kB frame, now over the limit


@pytest.mark.skipif(bool(os.environ.get("VOXTERM_SANITIZER")), reason="sanitizers inflate memory")
def test_oversize_frames_are_never_buffered(mock, start):
    m = mock("--garbage-big-bytes", "100000")  # leaves the 20 MiB frames as the only big ones
    p = start(["--text", "--url", m.url()])
    p.stdin.write("mock:garbage\n" * 3)
    p.stdin.flush()
    for _ in range(3):
        assert p.stdout.readline() == "Still here after the garbage.\n"
    peak = peak_rss_kb(p.pid)
    p.stdin.close()
    assert p.wait(10) == 0
    # About 11 MB of code and libraries; buffering a 20 MiB frame up to the 16 MiB limit, or a
    # DOM of deep nesting, would each add more than 10 MB.
    assert peak < 20 * 1024, peak


# GPT-Live, from a server that follows LIVE.md's shapes but not its spirit (hostile.py).

LIVE_PATH = "/v1/live/sessions"


def live_session(conn, n=0):
    """Accepts the upgrade, reads session.start and answers it; the start, or None."""
    if not conn.upgrade():
        return None
    start = conn.wait_for("session.start")
    if start is not None:
        conn.event({"type": "session.started", "event_id": "ev_s%d" % n,
                    "session": {"id": "sess_%d" % n, "model": "gpt-live-1.1", "status": "active"}})
    return start


def end_politely(conn):
    conn.event({"type": "session.closed", "reason": "close_requested", "usage": {"seconds": 1}})
    while conn.read_event(5) is not None:  # until the close frame
        pass


def run_live_hostile(tmp_path, h, *extra):
    from test_voice import silence, write_wav
    mic = tmp_path / "mic.wav"
    write_wav(mic, silence(20000))
    args = ["--model", "gpt-live-1.1", "--url", h.url(path=LIVE_PATH), "--input-file", str(mic),
            "--output-file", str(tmp_path / "out.wav")] + list(extra)
    # Piped, the server's words come out byte for byte: invalid UTF-8 too.
    r = subprocess.run([BIN] + args, capture_output=True, env=clean_env(tmp_path), timeout=60)
    return subprocess.CompletedProcess(r.args, r.returncode, r.stdout.decode(errors="replace"),
                                       r.stderr.decode(errors="replace"))


def more_like_this(stderr, what):
    """The lines held back of one kind, as the counts say."""
    return sum(int(m.group(1)) for m in
               re.finditer(r"\.\.\. (\d+) more like this \(%s\)" % re.escape(what), stderr))


def test_a_flooding_live_server_gets_20_lines_of_each_kind_and_a_count(tmp_path):
    n = 300

    def handler(conn):
        if live_session(conn) is None:
            return
        loud = base64.b64encode(struct.pack("<2400h", *([8000, -8000] * 1200))).decode()
        conn.event({"type": "session.output_audio.delta", "delta": loud})  # an answer begins
        for i in range(n):
            conn.event({"type": "error", "event_id": "e%d" % i,
                        "error": {"type": "invalid_request_error", "code": "flood",
                                  "message": "error %d" % i}})
            conn.frame(0x1, b"not json %d" % i)
            conn.frame(0x2, b"\x00\x01")
            conn.event({"type": "session.output_audio.delta", "delta": "%%%% not base64"})
            conn.event({"type": "session.made_up.%d" % i})
        end_politely(conn)

    h = Hostile(handler)
    try:
        r = run_live_hostile(tmp_path, h, "-vv")
    finally:
        h.stop()
    assert r.returncode == 0, r.stderr[-3000:]
    lines = r.stderr.splitlines()
    for what, shown in [("server errors", "server error flood"),
                        ("server messages skipped", "skipped a server message"),
                        ("binary or oversized messages skipped", "skipped a binary message"),
                        ("audio deltas skipped", "not valid base64"),
                        ("events of unknown type", "unknown type")]:
        told = [line for line in lines if shown in line and "more like this" not in line]
        assert 1 <= len(told) <= 20, (what, told[:10])
        assert len(told) + more_like_this(r.stderr, what) == n, what
    # Bounded: the counts and a few lines of each, not a line per event.
    assert sum(1 for line in lines if "more like this" in line) <= 20


def test_live_transcripts_with_invalid_utf8_are_repaired_with_the_warning(tmp_path):
    starts = []

    def handler(conn):
        start = live_session(conn, len(starts))
        if start is None:
            return
        starts.append(start)
        if len(starts) == 1:
            words = [b"caf\xc3", b"\xa9 ", b"bad \xff byte"]  # a character split, then a bad byte
            for i, w in enumerate(words):
                conn.frame(0x1, b'{"type":"session.output_transcript.delta","delta":"' + w +
                           b'","start_ms":%d,"end_ms":%d}' % (i * 100, i * 100 + 100))
            conn.event({"type": "session.closed", "reason": "expired", "usage": {"seconds": 1}})
            while conn.read_event(5) is not None:
                pass
        else:
            end_politely(conn)

    h = Hostile(handler)
    try:
        r = run_live_hostile(tmp_path, h)
    finally:
        h.stop()
    assert r.returncode == 0, r.stderr[-3000:]
    assert len(starts) == 2, r.stderr
    said = [m["content"][0]["text"] for m in starts[1]["session"]["input"]]
    assert said == ["caf\u00e9 bad \ufffd byte"], said
    warnings = [line for line in r.stderr.splitlines() if "U+FFFD" in line]
    assert len(warnings) == 1, r.stderr


def test_a_live_answer_that_never_ends_does_not_hold_a_file_run(tmp_path):
    loud = base64.b64encode(struct.pack("<2400h", *([8000, -8000] * 1200))).decode()  # 100 ms

    def handler(conn):
        if live_session(conn) is None:
            return
        conn.event({"type": "session.output_transcript.delta", "delta": "Listen:",
                    "start_ms": 0, "end_ms": 100})
        deadline = time.time() + 60
        conn.sock.settimeout(0.1)
        while time.time() < deadline and conn.event(
                {"type": "session.output_audio.delta", "delta": loud}):
            try:  # in real time, for ever (a minute here), reading what voxterm sends
                if not conn.sock.recv(1 << 20):
                    return
            except socket.timeout:
                pass

    h = Hostile(handler)
    began = time.time()
    try:
        from test_voice import tone, write_wav
        mic = tmp_path / "mic.wav"
        write_wav(mic, tone(1000))
        r = subprocess.run([BIN, "--model", "gpt-live-1.1", "--url", h.url(path=LIVE_PATH),
                            "--input-file", str(mic), "--output-file", str(tmp_path / "o.wav")],
                           capture_output=True, text=True, env=clean_env(tmp_path), timeout=100)
    finally:
        h.stop()
    assert r.returncode == 1, r.stderr
    assert "sounded for 20 s without words: not waiting for its end" in r.stderr
    assert time.time() - began < 50  # not the two minutes' grace


def endless_answer(deltas, size):
    """A handler: one answer of deltas text deltas of size bytes each, then response.done."""
    def handler(c):
        if not c.upgrade():
            return
        c.session_created()
        if c.wait_for("response.create") is None:
            return
        c.event({"type": "response.created", "event_id": "ev_c", "response": {"id": "r1", "status": "in_progress"}})
        for n in range(deltas):
            c.event({"type": "response.output_text.delta", "event_id": "ev_d%d" % n, "response_id": "r1",
                     "item_id": "i1", "output_index": 0, "content_index": 0, "delta": "%07d" % n + "w" * (size - 7)})
        c.event({"type": "response.done", "event_id": "ev_e", "response": {"id": "r1", "status": "completed",
                                                                           "output": []}})
        while c.read_event(10) is not None:
            pass
    return handler


@pytest.mark.skipif(bool(os.environ.get("VOXTERM_SANITIZER")), reason="sanitizers inflate memory")
def test_a_transcript_does_not_keep_an_endless_answer(start, tmp_path):
    """A 24 MB answer costs the same memory with --transcript as without: the transcript writes
    a long answer as it comes (it kept it whole, and copied it, before)."""
    deltas, size = 400, 60000
    transcript = tmp_path / "talk.txt"
    peaks = {}
    for extra in ([], ["--transcript", str(transcript)]):
        h = Hostile(endless_answer(deltas, size))
        try:
            p = start(["--text", "--url", h.url()] + extra)
            p.stdin.write("hello\n")
            p.stdin.flush()
            shown = 0
            while shown < deltas * size:  # the answer as it is shown, read as it comes
                chunk = os.read(p.stdout.fileno(), 1 << 16)
                assert chunk, p.stderr.read()
                shown += len(chunk)
            peaks[bool(extra)] = peak_rss_kb(p.pid)
            p.stdin.close()
            assert p.wait(20) == 0, p.stderr.read()
        finally:
            h.stop()
    assert transcript.stat().st_size > deltas * size
    assert transcript.read_text().endswith("w\n")
    assert peaks[True] < peaks[False] + 4 * 1024, peaks
