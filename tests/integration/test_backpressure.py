"""Backpressure: a reader that stops reading stdout holds back the network, not our memory."""

import os
import time

import pytest

from test_hostile_server import peak_rss_kb

WORDS = 400000  # about 80 MB of text deltas on the wire, 4 MB of answer


@pytest.mark.skipif(bool(os.environ.get("VOXTERM_SANITIZER")), reason="sanitizers inflate memory")
def test_a_stalled_stdout_stops_reading_the_socket(mock, start):
    m = mock()
    p = start(["--text", "--url", m.url()])
    p.stdin.write("mock:long %d\n" % WORDS)
    p.stdin.close()
    # Nobody reads stdout: the main thread soon blocks on the full pipe while the server streams.
    # Without backpressure the network thread queues every delta, tens of MB a second.
    peak = 0
    for _ in range(20):
        time.sleep(0.5)
        assert p.poll() is None, p.stderr.read()
        peak = max(peak, peak_rss_kb(p.pid))
    # About 11 MB of code and libraries, plus at most the 8 MiB backlog (Link::kHighWaterBytes)
    # and the allocator's share.
    assert peak < 40 * 1024, peak
    out = p.stdout.read()  # the reader comes back: everything arrives, in order
    assert p.wait(30) == 0, p.stderr.read()
    assert out == "".join("word%d " % i for i in range(WORDS)) + "\n"
    assert p.stderr.read() == ""
