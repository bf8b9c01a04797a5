"""The mock's GPT-Live side, driven by a small websockets client written from LIVE.md (no voxterm):
each rule of the protocol a client could get wrong, as the mock enforces or shows it."""

import asyncio
import base64
import json
import os
import struct
import sys
import time

import pytest
import websockets

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mock"))
from mock_common import mock_audio  # noqa: E402  the mock's voice, which the VAD hears as speech

RATE = 24000
FORMAT = {"type": "audio/pcm", "rate": RATE}


def silence(ms, rate=RATE, width=2):
    return bytes(rate * ms // 1000 * width)


def speech(ms, rate=RATE):
    assert rate == RATE
    return mock_audio(rate * ms // 1000)


def loud(pcm):
    """Whether any 10 ms of PCM16 is above the mock's VAD level."""
    step = RATE // 100
    samples = struct.unpack("<%dh" % (len(pcm) // 2), bytes(pcm[:len(pcm) // 2 * 2]))
    return any(sum(x * x for x in samples[i:i + step]) / step > 1000 ** 2
               for i in range(0, len(samples) - step + 1, step))


class Live:
    """One connection to the mock's GPT-Live endpoint; every server event kept in `got`."""

    def __init__(self, ws):
        self.ws = ws
        self.got = []
        self.out_audio = bytearray()
        self.sent = 0

    async def send(self, kind, **fields):
        await self.ws.send(json.dumps(dict(type=kind, **fields)))

    async def recv(self, timeout=3):
        event = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        self.got.append(event)
        if event["type"] == "session.output_audio.delta":
            self.out_audio += base64.b64decode(event["delta"])
        return event

    async def until(self, kind, timeout=3):
        while True:
            event = await self.recv(timeout)
            if event["type"] == kind:
                return event

    async def quiet(self, seconds=0.3):
        """What arrives in the next seconds (a quiet server: [])."""
        out = []
        try:
            while True:
                out.append(await self.recv(seconds))
        except asyncio.TimeoutError:
            return out

    async def start(self, **session):
        session.setdefault("model", "gpt-live-1.1")
        session.setdefault("audio", {"format": FORMAT, "output": {"voice": "marin"}})
        await self.send("session.start", event_id="evt_start", session=session)
        return await self.until("session.started")

    async def stream(self, pcm, chunk_ms=100, rate=RATE, width=2):
        """Appends pcm in chunks, reading each chunk's output delta (and what came before it)."""
        step = rate * chunk_ms // 1000 * width
        for i in range(0, len(pcm), step):
            await self.send("session.input_audio.append", audio=base64.b64encode(pcm[i:i + step]).decode())
            self.sent += len(pcm[i:i + step])
            await self.until("session.output_audio.delta")

    async def settle(self):
        """The events the last append caused after its audio delta."""
        return await self.quiet(0.2)

    async def leftover(self):
        """What arrived before the close but was not read yet (a send can fail first)."""
        try:
            while True:
                await self.recv(1)
        except websockets.ConnectionClosed:
            pass

    def of(self, kind):
        return [e for e in self.got if e["type"] == kind]

    def text(self, kind):
        return "".join(e["delta"] for e in self.of(kind))


def connect(m, path="/v1/live/sessions", **kw):
    return websockets.connect("ws://127.0.0.1:%d%s" % (m.port, path), max_size=None, **kw)


def drive(scenario):
    asyncio.run(asyncio.wait_for(scenario(), 60))


# ---- the handshake

def test_nothing_is_sent_before_session_start_and_nothing_else_first(mock):
    m = mock()

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            assert await c.quiet(0.5) == []  # a passive socket hears nothing
            await c.send("session.input_audio.append", event_id="e1",
                         audio=base64.b64encode(silence(100)).decode())
            err = await c.until("error")
            assert err["error"]["code"] == "session_not_started"
            assert err["error"]["client_event_id"] == "e1"
            started = await c.start(instructions="Be brief.")
            s = started["session"]
            assert s["id"].startswith("sess_") and s["model"] == "gpt-live-1.1" and s["status"] == "active"
            assert s["expires_at"] > 0 and s["audio"]["format"] == FORMAT
            assert s["audio"]["output"]["voice"] == "marin"
            assert s["delegation"] == {"type": "client"} and s["instructions"] == "Be brief."
            assert started["client_event_id"] == "evt_start"
            await c.send("session.start", session={"model": "gpt-live-1"})
            assert (await c.until("error"))["error"]["code"] == "session_already_started"

    drive(go)
    assert len(m.violations()) == 2
    (connect_record,) = m.connects()
    assert connect_record["dialect"] == "live" and connect_record["path"] == "/v1/live/sessions"


REALTIME_FIELDS = [
    ({"turn_detection": {"type": "server_vad"}}, "session.turn_detection"),
    ({"modalities": ["audio"]}, "session.modalities"),
    ({"tools": []}, "session.tools"),
    ({"input_audio_transcription": {"model": "whisper-1"}}, "session.input_audio_transcription"),
    ({"voice": "marin"}, "session.voice"),
    ({"audio": {"format": FORMAT, "input": {"noise_reduction": None}}}, "session.audio.input"),
    ({"audio": {"format": FORMAT, "output": {"voice": "marin", "speed": 1.2}}}, "session.audio.output.speed"),
    ({"audio": {"format": dict(FORMAT, channels=1)}}, "session.audio.format.channels"),
    ({"delegation": {"type": "responses", "responses": {"model": "gpt-5.5", "temperature": 0.7}}},
     "session.delegation.responses.temperature"),
    ({"delegation": {"type": "responses", "responses": {"model": "gpt-5.5", "tools": [
        {"type": "function", "name": "f", "parameters": {}, "returns": "x"}]}}},
     "session.delegation.responses.tools[0].returns"),
    ({"input": [{"role": "user", "content": [{"type": "input_text", "text": "hi", "lang": "en"}]}]},
     "session.input[0].content[0].lang"),
]


@pytest.mark.parametrize("extra,param", REALTIME_FIELDS, ids=[p for _, p in REALTIME_FIELDS])
def test_session_start_refuses_unknown_fields_by_name(mock, extra, param):
    m = mock()

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            session = dict({"model": "gpt-live-1.1", "audio": {"format": FORMAT}}, **extra)
            await c.send("session.start", event_id="s1", session=session)
            err = await c.until("error")
            assert err["error"]["code"] == "unknown_parameter"
            assert err["error"]["param"] == param
            assert err["error"]["client_event_id"] == "s1"
            assert await c.quiet(0.3) == []  # no session.started

    drive(go)
    assert m.violations()


def messages(n, role="user", part="input_text"):
    return [{"role": role, "content": [{"type": part, "text": "line %d" % i}]} for i in range(n)]


BAD_VALUES = [
    ({"model": None}, "missing_required_parameter"),
    ({"model": "gpt-realtime-2.1"}, "invalid_model"),
    ({"model": "gpt-live-9"}, "model_not_found"),
    ({"audio": {"format": {"type": "audio/pcm", "rate": 44100}}}, "invalid_value"),
    ({"audio": {"format": {"type": "audio/pcmu", "rate": 24000}}}, "invalid_value"),
    ({"audio": {"format": {"type": "pcm16"}}}, "invalid_value"),
    ({"audio": {"format": FORMAT, "output": {"voice": "nobody"}}}, "invalid_value"),
    ({"audio": {"format": FORMAT, "output": {"voice": {"id": "custom"}}}}, "invalid_value"),
    ({"input": messages(129)}, "invalid_value"),
    ({"input": [{"role": "user", "content": [{"type": "input_text", "text": "a"},
                                             {"type": "input_text", "text": "b"}]}]}, "invalid_value"),
    ({"input": messages(1, role="system")}, "invalid_value"),
    ({"input": messages(1, part="output_text")}, "invalid_value"),
    ({"input": messages(1, role="assistant", part="input_text")}, "invalid_value"),
    ({"input": [{"role": "user", "content": [{"type": "input_text", "text": "x" * 40000}]}]}, "invalid_value"),
    ({"delegation": {"type": "responses", "responses": {}}}, "missing_required_parameter"),
    ({"delegation": {"type": "decisions"}}, "invalid_value"),
    ({"store": "yes"}, "invalid_type"),
]


@pytest.mark.parametrize("fields,code", BAD_VALUES, ids=[str(i) for i in range(len(BAD_VALUES))])
def test_session_start_checks_values(mock, fields, code):
    m = mock()

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            session = dict({"model": "gpt-live-1.1", "audio": {"format": FORMAT}}, **fields)
            session = {k: v for k, v in session.items() if v is not None}
            await c.send("session.start", session=session)
            assert (await c.until("error"))["error"]["code"] == code
            assert await c.quiet(0.3) == []

    drive(go)


GOOD_STARTS = [
    {"audio": {"format": {"type": "audio/pcm", "rate": 16000}}},
    {"audio": {"format": {"type": "audio/pcmu", "rate": 8000}, "output": {"voice": {"id": "voice_123"}}}},
    {"audio": {"format": {"type": "audio/pcma", "rate": 8000}, "output": {"voice": "cedar"}}},
    {"input": messages(127) + messages(1, role="assistant", part="text"), "store": True},
    {"input": [{"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "x"}],
                "id": "m1", "status": "completed"}], "delegation": None},
    {"delegation": {"type": "responses", "responses": {
        "model": "gpt-5.5", "instructions": "Use tools.", "max_output_tokens": 256, "parallel_tool_calls": True,
        "reasoning": {"effort": "low", "summary": "auto"}, "service_tier": "auto", "text": {"verbosity": "low"},
        "tool_choice": "auto", "tools": [{"type": "function", "name": "f", "description": "d",
                                          "parameters": {"type": "object"}, "strict": True},
                                         {"type": "web_search"}]}}},
]


@pytest.mark.parametrize("fields", GOOD_STARTS, ids=[str(i) for i in range(len(GOOD_STARTS))])
def test_session_start_accepts_what_live_md_allows(mock, fields):
    m = mock()

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            started = await c.start(**fields)
            fmt = fields.get("audio", {}).get("format", FORMAT)
            assert started["session"]["audio"]["format"] == fmt

    drive(go)
    assert m.violations() == []


def test_azure_paths_take_a_deployment_name(mock):
    m = mock()

    async def go():
        for path in ("/openai/v1/live/sessions", "/openai/v1/live"):
            async with connect(m, path) as ws:
                started = await Live(ws).start(model="my-live-deployment")
                assert started["session"]["model"] == "my-live-deployment"
        async with connect(m) as ws:  # OpenAI's own endpoint knows its models
            c = Live(ws)
            await c.send("session.start", session={"model": "my-live-deployment"})
            assert (await c.until("error"))["error"]["code"] == "invalid_model"

    drive(go)
    assert [c["dialect"] for c in m.connects()] == ["live"] * 3


def test_azure_key_header_and_no_query_on_the_live_url(mock):
    m = mock("--key", "az-key-123")

    async def go():
        async with connect(m, "/openai/v1/live", extra_headers={"api-key": "az-key-123"}) as ws:
            await Live(ws).start(model="dep")
        async with connect(m, "/v1/live/sessions?model=gpt-live-1.1",
                           extra_headers={"Authorization": "Bearer az-key-123"}) as ws:
            await Live(ws).start()

    drive(go)
    assert [c["headers"].get("api-key") for c in m.connects()] == ["<redacted>", None]
    (violation,) = m.violations()
    assert "no query parameters" in violation


# ---- audio and the timeline

def test_output_is_one_continuous_track_that_stops_with_the_input(mock):
    m = mock("--live-usage-ms", "500")

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start()
            await c.stream(silence(1200))
            await c.settle()
            assert len(c.out_audio) == c.sent  # as much output as input, silence included
            assert not loud(c.out_audio)
            usage = [e["usage"]["seconds"] for e in c.of("session.usage.updated")]
            assert usage == [1, 1]  # at 0.5 s and 1.0 s of timeline, cumulative and rounded up
            assert 0 <= c.of("session.usage.updated")[0]["context_window"]["usage_ratio"] <= 1
            # The client stops appending: the timeline freezes (output, usage, everything).
            assert await c.quiet(1.2) == []
            await c.stream(silence(400))
            assert [e["usage"]["seconds"] for e in c.of("session.usage.updated")] == [1, 1, 2]
            assert all("event_id" not in e and "start_ms" not in e for e in c.of("session.output_audio.delta"))

    drive(go)


def test_output_audio_timing_when_asked(mock):
    m = mock("--live-audio-timing")

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start()
            await c.stream(silence(300))
            spans = [(e["start_ms"], e["end_ms"]) for e in c.of("session.output_audio.delta")]
            assert spans == [(0, 100), (100, 200), (200, 300)]

    drive(go)


def test_output_deltas_of_a_fixed_length(mock):
    m = mock("--live-delta-ms", "100", "--live-audio-timing")

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start()
            for _ in range(12):  # 20 ms appends: a delta every fifth
                await c.send("session.input_audio.append", audio=base64.b64encode(silence(20)).decode())
            await c.settle()
            spans = [(e["start_ms"], e["end_ms"]) for e in c.of("session.output_audio.delta")]
            assert spans == [(0, 100), (100, 200)]  # the last 40 ms wait for more input
            await c.send("session.input_audio.append", audio=base64.b64encode(silence(1000)).decode())
            await c.settle()
            assert len(c.of("session.output_audio.delta")) == 12 and len(c.out_audio) == 1200 * 48

    drive(go)


@pytest.mark.parametrize("fmt,width", [({"type": "audio/pcm", "rate": 16000}, 2),
                                       ({"type": "audio/pcmu", "rate": 8000}, 1),
                                       ({"type": "audio/pcma", "rate": 8000}, 1)])
def test_output_comes_in_the_session_format(mock, fmt, width):
    m = mock()

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start(audio={"format": fmt})
            silent = b"\xff" if fmt["type"] == "audio/pcmu" else b"\xd5" if fmt["type"] == "audio/pcma" else b"\0\0"
            await c.stream(silent * (fmt["rate"] // 2), rate=fmt["rate"], width=width)
            assert len(c.out_audio) == c.sent == fmt["rate"] // 2 * width

    drive(go)


@pytest.mark.parametrize("payload", ["", base64.b64encode(b"\1\2\3").decode(), "!!not base64!!"])
def test_bad_audio_is_invalid_audio(mock, payload):
    m = mock()

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start()
            await c.send("session.input_audio.append", event_id="a1", audio=payload)
            err = await c.until("error")
            assert err["error"]["code"] == "invalid_audio" and err["error"]["client_event_id"] == "a1"
            assert c.of("session.output_audio.delta") == []  # the timeline did not move

    drive(go)
    assert m.violations()


def test_appended_audio_is_recorded_by_length(mock):
    m = mock()

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start()
            await c.stream(silence(100))

    drive(go)
    appends = [e for e in m.events() if e["type"] == "session.input_audio.append"]
    assert appends == [{"type": "session.input_audio.append", "audio": "<audio: 4800 bytes>"}]


# ---- turns

def test_a_spoken_turn_gets_transcripts_and_an_answer_in_the_track(mock):
    m = mock()

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start()
            await c.stream(silence(500) + speech(1000) + silence(3000))
            await c.settle()
            heard = c.of("session.input_transcript.delta")
            assert c.text("session.input_transcript.delta") == "(1000 ms of speech)"
            assert heard[0]["start_ms"] == 500 and heard[-1]["end_ms"] == 1500
            said = c.of("session.output_transcript.delta")
            assert c.text("session.output_transcript.delta") == "I heard 1000 ms of speech."
            # The answer starts after the pause (500 ms), 200 ms a word; the words in order.
            assert said[0]["start_ms"] == 2000 and said[-1]["end_ms"] == 3200
            assert [e["start_ms"] for e in said] == sorted(e["start_ms"] for e in said)
            assert len(c.out_audio) == c.sent
            ms = 2 * RATE // 1000
            assert not loud(c.out_audio[:1990 * ms])       # silence until the answer
            assert loud(c.out_audio[2000 * ms:3200 * ms])   # the voice
            assert not loud(c.out_audio[3210 * ms:])        # then silence again
            # Deltas interleave: the first word comes after the audio that reaches it.
            first = c.got.index(said[0])
            before = [e for e in c.got[:first] if e["type"] == "session.output_audio.delta"]
            assert sum(len(base64.b64decode(e["delta"])) for e in before) >= 2000 * ms

    drive(go)


def test_the_answer_length_is_settable(mock):
    m = mock("--live-answer-ms", "2500")

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start()
            await c.stream(speech(600) + silence(4000))
            said = c.of("session.output_transcript.delta")
            assert said[0]["start_ms"] == 1100 and said[-1]["end_ms"] == 3600

    drive(go)


def test_the_model_stops_itself_when_the_user_talks_over_it(mock):
    m = mock("--live-answer-ms", "3000")

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start()
            # Answer from 1500 to 4500 ms; the user talks again at 2500 ms.
            await c.stream(speech(1000) + silence(1500) + speech(800) + silence(4000))
            await c.settle()
            ms = 2 * RATE // 1000
            assert loud(c.out_audio[1500 * ms:2700 * ms])
            assert not loud(c.out_audio[2810 * ms:3800 * ms])  # stopped 300 ms after the user began
            # Cut short (its last words never came), then the answer to the new turn, whole.
            assert c.text("session.output_transcript.delta") == "I heard 1000 I heard 800 ms of speech."
            assert c.text("session.input_transcript.delta") == "(1000 ms of speech)(800 ms of speech)"
            types = {e["type"] for e in c.got}
            assert types == {"session.started", "session.output_audio.delta", "session.input_transcript.delta",
                             "session.output_transcript.delta"}  # no event marks the interruption

    drive(go)
    assert [r["barge_in"] for r in m.records() if "barge_in" in r] == [{"at_ms": 2800}]


def test_words_while_the_user_talks_come_before_the_model_stops(mock):
    m = mock("--live-answer-ms", "3000", "--live-transcript-step-ms", "200")

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start()
            await c.stream(speech(1000) + silence(1500) + speech(800) + silence(4000), chunk_ms=20)
            heard = c.of("session.input_transcript.delta")
            assert c.text("session.input_transcript.delta") == \
                "one two three four five (1000 ms of speech)one two three four (800 ms of speech)"
            assert [(e["start_ms"], e["end_ms"]) for e in heard[:5]] == [
                (0, 200), (200, 400), (400, 600), (600, 800), (800, 1000)]
            # Talked over at 2500 ms: its first word (2500-2700) before the answer's audio stops (2800).
            second = heard[9]  # after five words and "(1000 ms of speech)"
            assert (second["delta"], second["start_ms"]) == ("one ", 2500)
            before = next(i for i, e in enumerate(c.got) if e is second)
            played = sum(len(base64.b64decode(e["delta"])) for e in c.got[:before]
                         if e["type"] == "session.output_audio.delta")
            assert played < 2800 * 48

    drive(go)


def test_muted_input_is_not_heard(mock):
    m = mock()

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start()
            await c.send("session.input_audio.mute", event_id="m1")
            assert (await c.until("session.input_audio.muted"))["client_event_id"] == "m1"
            await c.stream(speech(1000) + silence(1500))
            await c.settle()
            assert c.of("session.input_transcript.delta") == [] and c.of("session.output_transcript.delta") == []
            assert len(c.out_audio) == c.sent  # the timeline went on
            await c.send("session.input_audio.unmute")
            await c.until("session.input_audio.unmuted")
            await c.stream(speech(1000) + silence(1500))
            assert c.text("session.input_transcript.delta") == "(1000 ms of speech)"

    drive(go)


def test_mute_can_freeze_the_timeline(mock):
    m = mock("--live-mute-freezes")

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start()
            await c.send("session.input_audio.mute")
            await c.until("session.input_audio.muted")
            await c.send("session.input_audio.append", audio=base64.b64encode(silence(500)).decode())
            assert await c.quiet(0.5) == []  # nothing moves
            await c.send("session.input_audio.unmute")
            await c.until("session.input_audio.unmuted")
            await c.stream(silence(300))
            assert len(c.out_audio) == 300 * 48

    drive(go)


# ---- appends

def test_appends_need_the_delegation_id_key_and_content(mock):
    m = mock()

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start()
            for kind in ("instructions", "thinking", "commentary"):
                await c.send("session.%s.append" % kind, content="x")
                err = await c.until("error")
                assert (err["error"]["code"], err["error"]["param"]) == ("missing_required_parameter",
                                                                          "delegation_id")
                await c.send("session.%s.append" % kind, delegation_id=None, content="")
                assert (await c.until("error"))["error"]["param"] == "content"
                await c.send("session.%s.append" % kind, delegation_id="item_dlg_nope", content="x")
                assert (await c.until("error"))["error"]["param"] == "delegation_id"

    drive(go)
    assert len(m.violations()) == 9


def test_an_append_is_acknowledged_on_the_timeline_only(mock):
    m = mock()

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start()
            await c.send("session.thinking.append", event_id="t1", delegation_id=None, content="The user is Ann.")
            await c.send("session.instructions.append", event_id="i1", delegation_id=None, content="Be brief.")
            assert await c.quiet(0.5) == []  # no audio flowing: no acknowledgement
            await c.stream(silence(100))
            acks = await c.settle()
            assert [(a["type"], a["client_event_id"], a["start_ms"], a["end_ms"]) for a in acks] == [
                ("session.thinking.appended", "t1", 0, 0), ("session.instructions.appended", "i1", 0, 0)]

    drive(go)


def test_commentary_is_spoken(mock):
    m = mock()

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start()
            await c.stream(silence(200))
            await c.send("session.commentary.append", event_id="c1", delegation_id=None,
                         content="Reply now: the build is green.")
            await c.stream(silence(1500))
            await c.settle()
            assert c.text("session.output_transcript.delta") == "Reply now: the build is green."
            (ack,) = c.of("session.commentary.appended")
            assert (ack["client_event_id"], ack["start_ms"], ack["end_ms"]) == ("c1", 200, 1400)  # 6 words
            ms = 2 * RATE // 1000
            assert loud(c.out_audio[200 * ms:1400 * ms]) and not loud(c.out_audio[1410 * ms:])

    drive(go)


# ---- delegation

def test_client_delegation_waits_for_an_append_and_speaks_the_commentary(mock):
    m = mock("--live-delegate", "get_weather", '{"city":"Paris"}')

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start(delegation={"type": "client"})
            await c.stream(speech(800) + silence(1200))
            assert c.text("session.input_transcript.delta") == 'please use get_weather with {"city":"Paris"}'
            (created,) = c.of("session.delegation.created")
            d = created["delegation"]
            assert d["type"] == "delegation" and d["target"] == "client" and "response_id" not in d
            assert created["offset_ms"] == 1300
            assert c.text("session.output_transcript.delta") == "Let me check."
            await c.send("session.thinking.append", delegation_id=d["id"], content="Asking the weather API.")
            await c.send("session.commentary.append", event_id="c9", delegation_id=d["id"],
                         content="It is sunny in Paris.")
            await c.stream(silence(1500))
            assert c.text("session.output_transcript.delta") == "Let me check.It is sunny in Paris."
            assert c.of("session.commentary.appended")[0]["client_event_id"] == "c9"
            await c.send("response.item.create", item={"type": "function_call_output", "call_id": "x",
                                                       "output": "{}"})
            err = await c.until("error")
            assert err["error"]["message"] == "response.item.create requires Responses delegation."

    drive(go)
    records = m.records()
    assert [r["delegation_answered"]["by"] for r in records if "delegation_answered" in r] == ["thinking"]
    assert not [r for r in records if "live_unanswered" in r]


def test_only_long_turns_are_delegated_when_asked(mock):
    m = mock("--live-delegate", "get_weather", "{}", "--live-delegate-min-ms", "1000")

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start()
            await c.stream(speech(500) + silence(2000))
            assert c.of("session.delegation.created") == []
            assert c.text("session.output_transcript.delta") == "I heard 500 ms of speech."
            await c.stream(speech(1200) + silence(1000))
            assert len(c.of("session.delegation.created")) == 1

    drive(go)


def test_a_delegation_can_come_before_the_last_words(mock):
    m = mock("--live-delegate", "get_weather", '{"city":"Rome"}', "--live-delegation-early")

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start()
            await c.stream(speech(800) + silence(1200))
            kinds = [e["type"] for e in c.got if e["type"] in ("session.input_transcript.delta",
                                                                "session.delegation.created")]
            assert kinds[-2:] == ["session.delegation.created", "session.input_transcript.delta"]
            assert c.text("session.input_transcript.delta") == 'please use get_weather with {"city":"Rome"}'

    drive(go)


def test_a_delegation_never_answered_is_recorded(mock):
    m = mock("--live-delegate", "get_weather", "{}")

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start()
            await c.stream(speech(800) + silence(1200))
            assert len(c.of("session.delegation.created")) == 1  # and nothing answers it

    drive(go)
    (unanswered,) = [r["live_unanswered"] for r in m.records() if "live_unanswered" in r]
    assert len(unanswered) == 1 and unanswered[0].startswith("item_dlg_")


RESPONSES = {"type": "responses", "responses": {"model": "gpt-5.5", "tools": [
    {"type": "function", "name": "get_weather", "parameters": {"type": "object"}}]}}


def test_responses_delegation_calls_a_declared_tool_and_speaks_its_result(mock):
    m = mock("--live-delegate", "get_weather", '{"city":"Seattle"}')

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start(delegation=RESPONSES)
            await c.stream(speech(800) + silence(1200))
            (created,) = c.of("session.delegation.created")
            d = created["delegation"]
            assert d["target"] == "responses" and d["response_id"].startswith("resp_")
            inner = [e["event"] for e in c.of("response.event")]
            assert all(e["delegation_id"] == d["id"] for e in c.of("response.event"))
            kinds = [e["type"] for e in inner]
            assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
            assert inner[0]["response"]["output"] == []  # lifecycle snapshots are stripped
            (done,) = [e for e in inner if e["type"] == "response.output_item.done"]
            call = done["item"]
            assert (call["type"], call["name"], call["arguments"], call["status"]) == (
                "function_call", "get_weather", '{"city":"Seattle"}', "completed")
            usage = inner[-1]["response"]["usage"]
            assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0
            # The rules: a result for every call before response.create; only known call_ids.
            await c.send("response.create", event_id="r0")
            assert (await c.until("error"))["error"]["client_event_id"] == "r0"
            await c.send("response.item.create", item={"type": "function_call_output", "call_id": "call_nope",
                                                       "output": "x"})
            assert (await c.until("error"))["error"]["param"] == "item.call_id"
            await c.send("session.commentary.append", delegation_id=d["id"], content="x")
            assert (await c.until("error"))["error"]["param"] == "delegation_id"
            before = len(c.of("response.event"))
            await c.send("response.item.create", item={"type": "function_call_output", "call_id": call["call_id"],
                                                       "output": '{"temperature":62}'})
            await c.send("response.create")
            await c.stream(silence(2500))
            more = [e["event"] for e in c.of("response.event")[before:]]
            assert more[0]["type"] == "response.created" and more[-1]["type"] == "response.completed"
            text = "".join(e["delta"] for e in more if e["type"] == "response.output_text.delta")
            assert text == 'Tool get_weather returned: {"temperature":62}'
            assert more[-1]["response"]["usage"]["output_tokens"] > 0
            assert c.text("session.output_transcript.delta").endswith(text)

    drive(go)
    records = m.records()
    assert [r["delegation_answered"]["by"] for r in records if "delegation_answered" in r] == ["responses"]
    assert not [r for r in records if "live_unanswered" in r]
    # The refusals above are the client's mistakes; the record says so.
    assert len(m.violations()) == 3


def test_parallel_calls_need_every_output_before_response_create(mock):
    m = mock("--live-delegate", "get_weather", '{"city":"Oslo"}', "--live-delegate", "get_time", '{"tz":"CET"}')
    tools = dict(RESPONSES["responses"], tools=RESPONSES["responses"]["tools"] + [
        {"type": "function", "name": "get_time"}])

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start(delegation={"type": "responses", "responses": tools})
            await c.stream(speech(800) + silence(1200))
            assert c.text("session.input_transcript.delta") == \
                'please use get_weather with {"city":"Oslo"} and get_time with {"tz":"CET"}'
            inner = [e["event"] for e in c.of("response.event")]
            calls = [e["item"] for e in inner if e["type"] == "response.output_item.done"]
            assert [(x["name"], x["arguments"]) for x in calls] == [("get_weather", '{"city":"Oslo"}'),
                                                                     ("get_time", '{"tz":"CET"}')]
            assert [e["output_index"] for e in inner if e["type"] == "response.output_item.done"] == [0, 1]
            pieces = [e["delta"] for e in inner if e["type"] == "response.function_call_arguments.delta"]
            assert "".join(pieces) == '{"city":"Oslo"}{"tz":"CET"}'
            await c.send("response.item.create", item={
                "type": "function_call_output", "call_id": calls[0]["call_id"], "output": "rain"})
            await c.send("response.create", event_id="early")
            assert (await c.until("error"))["error"]["client_event_id"] == "early"  # a partial batch
            await c.send("response.item.create", item={
                "type": "function_call_output", "call_id": calls[1]["call_id"], "output": "noon"})
            await c.send("response.create")
            await c.stream(silence(3000))
            assert c.text("session.output_transcript.delta").endswith(
                "Tool get_weather returned: rain; Tool get_time returned: noon")

    drive(go)


def test_responses_delegation_left_waiting_is_recorded(mock):
    m = mock("--live-delegate", "get_weather", "{}")

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start(delegation=RESPONSES)
            await c.stream(speech(800) + silence(1200))
            assert c.of("session.delegation.created")

    drive(go)
    assert [r for r in m.records() if "live_unanswered" in r]


def test_a_typed_line_through_the_backend(mock):
    m = mock()

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start(delegation=RESPONSES)
            await c.send("response.item.create", item={"type": "message", "role": "user",
                                                       "content": [{"type": "input_text", "text": "hello"}]})
            await c.send("response.create")
            await c.stream(silence(1000))
            assert c.text("session.output_transcript.delta") == "You said: hello"

    drive(go)


def test_session_update_changes_only_the_backend(mock):
    m = mock()

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start(delegation=RESPONSES)
            await c.send("session.update", event_id="u1", session={"delegation": {
                "type": "responses", "responses": {"max_output_tokens": 300}}})
            updated = await c.until("session.updated")
            r = updated["session"]["delegation"]["responses"]
            assert r["max_output_tokens"] == 300 and r["model"] == "gpt-5.5"  # sparse: the rest kept
            assert updated["client_event_id"] == "u1"
            for session, code in (({"delegation": {"type": "client"}}, "immutable_field_update"),
                                  ({"delegation": None}, "immutable_field_update"),
                                  ({"instructions": "x"}, "immutable_field_update"),
                                  ({"turn_detection": None}, "unknown_parameter"),
                                  ({"delegation": {"type": "responses", "responses": {"top_p": 1}}},
                                   "unknown_parameter")):
                await c.send("session.update", session=session)
                assert (await c.until("error"))["error"]["code"] == code

    drive(go)


def test_session_update_under_client_delegation(mock):
    m = mock()

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start()
            await c.send("session.update", session={"delegation": {"type": "client"}})
            assert (await c.until("session.updated"))["session"]["delegation"] == {"type": "client"}
            for session, code in (({}, "missing_required_parameter"),
                                  ({"delegation": {"type": "client", "responses": {"model": "gpt-5.5"}}},
                                   "unknown_parameter"),
                                  ({"delegation": RESPONSES}, "immutable_field_update")):
                await c.send("session.update", session=session)
                assert (await c.until("error"))["error"]["code"] == code

    drive(go)


def test_a_turn_heard_while_closing_gets_no_answer(mock):
    m = mock()
    long = " ".join(["word"] * 15)  # 3 s of commentary, which barge-in does not stop

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start()
            await c.send("session.commentary.append", delegation_id=None, content=long)
            await c.send("session.close")
            with pytest.raises(websockets.ConnectionClosedOK):
                await c.stream(speech(500) + silence(4000))  # a turn ends at 1 s: no new work
            await c.leftover()
            assert c.got[-1]["type"] == "session.closed"
            assert c.of("session.commentary.appended")  # acknowledged before the close
            assert c.text("session.output_transcript.delta") == long  # and no "I heard..."
            assert len(c.out_audio) == RATE * 2 * 3  # closed when the commentary was said

    drive(go)


# ---- ending

def test_close_drains_the_answer_then_closes(mock):
    m = mock("--live-answer-ms", "1000")

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start()
            await c.stream(speech(500) + silence(1000))  # the answer starts at 1000 ms
            await c.send("session.close", event_id="bye")
            await c.send("session.thinking.append", delegation_id=None, content="late")
            assert (await c.until("error"))["error"]["code"] == "session_closed"
            with pytest.raises(websockets.ConnectionClosedOK):
                await c.stream(silence(1000))
            await c.leftover()
            closed = c.got[-1]
            assert closed["type"] == "session.closed"  # as soon as the answer was said, at 2000 ms
            assert len(c.out_audio) == RATE * 2 * 2000 // 1000
            assert closed["reason"] == "close_requested" and closed["usage"] == {"seconds": 2}
            assert closed["session"]["status"] == "closed"
            assert c.text("session.output_transcript.delta") == "I heard 500 ms of speech."

    drive(go)
    assert m.disconnects()[0]["code"] == 1000


def test_close_when_quiet_is_at_once(mock):
    m = mock()

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start()
            await c.send("session.close")
            assert (await c.until("session.closed"))["usage"] == {"seconds": 0}

    drive(go)


@pytest.mark.parametrize("reason", ["expired", "content", "remote_hangup", "connection_lost"])
def test_the_session_ends_by_itself(mock, reason):
    m = mock("--live-expire-ms", "700", "--live-close-reason", reason)

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            started = await c.start()
            assert started["session"]["expires_at"] - time.time() < 5
            await c.stream(silence(300))
            closed = await c.until("session.closed", timeout=3)
            assert closed["reason"] == reason and closed["usage"] == {"seconds": 1}
            with pytest.raises(websockets.ConnectionClosed):
                await c.recv()

    drive(go)
    assert m.disconnects()[0]["code"] == (1011 if reason == "connection_lost" else 1000)


def test_after_expiry_a_new_session_takes_the_history(mock):
    m = mock("--live-expire-ms", "500")
    history = [{"role": "user", "content": [{"type": "input_text", "text": "my name is Ann"}]},
               {"role": "assistant", "content": [{"type": "output_text", "text": "Hello Ann."}]}]

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            first = await c.start()
            await c.until("session.closed")
        async with connect(m) as ws:
            c = Live(ws)
            second = await c.start(input=history)
            assert second["session"]["id"] != first["session"]["id"]
            assert second["session"]["input"] == history

    drive(go)
    starts = [e for e in m.events() if e["type"] == "session.start"]
    assert [len(e["session"].get("input", [])) for e in starts] == [0, 2]
    assert [r["live_started"]["input_messages"] for r in m.records() if "live_started" in r] == [0, 2]


# ---- errors

@pytest.mark.parametrize("code", ["model_not_found", "credit_balance_exhausted", "invalid_api_key",
                                  "insufficient_quota"])
def test_an_error_instead_of_session_started(mock, code):
    m = mock("--live-error-at-start", code)

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.send("session.start", event_id="s", session={"model": "gpt-live-1.1"})
            err = await c.until("error")
            assert err["error"]["code"] == code and err["error"]["client_event_id"] == "s"
            assert await c.quiet(0.3) == []

    drive(go)
    assert m.violations() == []


@pytest.mark.parametrize("flags,status", [(("--key", "sk-right"), 401), (("--http-status", "503"), 503),
                                          (("--http-error", "credit_balance_exhausted"), 429)])
def test_the_upgrade_is_refused_on_the_live_path(mock, flags, status):
    m = mock(*flags)

    async def go():
        with pytest.raises(websockets.InvalidStatusCode) as refused:
            async with connect(m, extra_headers={"Authorization": "Bearer sk-wrong"}):
                pass
        assert refused.value.status_code == status

    drive(go)


def test_unknown_and_realtime_events_are_refused(mock):
    m = mock()

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start()
            for kind in ("input_audio_buffer.commit", "response.cancel", "conversation.item.create"):
                await c.send(kind)
                err = await c.until("error")
                assert kind in err["error"]["message"] and "session.input_audio.append" in err["error"]["message"]

    drive(go)
    assert len(m.violations()) == 3


def test_malformed_frames_get_an_error_and_the_session_goes_on(mock):
    m = mock()

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            for frame in (b"\x00binary", "not JSON {", "[1, 2]", '{"type": 42}',
                          json.dumps({"type": "session.start", "session": [1]}),
                          json.dumps({"type": "session.start", "session": {"model": "gpt-live-1", "delegation": {
                              "type": "responses", "responses": {"model": "gpt-5.5", "tools": 5}}}})):
                await ws.send(frame)
                await c.until("error")
            await c.start()
            await c.stream(silence(100))

    drive(go)
    assert len(m.violations()) == 6


def test_session_started_late_or_never(mock):
    m = mock("--live-start-delay-ms", "1500")

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.send("session.start", session={"model": "gpt-live-1.1"})
            await c.send("session.input_audio.append", audio=base64.b64encode(silence(100)).decode())
            assert (await c.until("error"))["error"]["code"] == "session_not_started"  # too early
            await c.until("session.started")
            assert len(c.got) == 2

    drive(go)
    assert len(m.violations()) == 1

    never = mock("--live-start-delay-ms", "-1")

    async def wait():
        async with connect(never) as ws:
            c = Live(ws)
            await c.send("session.start", session={"model": "gpt-live-1.1"})
            assert await c.quiet(1.0) == []

    drive(wait)
    assert [r for r in never.records() if "live_start_withheld" in r]


def test_a_dropped_connection_has_no_session_closed_and_happens_once(mock):
    m = mock("--live-drop-ms", "300")

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            await c.start()
            with pytest.raises(websockets.ConnectionClosed) as lost:
                await c.stream(silence(1000))
            assert lost.value.rcvd is None  # no close frame
            assert c.of("session.closed") == []
        async with connect(m) as ws:
            c = Live(ws)
            await c.start()
            await c.stream(silence(1000))

    drive(go)
    assert [r["live_dropped"] for r in m.records() if "live_dropped" in r] == [{"at_ms": 300}]


def test_garbage_then_the_session_as_usual(mock):
    m = mock("--live-garbage")

    async def go():
        async with connect(m, max_queue=None) as ws:
            c = Live(ws)
            await c.send("session.start", session={"model": "gpt-live-1.1"})
            frames = [await asyncio.wait_for(ws.recv(), 5) for _ in range(23)]  # started, then the garbage
            assert json.loads(frames[0])["type"] == "session.started"
            assert isinstance(frames[1], bytes) and frames[2] == "this is not JSON {"
            await c.stream(speech(500) + silence(2000))
            assert c.text("session.output_transcript.delta") == "I heard 500 ms of speech."

    drive(go)


def test_the_other_side_of_the_open_questions(mock):
    m = mock("--live-no-ack-ids", "--live-update-replaces")

    async def go():
        async with connect(m) as ws:
            c = Live(ws)
            started = await c.start(delegation=RESPONSES)
            assert "client_event_id" not in started
            await c.send("session.input_audio.mute", event_id="m1")
            assert "client_event_id" not in await c.until("session.input_audio.muted")
            await c.send("session.update", event_id="u1", session={"delegation": {
                "type": "responses", "responses": {"max_output_tokens": 300}}})
            err = await c.until("error")  # replaced whole: the model is required again
            assert err["error"]["param"] == "session.delegation.responses.model"
            assert err["error"]["client_event_id"] == "u1"  # errors keep it
            await c.send("session.update", session={"delegation": {
                "type": "responses", "responses": {"model": "gpt-5.6"}}})
            r = (await c.until("session.updated"))["session"]["delegation"]["responses"]
            assert r == {"model": "gpt-5.6"}

    drive(go)


def test_the_realtime_side_is_unchanged(mock):
    m = mock()

    async def go():
        async with connect(m, "/v1/realtime?model=gpt-realtime-2.1") as ws:
            first = json.loads(await asyncio.wait_for(ws.recv(), 3))
            assert first["type"] == "session.created"

    drive(go)
    assert m.connects()[0]["dialect"] == "ga"
