"""An untrusted server: every bad frame is logged and skipped, the conversation goes on."""

import os

import pytest

from conftest import one_line, peak_rss_kb


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
