"""GPT-Live against a hostile server (tests/integration/hostile.py, by hand where the mock follows
LIVE.md): sessions that end as soon as they start are given up with the reconnect backoff, events
before session.started are never acted on, a session.started in another audio format is fatal."""

import base64
import json
import struct

import pytest

from conftest import one_line
from test_hostile_connection import hostile  # noqa: F401 (a fixture)
from test_live import LIVE_PATH, spoken

STARTED = {"type": "session.started", "event_id": "ev_s",
           "session": {"id": "sess_1", "object": "live.session", "model": "gpt-live-1.1",
                       "expires_at": 2000000000, "status": "active"}}


def closed(reason):
    return {"type": "session.closed", "event_id": "ev_c", "reason": reason,
            "session": {"id": "sess_1"}, "usage": {"seconds": 1}}


def live_session(before=(), started=STARTED, after=(), drop=False):
    """A handler: upgrade, wait for session.start, send before, session.started (unless None) and
    after, then drop the connection (drop) or read until the client closes it. The client's
    events are recorded in the server's `events`."""
    def handler(c):
        if not c.upgrade() or c.wait_for("session.start") is None:
            return
        for event in list(before) + ([started] if started else []) + list(after):
            c.event(event)
        if drop:
            return c.drop()
        while c.server.alive():
            event = c.read_event(5)
            if event is None:
                return
            with c.server.lock:
                c.server.events.append(event)
    return handler


def live_hostile(hostile, handler):
    h = hostile(handler)
    h.events = []
    return h


def run_against(run, h, tmp_path, *extra, mic_ms=20000, timeout=60):
    mic = spoken(tmp_path, ("silence", mic_ms))
    return run(["--model", "gpt-live-1.1", "--url", h.url(path=LIVE_PATH), "--input-file", str(mic),
                "--output-file", str(tmp_path / "out.wav")] + list(extra), timeout=timeout)


WORDS = {"type": "session.output_transcript.delta", "event_id": "ev_w", "delta": "Hello.",
         "start_ms": 0, "end_ms": 100}


@pytest.mark.parametrize("reason", ["expired", "remote_hangup", None])
@pytest.mark.parametrize("words", [[], [WORDS]])
def test_sessions_that_end_at_once_are_given_up_with_backoff(hostile, run, tmp_path, reason,
                                                              words):
    # Each session says a word (an "answer") and ends: a storm unless short sessions back off.
    after = words + ([closed(reason)] if reason else [])  # None: the connection drops
    h = live_hostile(hostile, live_session(after=after, drop=reason is None))
    r = run_against(run, h, tmp_path, "--reconnect-tries", "2")
    assert r.returncode == 3, r.stderr
    assert "gave up after 2 tries to reconnect" in r.stderr
    assert h.connections == 3  # the first session and two tries, not a storm
    assert "(try 1 of 2)" in r.stderr and "(try 2 of 2)" in r.stderr
    if reason == "expired":  # in the server's words, not Realtime's error code
        assert "the server ended the session (expired)" in r.stderr
        assert "session_expired" not in r.stderr


BEFORE = [WORDS,
          {"type": "session.input_transcript.delta", "event_id": "ev_i", "delta": "Secret.",
           "start_ms": 0, "end_ms": 100},
          {"type": "session.usage.updated", "event_id": "ev_u", "usage": {"seconds": 999}},
          {"type": "session.delegation.created", "event_id": "ev_d", "offset_ms": 0,
           "delegation": {"id": "item_dlg_1", "type": "delegation", "target": "client"}}]


def test_events_before_session_started_are_not_acted_on(hostile, run, tmp_path):
    h = live_hostile(hostile, live_session(before=BEFORE, after=[closed("close_requested")]))
    stats = tmp_path / "stats.json"
    r = run_against(run, h, tmp_path, "--stats", str(stats), mic_ms=3000)
    assert r.returncode == 0, r.stderr
    assert "Hello." not in r.stdout and "Secret." not in r.stdout
    warnings = [line for line in r.stderr.splitlines() if "before session.started" in line]
    assert warnings == ["voxterm: warning: ignored session.output_transcript.delta: it came "
                        "before session.started (later ones are counted, -v)"]
    assert json.loads(stats.read_text())["usage"]["live_seconds"] == 1  # not 999
    assert [e for e in h.events if e["type"] == "session.commentary.append"] == []


@pytest.mark.parametrize("before", [[], BEFORE])
def test_a_session_closed_before_session_started_is_a_failed_start(hostile, run, tmp_path, before):
    h = live_hostile(hostile, live_session(before=before, started=None,
                                           after=[closed("close_requested")]))
    r = run_against(run, h, tmp_path)
    assert r.returncode == 3, r.stderr
    assert r.stderr.splitlines()[-1] == (
        "voxterm: error: the server closed the session before it started (close_requested)")
    assert h.connections == 1


def started_in(fmt):
    event = json.loads(json.dumps(STARTED))
    event["session"]["audio"] = {"format": fmt}
    return event


def test_a_session_started_in_another_audio_format_is_fatal(hostile, run, tmp_path):
    h = live_hostile(hostile, live_session(started=started_in({"type": "audio/pcm", "rate": 16000})))
    r = run_against(run, h, tmp_path)
    assert r.returncode == 3, r.stderr
    assert one_line(r.stderr) == ("voxterm: error: the server started the session in audio format "
                                  "audio/pcm at 16000 Hz, not the audio/pcm at 24000 Hz asked for")
    assert [e for e in h.events if e["type"] == "session.input_audio.append"] == []


def test_a_session_started_in_the_format_asked_for_goes_on(hostile, run, tmp_path):
    h = live_hostile(hostile, live_session(started=started_in({"type": "audio/pcm", "rate": 24000}),
                                           after=[closed("close_requested")]))
    r = run_against(run, h, tmp_path, mic_ms=3000)
    assert r.returncode == 0, r.stderr


def test_a_key_in_pieces_across_transcript_deltas_is_shown_nowhere(hostile, run, tmp_path):
    # Both sides' transcripts, the key in pieces too short to mask one by one: the model's words
    # on stdout and in the transcript, the user's in the transcript.
    from conftest import TEST_KEY
    from test_secrets import assert_hidden, split_key

    def words(kind, texts, at_ms):
        return [{"type": "session.%s_transcript.delta" % kind, "event_id": "ev_%s%d" % (kind, n),
                 "delta": text, "start_ms": at_ms + 10 * n, "end_ms": at_ms + 10 * n + 10}
                for n, text in enumerate(texts)]
    said = words("input", ["My key is "] + split_key(TEST_KEY) + ["."], 0)
    # The model's words are shown as its audio plays: a second of it, a tone, around them, then
    # the silence that ends the answer.
    tone = base64.b64encode(struct.pack("<2400h", *([8000, -8000] * 1200))).decode()
    quiet = base64.b64encode(bytes(4800)).decode()
    audio = [{"type": "session.output_audio.delta", "delta": tone} for _ in range(20)]
    audio += [{"type": "session.output_audio.delta", "delta": quiet} for _ in range(25)]
    answer = words("output", ["It is "] + split_key(TEST_KEY) + [" indeed."], 0)

    def handler(c):  # closes the session only when asked, when the input has ended
        if not c.upgrade() or c.wait_for("session.start") is None:
            return
        for event in [STARTED] + said + audio[:10] + answer + audio[10:]:
            c.event(event)
        if c.wait_for("session.close", timeout=30) is not None:
            c.event(closed("close_requested"))
        while c.read_event(5) is not None:
            pass
    h = live_hostile(hostile, handler)
    transcript = tmp_path / "talk.txt"
    r = run_against(run, h, tmp_path, "--transcript", str(transcript), mic_ms=3000)
    assert r.returncode == 0, r.stderr
    for text in (r.stdout, r.stderr, transcript.read_text()):
        assert_hidden(text)
    masked = "*" * len(TEST_KEY)
    assert "It is %s indeed." % masked in r.stdout, (r.stdout, r.stderr, transcript.read_text())
    assert "It is %s indeed." % masked in transcript.read_text()
    assert "My key is %s." % masked in transcript.read_text()
