"""The mock's GPT-Live side: one WebSocket on /v1/live/sessions (Azure: /openai/v1/live/sessions or
/openai/v1/live), one session, as ../shared/protocol/LIVE.md describes it (not as any client does).

realtime_mock.py routes a connection here by its path; LiveSession.run() serves it (live_checks.py
checks session.start and session.update). What it does:
  * Handshake: nothing is sent until the client's session.start; then session.started with the
    whole session resource. Any other event first gets an `error` (session_not_started); a
    second session.start is an error too.
  * session.start is strict: an unknown field anywhere in the session (Realtime's turn_detection,
    modalities, tools, input_audio_transcription...) gets unknown_parameter naming it in `param`,
    and no session.started. model is required (gpt-live-1 or gpt-live-1.1; on Azure's paths any
    deployment name), audio.format is pcm at 16000/24000 or pcmu/pcma at 8000, input is at most 128
    messages of one part each (developer and user: input_text; assistant: output_text or text), a
    voice is a known name or {"id": "voice_..."}, delegation is null, client or responses (with
    responses.model).
  * The timeline: every input_audio.append advances it by the audio's duration, and exactly as
    much output audio comes back (session.output_audio.delta, in the session's format): one
    continuous track, silence included, one delta for each append (--live-delta-ms MS: deltas of
    MS each, as TRAV saw 100 ms ones, the rest sent once more input has come). When the client
    stops appending, output, transcripts, append acknowledgements and usage stop with it.
    Odd-length PCM16, empty or bad base64 appends get invalid_audio.
  * Turns: an energy VAD (10 ms windows above RMS 1000, as the Realtime side's) finds the user's
    speech. After --live-pause-ms of silence the turn ends: its transcript as
    session.input_transcript.delta words with start_ms/end_ms ("(N ms of speech)", or with
    --live-delegate "please use NAME with ARGS"), then the model's answer "I heard N ms of
    speech." as session.output_transcript.delta words interleaved with the audio (the mock's
    tone, or --answer-audio), --live-answer-ms long (default 200 ms a word), then silence.
    --live-transcript-step-ms MS also sends a word ("one", "two"...) every MS while the user
    talks, as a real transcript follows the audio (so it can come before the model stops).
  * Barge-in belongs to the model: user speech during an answer stops it --live-barge-in-ms
    later (the audio turns to silence, the transcript stops). No event marks either.
  * session.input_audio.mute/.unmute: acknowledged at once; muted input is not heard (the
    timeline still advances).
  * session.{instructions,thinking,commentary}.append: the delegation_id key (string or null) and
    a non-empty content are required; acknowledged as .appended {start_ms, end_ms,
    client_event_id} when the timeline reaches end_ms (no audio, no ack). Commentary is spoken.
  * Delegation (--live-delegate NAME JSON: every user turn asks for it; with
    --live-delegate-min-ms MS only turns of at least MS of speech, so a client can choose from
    audio alone): the model says "Let me check." and sends session.delegation.created (with
    --live-delegation-early before the turn's last transcript word, as LK-PY saw it). Client
    delegation waits for a commentary or thinking append with that id (commentary is spoken).
    Responses delegation sends response.event envelopes: response.created, the function_call to
    NAME (when responses.tools declares it; else the first declared function; with none, a text
    answer) in output_item.added, function_call_arguments.delta/.done and output_item.done (one
    call for each --live-delegate: several are parallel calls; --live-delegate-times N makes each
    N times; --live-unfinished-call adds one announced by output_item.added alone, still pending),
    response.completed with usage;
    it then takes response.item.create (function_call_output for each call_id; an unknown one is
    an error; a user message too) and response.create (refused while a call has no output), and
    goes on: response.created, output_text.delta, response.completed, and the voice says "Tool
    NAME returned: OUTPUT" (joined by "; " for several, past three "and N more"; or "You said:
    TEXT"). A delegation still
    unanswered when the connection ends is recorded (live_unanswered). A session commentary
    append (delegation_id null) holding "mock:call NAME JSON" (a typed line, as the Realtime
    side's mock:call) is taken as such a request: the model delegates a call to NAME with JSON.
  * session.update changes delegation.responses only (sparse: settings left out are kept, as
    OAI-PY says); another type, or null, is immutable_field_update; any other field too.
  * session.usage.updated every --live-usage-ms of timeline: cumulative usage.seconds and
    context_window.usage_ratio.
  * session.close: no new commands (each an error); the answer being spoken drains (on the
    timeline, at most --live-drain-ms of wall time), then session.closed {reason:
    "close_requested", usage, session} and the WebSocket close (1000).
  * --live-expire-ms MS: after MS the session ends with session.closed {reason:
    --live-close-reason (expired by default; content, remote_hangup, connection_lost)}, then the
    close (1000; connection_lost: 1011). expires_at says when. A new connection's session.start
    may carry the conversation as `input` (recorded with the event, and counted as
    live_started.input_messages). --live-drop-ms MS drops the TCP connection at MS of timeline
    instead, with no session.closed (once per mock).
  * --live-error-at-start CODE: that `error` (FATAL_ERRORS' wording) answers every session.start
    instead of session.started. --http-status, --key and --http-error refuse the upgrade here as on
    the Realtime paths.
  * --live-start-delay-ms MS sends session.started MS late (-1: never), and any event but
    session.start before it is still refused; --live-garbage sends hostile frames (binary, not
    JSON, deep, huge, mistyped Live events) right after session.started, then goes on as usual.
  * Where LIVE.md's sources disagree (its section 9) a flag gives the other side:
    --live-audio-timing: output audio deltas carry start_ms/end_ms (MS-REF; by default they do
    not, as OAI-PY says of the primary WebSocket); --live-no-ack-ids: acknowledgements leave out
    client_event_id (MS-REF); --live-update-replaces: session.update replaces
    delegation.responses whole (MS-REF) instead of merging (OAI-PY); --live-mute-freezes: muted,
    the timeline stands still (unmeasured either way: by default it goes on).
  * An unknown event type (Realtime's included) gets an error listing the client events; binary,
    non-JSON and typeless frames an error each; the session goes on.
Acks echo client_event_id by default (the OAI-PY types).

Recorded (--record): every client event (audio replaced by its length) with dialect "live", each
violation of LIVE.md by the client, each error sent, live_started, barge_in, delegation_created,
delegation_answered, live_unanswered and live_closed.
"""

import asyncio
import base64
import binascii
import json
import math
import struct
import time
import urllib.parse
import warnings

import websockets

from live_checks import MAX_APPEND_TOKENS, Refusal, check_responses, check_start, unknown, want
from mock_common import SAMPLE_RATE, fatal_error, redact, text_tokens

with warnings.catch_warnings():  # deprecated in 3.11, still here in Debian 12's Python
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

LIVE_PATHS = ("/v1/live/sessions", "/openai/v1/live/sessions", "/openai/v1/live")
AZURE_PATHS = ("/openai/v1/live/sessions", "/openai/v1/live")
CLIENT_EVENTS = ("session.start", "session.update", "session.input_audio.append",
                 "session.input_audio.mute", "session.input_audio.unmute",
                 "session.instructions.append", "session.thinking.append",
                 "session.commentary.append", "response.item.create", "response.create",
                 "session.close")
CONTEXT_TOKENS = 32768  # for usage_ratio; the real window is not documented
VAD_RMS = 1000
WINDOW_MS = 10
ACK = "Let me check."
COUNTING = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


class Codec:
    """The session's audio format: its bytes, its samples and the mock's voice in it."""

    def __init__(self, fmt, server):
        self.type = fmt["type"]
        self.rate = fmt["rate"]
        self.width = 2 if self.type == "audio/pcm" else 1  # bytes a sample
        self.server = server
        self.tones = {}

    def linear(self, data):
        """PCM16 of data, for the VAD."""
        if self.type == "audio/pcmu":
            return audioop.ulaw2lin(data, 2)
        if self.type == "audio/pcma":
            return audioop.alaw2lin(data, 2)
        return data

    def encode(self, pcm):
        if self.type == "audio/pcmu":
            return audioop.lin2ulaw(pcm, 2)
        if self.type == "audio/pcma":
            return audioop.lin2alaw(pcm, 2)
        return pcm

    def voice(self, samples, start):
        """Samples start..start+samples of the mock's voice, in the session's format."""
        if self.rate == SAMPLE_RATE:
            return self.encode(self.server.answer_audio(samples, start))
        tone = self.tones.get(self.rate)
        if tone is None:  # the same tone as at 24 kHz: two seconds, any slice up to one
            tone = bytearray()
            for n in range(self.rate):
                t = n / self.rate
                amp = 6000 + 4000 * math.sin(2 * math.pi * 3 * t)
                tone += struct.pack("<h", int(amp * math.sin(2 * math.pi * 440 * t)))
            tone = self.tones[self.rate] = bytes(tone * 2)
        out = bytearray()
        while samples > 0:
            offset, n = start % self.rate, min(samples, self.rate)
            out += tone[2 * offset:2 * (offset + n)]
            start += n
            samples -= n
        return self.encode(bytes(out))

    def silence(self, samples):
        return self.encode(bytes(2 * samples))


class Utterance:
    """Something the model says: words spread evenly over dur samples, from when it starts."""

    def __init__(self, text, dur, not_before, kind):
        self.words = [w + " " for w in text.split(" ")[:-1]] + [text.split(" ")[-1]]
        self.dur = max(dur, len(self.words))
        self.not_before = not_before  # samples on the timeline
        self.kind = kind              # "answer", "ack", "commentary", "backend"
        self.start = None             # set when it starts playing
        self.end = None               # start + dur, or sooner when the model stops itself
        self.said = 0                 # words sent

    def word_at(self, i):
        return self.start + i * self.dur // len(self.words)


class LiveSession:
    """One WebSocket connection: one GPT-Live session."""

    def __init__(self, server, ws):
        self.server = server
        self.args = server.args
        self.ws = ws
        url = urllib.parse.urlsplit(ws.path)
        self.azure = url.path in AZURE_PATHS
        self.query = url.query
        self.state = "new"        # new, starting (session.started not sent yet), active, closing, closed
        self.cfg = None           # check_start's settings
        self.id = None
        self.codec = None
        self.started_at = time.time()
        self.now = 0              # the timeline, in samples of input audio
        self.muted = False
        # The VAD, in samples: the speech being heard, and the silence after it.
        self.window = bytearray()
        self.speech_start = None
        self.speech_end = None    # the last speech window's end
        self.turn_open = False    # speech heard, its turn not ended yet
        self.words_heard = 0      # its words sent while it went on (--live-transcript-step-ms)
        self.queue = []           # Utterances waiting, then playing (the first)
        self.acks = []            # (due sample, event) of appends, sent when the timeline reaches them
        self.next_usage = None
        self.delegations = {}     # id -> {"target", "answered", "response_id"}
        self.calls = {}           # call_id -> {"name", "delegation", "output"}
        self.backend_items = []   # response.item.create's items since the last response.create
        self.transcript_tokens = 0
        self.out_pending = bytearray()  # output made but not sent yet (--live-delta-ms)
        self.out_sent = 0               # samples of output sent
        self.words_pending = []         # (word, start, end) of output not sent yet
        self.tasks = []

    # ---- helpers

    def new_id(self, prefix):
        self.server.counter += 1
        return "%s_%04d" % (prefix, self.server.counter)

    def record(self, record):
        self.server.record(record)

    def spawn(self, coro):
        """Runs coro beside the connection's reading, until it ends or the connection does."""
        async def guarded():
            try:
                await coro
            except websockets.ConnectionClosed:
                pass  # the client left first
        self.tasks.append(asyncio.ensure_future(guarded()))

    def ms(self, samples):
        return samples * 1000 // self.codec.rate

    def samples(self, ms):
        return ms * self.codec.rate // 1000

    async def send(self, event, event_id=True):
        if event_id:
            event.setdefault("event_id", self.new_id("event"))
        await self.ws.send(json.dumps(event))

    async def error(self, code, message, client_event=None, param=None, kind="invalid_request_error",
                    violation=True):
        """An `error` event; violation: the client broke a LIVE.md rule (recorded as such)."""
        self.record({"error_sent": {"code": code, "message": message}})
        if violation:
            self.record({"violation": "%s: %s" % ((client_event or {}).get("type", "?"), message)})
        await self.send({"type": "error", "error": {
            "type": kind, "code": code, "message": message, "param": param,
            "client_event_id": (client_event or {}).get("event_id")}})

    def ack(self, event, body):
        """A success acknowledgement of event: with its client_event_id, unless --live-no-ack-ids."""
        body = dict(body)
        if event.get("event_id") is not None and not self.args.live_no_ack_ids:
            body["client_event_id"] = event["event_id"]
        return body

    def resource(self, status="active"):
        """The session resource (OAI-PY session_resource.py)."""
        c = self.cfg
        out = {"id": self.id, "object": "live.session", "model": c["model"], "status": status,
               "expires_at": int(self.started_at) + self.expires_in_s(),
               "audio": {"format": {"type": self.codec.type, "rate": self.codec.rate},
                         "output": {"voice": c["voice"]}},
               "delegation": c["delegation"], "store": c["store"]}
        if c["instructions"] is not None:
            out["instructions"] = c["instructions"]
        if c["input"]:
            out["input"] = c["input"]
        return out

    def expires_in_s(self):
        ms = self.args.live_expire_ms
        return -(-ms // 1000) if ms else 3600

    def usage(self):
        return {"seconds": -(-self.ms(self.now) // 1000)}

    def usage_ratio(self):
        c = self.cfg
        tokens = text_tokens(c["instructions"]) + self.transcript_tokens
        tokens += sum(text_tokens(i["content"][0]["text"]) for i in c["input"])
        return round(min(1.0, tokens / CONTEXT_TOKENS), 4)

    # ---- the connection

    async def run(self):
        if self.query:
            self.record({"violation": "the Live URL takes no query parameters: %r" % self.query})
        try:
            await self.serve()
        finally:
            for task in self.tasks:
                task.cancel()
            unanswered = [d for d, v in self.delegations.items() if not v["answered"]]
            if unanswered:
                self.record({"live_unanswered": unanswered})

    async def serve(self):
        async for message in self.ws:
            event = await self.parse(message)
            if event is None:
                continue
            self.record({"dir": "in", "dialect": "live", "event": redact(event)})
            await self.dispatch(event)

    async def parse(self, message):
        """The event in a message, or None once the client has been told what is wrong with it."""
        if isinstance(message, bytes):
            await self.error("invalid_event", "Binary frames are not supported.")
            return None
        try:
            event = json.loads(message)
        except ValueError:
            await self.error("invalid_json", "The message is not JSON.")
            return None
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            await self.error("invalid_event", "Missing required parameter: 'type'.", None, "type")
            return None
        return event

    async def dispatch(self, event):
        kind = event["type"]
        if kind not in CLIENT_EVENTS:
            await self.error("invalid_value", "Unsupported event type '%s'. Supported client events: %s."
                             % (kind, ", ".join(CLIENT_EVENTS)), event, "type")
            return
        if kind != "session.start" and self.state in ("new", "starting"):
            await self.error("session_not_started", "Send session.start and wait for session.started "
                             "before %s." % kind, event)
            return
        if self.state == "closed" or (self.state == "closing" and kind != "session.input_audio.append"):
            await self.error("session_closed", "The session is closing: %s is refused." % kind, event)
            return
        try:
            await getattr(self, "on_" + kind.replace(".", "_"))(event)
        except Refusal as r:
            await self.error(r.code, str(r), event, r.param)
        except (TypeError, ValueError, KeyError, AttributeError, IndexError) as e:
            # A shape the checks above did not foresee: still the client's, still one error.
            await self.error("invalid_value", "The mock could not read %s: %r." % (kind, e), event)

    # ---- the handshake

    async def on_session_start(self, event):
        if self.state != "new":
            raise Refusal("session_already_started", "The session has already started.")
        if self.args.live_error_at_start:
            _, body = fatal_error(self.args.live_error_at_start, (event.get("session") or {}).get("model"))
            await self.error(body["code"], body["message"], event, body["param"], body["type"],
                             violation=False)
            return
        self.cfg = check_start(event.get("session"), self.azure)
        if "client" in event["session"]:
            self.record({"violation": "session.client is for WebRTC frontends, not a WebSocket"})
        self.codec = Codec(self.cfg["format"], self.server)
        self.id = self.new_id("sess")
        self.state = "starting"
        delay = self.args.live_start_delay_ms
        if delay < 0:
            self.record({"live_start_withheld": self.id})  # a client must time-box its wait
        elif delay:
            self.spawn(self.started(event, delay / 1000))
        else:
            await self.started(event)

    async def started(self, event, delay_s=0):
        await asyncio.sleep(delay_s)
        self.state = "active"
        self.started_at = time.time()
        self.next_usage = self.samples(self.args.live_usage_ms) if self.args.live_usage_ms else None
        self.record({"live_started": {"id": self.id, "input_messages": len(self.cfg["input"]),
                                      "delegation": self.cfg["delegation"]["type"]}})
        await self.send(self.ack(event, {"type": "session.started", "session": self.resource()}))
        if self.args.live_expire_ms:
            self.spawn(self.expire(self.args.live_expire_ms / 1000))
        if self.args.live_garbage:
            await self.send_garbage()

    async def on_session_update(self, event):
        s = event.get("session")
        want(isinstance(s, dict), "Missing required parameter: 'session'.", "session", "missing_required_parameter")
        for key in s:
            if key != "delegation":
                code = "immutable_field_update" if key in ("model", "instructions", "input", "audio", "store") \
                    else "unknown_parameter"
                raise Refusal(code, "'session.%s' cannot be updated: only delegation.responses can." % key,
                              "session." + key)
        want("delegation" in s, "Missing required parameter: 'session.delegation'.", "session.delegation",
             "missing_required_parameter")
        d = s["delegation"]
        current = self.cfg["delegation"]
        if not isinstance(d, dict) or d.get("type") != current["type"]:
            raise Refusal("immutable_field_update", "The delegation type cannot change (it is '%s')."
                          % current["type"], "session.delegation.type")
        unknown(d, ("type", "responses") if current["type"] == "responses" else ("type",), "session.delegation")
        if current["type"] == "responses":
            r = d.get("responses", {})
            want(isinstance(r, dict), "'session.delegation.responses' must be an object.",
                 "session.delegation.responses", "invalid_type")
            replace = self.args.live_update_replaces  # MS-REF; OAI-PY keeps what is left out
            check_responses(r, "session.delegation.responses", need_model=replace)
            if replace:
                current["responses"] = dict(r)
            else:
                current["responses"].update(r)
        await self.send(self.ack(event, {"type": "session.updated", "session": self.resource()}))

    async def expire(self, seconds):
        await asyncio.sleep(seconds)
        reason = self.args.live_close_reason
        await self.close_session(reason, 1011 if reason == "connection_lost" else 1000)

    async def close_session(self, reason, code=1000):
        if self.state == "closed":
            return
        self.state = "closed"
        self.record({"live_closed": {"reason": reason, "usage": self.usage()}})
        await self.send({"type": "session.closed", "reason": reason, "usage": self.usage(),
                         "session": self.resource("closed")})
        await self.ws.close(code=code, reason=reason)

    async def on_session_close(self, event):
        self.state = "closing"
        if not self.queue:
            await self.close_session("close_requested")
            return
        self.spawn(self.drain())

    async def drain(self):
        """What is being said plays on while the timeline moves (the appends end it when it is
        said), for at most --live-drain-ms of wall time."""
        await asyncio.sleep(self.args.live_drain_ms / 1000)
        await self.close_session("close_requested")

    # ---- audio and the timeline

    async def on_session_input_audio_append(self, event):
        audio = event.get("audio")
        try:
            data = base64.b64decode(audio, validate=True) if isinstance(audio, str) else b""
        except (ValueError, binascii.Error):
            raise Refusal("invalid_audio", "The audio is not valid base64.", "audio")
        if not data:
            raise Refusal("invalid_audio", "The audio is empty.", "audio")
        if len(data) % self.codec.width:
            raise Refusal("invalid_audio", "PCM16 audio must have an even number of bytes (got %d)."
                          % len(data), "audio")
        self.server.audio_in.extend(data)
        if self.muted and self.args.live_mute_freezes:
            return  # LIVE.md 9.9's other side: a muted session's timeline stands still
        n = len(data) // self.codec.width
        t0 = self.now
        await self.hear(self.codec.linear(data), t0)
        self.now = t0 + n
        await self.speak(t0, self.now)
        await self.timeline_events()
        if self.state == "closing" and not self.queue:
            await self.close_session("close_requested")  # drained
            return
        drop = self.args.live_drop_ms
        if drop and self.ms(self.now) >= drop and not getattr(self.server, "live_dropped", False):
            self.server.live_dropped = True  # once per mock: the next connection is whole
            self.record({"live_dropped": {"at_ms": self.ms(self.now)}})
            self.ws.transport.abort()
            raise websockets.ConnectionClosed(None, None)

    async def hear(self, pcm, t0):
        """The VAD over the input (muted: silence), turn ends, barge-in."""
        self.window += bytes(len(pcm)) if self.muted else pcm
        step = self.codec.rate * WINDOW_MS // 1000
        at = t0 - (len(self.window) - len(pcm)) // 2  # where the window's first sample is
        while len(self.window) >= 2 * step:
            chunk, self.window = self.window[:2 * step], self.window[2 * step:]
            at += step
            if audioop.rms(bytes(chunk), 2) > VAD_RMS:
                await self.speech(at)
            elif self.turn_open and at - self.speech_end >= self.samples(self.args.live_pause_ms):
                await self.turn_ended(at)

    async def speech(self, at):
        if not self.turn_open:
            self.turn_open = True
            self.speech_start = at - self.samples(WINDOW_MS)
            self.record({"live_speech_started": self.ms(self.speech_start)})
            self.words_heard = 0
            playing = self.queue[0] if self.queue and self.queue[0].start is not None else None
            if playing and playing.kind == "answer":
                # The model hears the user and stops itself, a little later.
                cut = max(at, self.speech_start + self.samples(self.args.live_barge_in_ms))
                playing.end = min(playing.end, cut)
                self.record({"barge_in": {"at_ms": self.ms(playing.end)}})
        self.speech_end = at
        step = self.samples(self.args.live_transcript_step_ms)
        while step and (self.words_heard + 1) * step <= at - self.speech_start:
            # --live-transcript-step-ms: words while the user talks, at the audio's cadence.
            a = self.speech_start + self.words_heard * step
            word = COUNTING[self.words_heard % len(COUNTING)]
            self.words_heard += 1
            self.transcript_tokens += 1
            await self.send({"type": "session.input_transcript.delta", "delta": word + " ",
                             "start_ms": self.ms(a), "end_ms": self.ms(a + step)})

    async def turn_ended(self, at):
        """at: the timeline (samples) where the pause after the speech is long enough."""
        self.turn_open = False
        start, end = self.speech_start, self.speech_end
        heard = self.ms(end - start)
        said = min(end, start + self.words_heard * self.samples(self.args.live_transcript_step_ms))
        self.record({"live_turn": {"start_ms": self.ms(start), "end_ms": self.ms(end)}})
        delegate = self.args.live_delegate if heard >= self.args.live_delegate_min_ms else None
        text = ("please use " + " and ".join("%s with %s" % tuple(d) for d in delegate) if delegate
                else "(%d ms of speech)" % heard)
        early = delegate and self.args.live_delegation_early and self.state == "active"
        await self.transcript("session.input_transcript.delta", text, said, end,
                              hold_last=self.delegate(at) if early else None)
        # What the model had not started saying when the user spoke again is dropped: it answers anew.
        self.queue = [u for u in self.queue if u.start is not None or u.kind != "answer"]
        if self.state != "active":
            return  # closing: no new work, only what is being said drains
        if delegate:
            self.queue.append(Utterance(ACK, self.samples(200 * 3), at, "ack"))
            if not early:
                await self.delegate(at)
            return
        answer = "I heard %d ms of speech." % heard
        words = len(answer.split(" "))
        dur = self.samples(self.args.live_answer_ms or 200 * words)
        self.queue.append(Utterance(answer, dur, at, "answer"))

    async def transcript(self, kind, text, start, end, hold_last=None):
        """Word deltas spread over start..end (samples), each with its start_ms and end_ms;
        hold_last: a coroutine to run before the last word (--live-delegation-early)."""
        words = text.split(" ")
        self.transcript_tokens += text_tokens(text)
        for i, word in enumerate(words):
            if hold_last is not None and i == len(words) - 1:
                await hold_last
            a = start + (end - start) * i // len(words)
            b = start + (end - start) * (i + 1) // len(words)
            await self.send({"type": kind, "delta": word + (" " if i < len(words) - 1 else ""),
                             "start_ms": self.ms(a), "end_ms": self.ms(b)})

    async def speak(self, t0, t1):
        """Output audio for t0..t1 of the timeline: the queue's utterances, silence between."""
        audio = bytearray()
        words = []
        pos = t0
        while pos < t1:
            u = self.queue[0] if self.queue else None
            if u is None or (u.start is None and u.not_before >= t1):
                audio += self.codec.silence(t1 - pos)
                break
            if u.start is None:
                if u.not_before > pos:
                    audio += self.codec.silence(u.not_before - pos)
                    pos = u.not_before
                u.start = pos
                u.end = pos + u.dur
            stop = min(t1, u.end)
            audio += self.codec.voice(stop - pos, pos - u.start)
            while u.said < len(u.words) and u.word_at(u.said) < stop:
                words.append((u.words[u.said], u.word_at(u.said), u.word_at(u.said + 1)
                              if u.said + 1 < len(u.words) else u.start + u.dur))
                u.said += 1
            pos = stop
            if pos >= u.end:
                self.queue.pop(0)
                self.record({"live_said": {"kind": u.kind, "words": u.said, "of": len(u.words)}})
        self.out_pending += audio
        self.words_pending += words
        await self.send_output()

    async def send_output(self):
        """The output made so far, as deltas: one for each append, or of --live-delta-ms each
        (the rest waits for more input); each word after the audio that reaches it."""
        size = self.samples(self.args.live_delta_ms) * self.codec.width
        while self.out_pending and len(self.out_pending) >= size:
            chunk = bytes(self.out_pending[:size] if size else self.out_pending)
            del self.out_pending[:len(chunk)]
            t0 = self.out_sent
            self.out_sent += len(chunk) // self.codec.width
            self.server.audio_out.extend(chunk)
            delta = {"type": "session.output_audio.delta", "delta": base64.b64encode(chunk).decode()}
            if self.args.live_audio_timing:
                delta.update(start_ms=self.ms(t0), end_ms=self.ms(self.out_sent))
            await self.send(delta, event_id=False)
            while self.words_pending and self.words_pending[0][1] < self.out_sent:
                word, a, b = self.words_pending.pop(0)
                self.transcript_tokens += text_tokens(word)
                await self.send({"type": "session.output_transcript.delta", "delta": word,
                                 "start_ms": self.ms(a), "end_ms": self.ms(b)})

    async def send_garbage(self):
        """What an untrusted server may send (--live-garbage): a client must skip each and go on."""
        self.record({"live_garbage": len(GARBAGE)})
        await send_garbage_to(self.ws)

    async def timeline_events(self):
        """What waits for the timeline: append acknowledgements, usage."""
        due = [a for a in self.acks if a[0] <= self.now]
        self.acks = [a for a in self.acks if a[0] > self.now]
        for _, event in due:
            await self.send(event)
        if self.next_usage is not None and self.now >= self.next_usage:
            period = self.samples(self.args.live_usage_ms)
            self.next_usage = (self.now // period + 1) * period
            await self.send({"type": "session.usage.updated", "usage": self.usage(),
                             "context_window": {"usage_ratio": self.usage_ratio()}})

    async def on_session_input_audio_mute(self, event):
        self.muted = True
        await self.send(self.ack(event, {"type": "session.input_audio.muted"}))

    async def on_session_input_audio_unmute(self, event):
        self.muted = False
        await self.send(self.ack(event, {"type": "session.input_audio.unmuted"}))

    # ---- appends

    async def append(self, event, what):
        if "delegation_id" not in event:
            raise Refusal("missing_required_parameter", "Missing required parameter: 'delegation_id' "
                          "(a string, or null for the session).", "delegation_id")
        did = event["delegation_id"]
        content = event.get("content")
        want(did is None or isinstance(did, str), "'delegation_id' must be a string or null.", "delegation_id",
             "invalid_type")
        want(isinstance(content, str) and content.strip(), "Missing required parameter: 'content'.",
             "content", "missing_required_parameter")
        want(text_tokens(content) <= MAX_APPEND_TOKENS, "'content' is over %d tokens." % MAX_APPEND_TOKENS,
             "content")
        if did is not None:
            want(self.cfg["delegation"]["type"] == "client", "A delegation_id is only for client "
                 "delegation; under Responses delegation use null.", "delegation_id")
            want(did in self.delegations, "Unknown delegation_id '%s'." % did, "delegation_id")
            self.answered(did, what)
        start = self.now
        if what == "commentary" and did is None and "mock:call " in content:
            name, _, arguments = content.split("mock:call ", 1)[1].strip().partition(" ")
            self.queue.append(Utterance(ACK, self.samples(200 * 3), self.now, "ack"))
            self.acks.append((self.now + 1, self.ack(event, {
                "type": "session.commentary.appended", "start_ms": self.ms(start), "end_ms": self.ms(start)})))
            await self.delegate(self.now, [(name, arguments.strip() or "{}")])
            return
        if what == "commentary":
            words = len(content.split())
            u = Utterance(content, self.samples(200 * words), self.now, "commentary")
            start = self.queue_end()
            self.queue.append(u)
            end = start + u.dur
        else:
            end = start
        # Acknowledged when the timeline reaches the end of the text: never without audio.
        self.acks.append((max(end, self.now + 1), self.ack(event, {
            "type": "session.%s.appended" % what, "start_ms": self.ms(start), "end_ms": self.ms(end)})))

    def queue_end(self):
        """When what the model has queued to say will have been said (samples)."""
        t = self.now
        for u in self.queue:
            start = u.start if u.start is not None else max(t, u.not_before)
            t = u.end if u.end is not None else start + u.dur
        return t

    def answered(self, did, how):
        d = self.delegations[did]
        if not d["answered"]:
            d["answered"] = True
            self.record({"delegation_answered": {"id": did, "by": how}})

    async def on_session_instructions_append(self, event):
        await self.append(event, "instructions")

    async def on_session_thinking_append(self, event):
        await self.append(event, "thinking")

    async def on_session_commentary_append(self, event):
        await self.append(event, "commentary")

    # ---- delegation

    async def delegate(self, at, calls=None):
        did = self.new_id("item_dlg")
        target = self.cfg["delegation"]["type"]
        d = {"id": did, "type": "delegation", "target": target}
        if target == "responses":
            d["response_id"] = self.new_id("resp")
        self.delegations[did] = {"target": target, "answered": False}
        self.record({"delegation_created": d})
        await self.send({"type": "session.delegation.created", "offset_ms": self.ms(at), "delegation": d})
        if target == "responses":
            await self.backend_call(did, d["response_id"], calls)

    async def envelope(self, did, event):
        body = {"type": "response.event", "event": event}
        if did is not None:
            body["delegation_id"] = did
        await self.send(body)

    def backend_tool(self, name):
        """The function the backend calls for --live-delegate's NAME: NAME if declared, else the
        first declared one (the backend calls only what it was given); None without any."""
        tools = [t for t in self.cfg["delegation"]["responses"].get("tools", []) if t["type"] == "function"]
        for tool in tools:
            if tool["name"] == name:
                return name
        return tools[0]["name"] if tools else None

    async def backend_call(self, did, rid, wanted=None):
        """The backend's first response: a function call for each --live-delegate (parallel
        calls when there are several), completed with the calls unanswered."""
        calls = [(self.backend_tool(name), arguments) for name, arguments in wanted or self.args.live_delegate]
        calls *= max(1, self.args.live_delegate_times)
        if calls[0][0] is None:
            await self.backend_text(did, rid, "There is no tool for that.")
            self.answered(did, "backend")
            return
        await self.envelope(did, {"type": "response.created",
                                  "response": self.backend_response(rid, "in_progress")})
        self.delegations[did]["calls"] = []
        tokens = 10
        for index, (name, arguments) in enumerate(calls):
            call_id = self.new_id("call")
            item = {"id": self.new_id("fc"), "type": "function_call", "status": "completed", "call_id": call_id,
                    "name": name, "arguments": arguments}
            self.calls[call_id] = {"name": name, "delegation": did, "output": None}
            self.delegations[did]["calls"].append(call_id)
            await self.envelope(did, {"type": "response.output_item.added", "output_index": index,
                                      "item": dict(item, status="in_progress", arguments="")})
            half = len(arguments) // 2
            for piece in (arguments[:half], arguments[half:]):
                await self.envelope(did, {"type": "response.function_call_arguments.delta", "output_index": index,
                                          "item_id": item["id"], "delta": piece})
            await self.envelope(did, {"type": "response.function_call_arguments.done", "output_index": index,
                                      "item_id": item["id"], "arguments": arguments})
            await self.envelope(did, {"type": "response.output_item.done", "output_index": index, "item": item})
            tokens += text_tokens(arguments)
        if self.args.live_unfinished_call:
            # Announced, never completed: still a call of the response, and so pending (the service
            # refuses a partial batch, LIVE.md 3).
            call_id = self.new_id("call")
            self.calls[call_id] = {"name": calls[0][0], "delegation": did, "output": None}
            self.delegations[did]["calls"].append(call_id)
            await self.envelope(did, {"type": "response.output_item.added", "output_index": len(calls), "item": {
                "id": self.new_id("fc"), "type": "function_call", "status": "in_progress", "call_id": call_id,
                "name": calls[0][0], "arguments": ""}})
        await self.envelope(did, {"type": "response.completed", "response": self.backend_response(
            rid, "completed", tokens)})

    def backend_response(self, rid, status, out_tokens=0):
        """A lifecycle snapshot: its output stripped (LIVE.md 4), usage once it is done."""
        r = {"id": rid, "object": "response", "status": status, "output": [],
             "model": self.cfg["delegation"]["responses"]["model"]}
        if status == "completed":
            inp = 100 + text_tokens(self.cfg["delegation"]["responses"].get("instructions"))
            r["usage"] = {"input_tokens": inp, "output_tokens": out_tokens, "total_tokens": inp + out_tokens,
                          "input_tokens_details": {"cached_tokens": 0},
                          "output_tokens_details": {"reasoning_tokens": 0}}
        return r

    async def backend_text(self, did, rid, text):
        """A backend response with a text answer, which the voice then says."""
        item_id = self.new_id("msg")
        await self.envelope(did, {"type": "response.created",
                                  "response": self.backend_response(rid, "in_progress")})
        await self.envelope(did, {"type": "response.output_item.added", "output_index": 0, "item": {
            "id": item_id, "type": "message", "role": "assistant", "status": "in_progress", "content": []}})
        for i, word in enumerate(text.split(" ")):
            await self.envelope(did, {"type": "response.output_text.delta", "item_id": item_id, "output_index": 0,
                                      "content_index": 0, "delta": word if i == 0 else " " + word})
        await self.envelope(did, {"type": "response.output_text.done", "item_id": item_id, "output_index": 0,
                                  "content_index": 0, "text": text})
        await self.envelope(did, {"type": "response.output_item.done", "output_index": 0, "item": {
            "id": item_id, "type": "message", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}})
        await self.envelope(did, {"type": "response.completed", "response": self.backend_response(
            rid, "completed", text_tokens(text))})
        self.queue.append(Utterance(text, self.samples(200 * len(text.split(" "))), self.now, "backend"))

    def responses_only(self, event):
        want(self.cfg["delegation"]["type"] == "responses", "%s requires Responses delegation." % event["type"],
             None, "invalid_request_error")

    async def on_response_item_create(self, event):
        self.responses_only(event)
        item = event.get("item")
        want(isinstance(item, dict), "Missing required parameter: 'item'.", "item", "missing_required_parameter")
        if item.get("type") == "function_call_output":
            call = self.calls.get(item.get("call_id"))
            want(call is not None, "No function call with call_id '%s'." % item.get("call_id"), "item.call_id")
            want(call["output"] is None, "The call '%s' already has its output." % item["call_id"],
                 "item.call_id")
            want(isinstance(item.get("output"), str), "'item.output' must be a string.", "item.output",
                 "invalid_type")
            call["output"] = item["output"]
        elif item.get("type", "message") == "message" and item.get("role") == "user":
            want(isinstance(item.get("content"), list) and item["content"]
                 and isinstance(item["content"][0], dict) and isinstance(item["content"][0].get("text"), str),
                 "A user message needs content [{type: input_text, text}].", "item.content")
        else:
            raise Refusal("invalid_value", "The mock takes function_call_output and user message items.",
                          "item.type")
        self.backend_items.append(item)

    async def on_response_create(self, event):
        self.responses_only(event)
        waiting = [c for c, v in self.calls.items() if v["output"] is None]
        want(not waiting, "Every pending call needs its output first: %s." % ", ".join(waiting), None,
             "invalid_request_error")
        items, self.backend_items = self.backend_items, []
        said = []
        did = None
        for item in items:
            if item.get("type") == "function_call_output":
                call = self.calls[item["call_id"]]
                did = call["delegation"]
                said.append("Tool %s returned: %s" % (call["name"], item["output"]))
            else:
                said.append("You said: %s" % item["content"][0]["text"])
        if did is not None and all(self.calls[c]["output"] is not None for c in self.delegations[did]["calls"]):
            self.answered(did, "responses")
        if len(said) > 3:  # many outputs: the voice sums the rest up
            said = said[:3] + ["and %d more" % (len(said) - 3)]
        await self.backend_text(did, self.new_id("resp"), "; ".join(said) or "Hello from the backend.")


GARBAGE = [
    b"\x00\x01binary frame\xff",
    "this is not JSON {",
    "[1, 2, 3]",
    '{"no_type": true}',
    '{"type": 42}',
    "[" * 100000 + "]" * 100000,
    '{"a":' * 50000 + "1" + "}" * 50000,
    json.dumps({"type": "session.output_audio.delta", "delta": 12}),
    json.dumps({"type": "session.output_audio.delta", "delta": "!!!not base64!!!"}),
    json.dumps({"type": "session.output_audio.delta", "delta": base64.b64encode(b"\1\2\3").decode()}),
    json.dumps({"type": "session.output_transcript.delta", "delta": ["x"], "start_ms": "soon", "end_ms": -5}),
    json.dumps({"type": "session.input_transcript.delta", "delta": "x", "start_ms": 1e300, "end_ms": None}),
    json.dumps({"type": "session.delegation.created", "delegation": "not an object"}),
    json.dumps({"type": "session.delegation.created", "offset_ms": 1, "delegation": {"id": 7, "target": []}}),
    json.dumps({"type": "response.event"}),
    json.dumps({"type": "response.event", "delegation_id": "item_dlg_x",
                "event": {"type": "response.output_item.done", "item": {"type": "function_call"}}}),
    json.dumps({"type": "session.usage.updated", "usage": {"seconds": -1},
                "context_window": {"usage_ratio": "x"}}),
    json.dumps({"type": "session.started", "session": "not an object"}),
    json.dumps({"type": "error"}),
    json.dumps({"type": "some.future.event", "payload": {"x": [1, 2]}}),
    json.dumps({"type": "mock.big", "payload": "x" * (4 << 20)}),
    '{"type":"session.output_transcript.delta","delta":"\\ud800","start_ms":0,"end_ms":0}',
]


async def send_garbage_to(ws):
    for frame in GARBAGE:
        await ws.send(frame)


def add_arguments(parser):
    """The GPT-Live flags, in realtime_mock.py's --help."""
    g = parser.add_argument_group("GPT-Live (/v1/live/sessions; see live_session.py)")
    g.add_argument("--live-answer-ms", type=int, default=0, metavar="MS",
                   help="spoken answers last MS of timeline (default: 200 ms a word)")
    g.add_argument("--live-pause-ms", type=int, default=500, metavar="MS",
                   help="silence after speech that ends the user's turn (default 500)")
    g.add_argument("--live-barge-in-ms", type=int, default=300, metavar="MS",
                   help="the model stops an answer MS after the user starts talking over it (default 300)")
    g.add_argument("--live-transcript-step-ms", type=int, default=0, metavar="MS",
                   help="while the user talks, a word of transcript every MS of speech (one, two...), "
                        "before the turn's own at its end (default 0: only at its end)")
    g.add_argument("--live-delegate", nargs=2, metavar=("NAME", "JSON"), action="append",
                   help="every user turn is delegated: Responses delegation calls NAME with JSON "
                        "(given again: parallel calls in one response)")
    g.add_argument("--live-delegate-times", type=int, default=1, metavar="N",
                   help="with --live-delegate, each call N times in the one response (parallel calls)")
    g.add_argument("--live-unfinished-call", action="store_true",
                   help="with --live-delegate, one more call, announced (output_item.added), never completed")
    g.add_argument("--live-delegate-min-ms", type=int, default=0, metavar="MS",
                   help="with --live-delegate, only turns of at least MS of speech are delegated; "
                        "shorter ones are answered (default 0: every turn)")
    g.add_argument("--live-delegation-early", action="store_true",
                   help="session.delegation.created before the last word of the turn's transcript "
                        "(LK-PY saw it so)")
    g.add_argument("--live-usage-ms", type=int, default=15000, metavar="MS",
                   help="session.usage.updated every MS of timeline (0: never; default 15000)")
    g.add_argument("--live-expire-ms", type=int, default=0, metavar="MS",
                   help="end each session after MS of wall time with session.closed")
    g.add_argument("--live-close-reason", default="expired",
                   choices=("expired", "content", "remote_hangup", "connection_lost"),
                   help="the reason --live-expire-ms gives (default expired)")
    g.add_argument("--live-drain-ms", type=int, default=2000, metavar="MS",
                   help="how long session.close waits for what is being said (wall time; default 2000)")
    g.add_argument("--live-error-at-start", metavar="CODE",
                   help="answer session.start with this error instead of session.started")
    g.add_argument("--live-audio-timing", action="store_true",
                   help="output audio deltas carry start_ms and end_ms")
    g.add_argument("--live-delta-ms", type=int, default=0, metavar="MS",
                   help="output audio in deltas of MS each, whatever the appends' size (0: one delta "
                        "for each append)")
    g.add_argument("--live-start-delay-ms", type=int, default=0, metavar="MS",
                   help="send session.started MS after session.start (-1: never)")
    g.add_argument("--live-drop-ms", type=int, default=0, metavar="MS",
                   help="drop the TCP connection (no session.closed) at MS of timeline, once per mock")
    g.add_argument("--live-garbage", action="store_true",
                   help="hostile frames right after session.started (binary, not JSON, deep, huge, "
                        "mistyped Live events), then the session as usual")
    g.add_argument("--live-no-ack-ids", action="store_true",
                   help="acknowledgements leave out client_event_id (as MS-REF says; errors keep it)")
    g.add_argument("--live-mute-freezes", action="store_true",
                   help="muted, the timeline stands still: appends get no output (by default it goes on)")
    g.add_argument("--live-update-replaces", action="store_true",
                   help="session.update replaces delegation.responses whole (MS-REF) instead of merging")
