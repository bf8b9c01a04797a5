#!/usr/bin/python3
"""A local stand-in for the OpenAI Realtime API, for voxterm's tests and first run.

The same process serves GPT-Live on /v1/live/sessions (Azure: /openai/v1/live/sessions and
/openai/v1/live), chosen by the path: live_session.py, whose docstring says what it does, and its
--live-* flags. Everything below is the Realtime side (/v1/realtime, Azure's paths, any other).

It follows ../shared/protocol/PROTOCOL.md and sequences.md, not voxterm:
  * GA by default; beta when the client sends "OpenAI-Beta: realtime=v1" (or --dialect beta).
  * The first message is session.created; session.update answers session.updated.
  * Every client event is validated against OpenAI's JSON Schema (tests/data/realtime-schemas.json);
    an invalid one gets an `error` event, as a real server would, and is recorded as a violation.
  * response.create while a response is active is refused with
    conversation_already_has_active_response; response.cancel with nothing active with
    response_cancel_not_active; truncating past the audio an item has is an error.
  * Event order for text, audio and function-call responses is the order in sequences.md.
  * A user message's input_image parts (GA) must be data:image/(png|jpeg|webp|gif);base64, URLs
    whose base64 decodes strictly to bytes of the type named; another is refused (invalid_value)
    and recorded as a violation. Each image received is recorded as {"image": {mime, bytes,
    sha256, ...}}, and the answer to a message with images says what it got: 'I see a PNG image
    of 1234 bytes.' (and 'You wrote: "..."' for its text).

What a response contains depends on the last user message (so one mock serves every test):
  mock:long N           N text deltas
  mock:slow N MS        N text deltas, MS milliseconds apart
  mock:audio MS         an audio answer of MS milliseconds (in an audio session)
  mock:call NAME JSON   a function call (several "mock:call" joined with " && " give parallel calls)
  mock:listcall NAME JSON  a function call that only response.done's output lists (no item events:
                        the schema allows it); joined with " && " like mock:call, in that order
  mock:mcp LABEL TOOL JSON  a call of TOOL on the hosted MCP server LABEL (an "mcp" tool of the
                        session, GA): an mcp_approval_request item when the server's
                        require_approval asks for one (the response ends there; the approval
                        response and a response.create go on: an mcp_call if approved, a message
                        if not), else the mcp_call at once. The mock simulates the remote server
                        (MOCK_MCP_TOOLS): "echo" answers with its "text", "boom" fails
                        (tool_execution_error), another name is a protocol_error.
  mock:nodeltas TEXT    a text answer with no deltas: its text only in the .done events
  mock:preamble [REST]  what a reasoning model does: a short message first ("Let me check that."),
                        then, in the same response, what REST asks for (another directive, or
                        'Here is the answer.' without one), each output item with its own id and
                        output_index; e.g. "mock:preamble mock:call a {} && mock:call b {}"
  mock:fail             response.done with status "failed"
  mock:stall            no answer at all
  mock:close CODE [WHY] close the socket with CODE (and the reason WHY) halfway through the answer
  mock:drop             drop the TCP connection halfway through the answer
  mock:freeze           stop reading and sending halfway through the answer, pings included
                        (a connection that stalls: only the client's keep-alive can tell)
                        close, drop and freeze happen once per mock: asked again, the answer
                        is whole
  mock:error CODE       an `error` event with CODE instead of an answer (\\xHH and \\uHHHH in
                        CODE stand for those characters; the account-level
                        codes of FATAL_ERRORS carry OpenAI's type and message)
  mock:escape           an answer carrying terminal escape sequences (OSC 52, clear screen, a C1
                        control, a bidi override), then a hostile delta with a raw 0x9b byte
                        (invalid UTF-8 in a text frame, which a real server never sends)
  mock:garbage          hostile frames first (binary, not JSON, deep nesting, huge, wrong types,
                        bad base64), then a normal answer
anything else           the text answer 'You said: <text>'
After a function_call_output, the answer is 'Tool NAME returned: <output>'.
After an assistant message the client created with status "incomplete" (an answer cut off by a
lost connection), the mock does what a model asked to go on does: it says the rest of the answer
it would have given, when the message is the start of it.

Spoken turns get "I heard N ms of audio", or audio with --answer-ms, or a function call with
--call-on-audio; --preamble-ms MS puts a spoken preamble of MS before any of those. With
transcription on, a spoken turn's transcript comes as ...input_audio_transcription.delta events,
then .completed (with --transcription-fails: half the deltas, then .failed). Server VAD's
idle_timeout_ms is kept by the audio appended: that much microphone audio without speech after an
answer has played gives input_audio_buffer.timeout_triggered, the silent audio committed, and an
answer. session.updated reflects every field the client set.
Server-wide faults come from flags: --http-status, --key, --no-session-created, --refuse-after
(401 once N connections were accepted), --drop-on-tool-output (the first output is lost with the
connection) and --session-limit-ms (GA: close with 1001 at the limit; beta: the
`session_expired` error, then every event refused with it).
--http-error CODE[:STATUS] refuses upgrades as OpenAI refuses an account or a model (FATAL_ERRORS:
the status, and the JSON error body naming CODE); with --refuse-after N, only after N connections;
--error-shape type-only|padded changes its body (and mock:error's event): see shape_error.
--error-at-start CODE sends that `error` event right after session.created.
Every response.done carries `usage` (RealtimeResponse.usage), counted from what the response
produced and the conversation before it as OpenAI counts (usage_object); a finished
transcription carries its usage, by duration for the models billed so, else by tokens.
Item, response and event ids are unique across the mock's sessions, as a real server's are.

A text frame from the client that is not valid UTF-8 closes the connection with code 1007, as
RFC 6455 requires and a real server does (the websockets library does it before the mock sees
the frame).

Prints "PORT <n>" on stdout once listening. --record PATH writes every received event
(audio replaced by its length), each schema violation and each connection as JSON lines.
"""

import argparse
import asyncio
import base64
import hashlib
import http
import json
import math
import os
import re
import signal
import ssl
import struct
import sys
import time
import urllib.parse

import websockets
import websockets.frames

import live_session
from mock_common import (FATAL_ERRORS, SAMPLE_RATE, Recorder, decode_image_url,  # noqa: F401
                         fatal_error, mock_audio, redact, shape_error, text_tokens)

try:
    import jsonschema
except ImportError:  # validation is optional for a quick first run, required by the tests
    jsonschema = None

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCHEMAS = os.path.join(HERE, "..", "data", "realtime-schemas.json")
CUT_ANSWER = "This answer will be cut off halfway through."
PREAMBLE = "Let me check that."
FAULTS = ("close", "drop", "freeze")
# The tools every hosted MCP server of the mock has (it never reaches the URL): listed in an
# mcp_list_tools item after session.update, and answered by mcp_call items.
MOCK_MCP_TOOLS = [
    {"name": "echo", "description": "Says its text back.",
     "input_schema": {"type": "object", "properties": {"text": {"type": "string"}}}},
    {"name": "boom", "description": "Always fails.", "input_schema": {"type": "object"}},
]
# mock:escape's answer: set the clipboard (OSC 52), clear the screen (CSI 2J), a C1 CSI (U+009B),
# a right-to-left override (U+202E) up to its pop (U+202C); RAW_ESCAPE follows as a delta of its
# own, with 0x9b as a raw byte (8-bit CSI to some terminals).
ESCAPES = "\x1b]52;c;ZXZpbA==\x07Escapes \x1b[2Jgone\u009b, \u202edesrever\u202c "
RAW_ESCAPE = b"raw \x9b."

GA_NAMES = {
    "item_added": "conversation.item.added",
    "text_delta": "response.output_text.delta",
    "text_done": "response.output_text.done",
    "audio_delta": "response.output_audio.delta",
    "audio_done": "response.output_audio.done",
    "transcript_delta": "response.output_audio_transcript.delta",
    "transcript_done": "response.output_audio_transcript.done",
}
BETA_NAMES = {
    "item_added": "conversation.item.created",
    "text_delta": "response.text.delta",
    "text_done": "response.text.done",
    "audio_delta": "response.audio.delta",
    "audio_done": "response.audio.done",
    "transcript_delta": "response.audio_transcript.delta",
    "transcript_done": "response.audio_transcript.done",
}


class Validator:
    """Checks client events against the schema member for their type."""

    def __init__(self, path):
        self.by_type = {"ga": {}, "beta": {}}
        if jsonschema is None or not os.path.exists(path):
            self.enabled = False
            return
        self.enabled = True
        with open(path) as f:
            doc = json.load(f)
        schemas = doc["components"]["schemas"]
        for dialect, union in (("ga", "RealtimeClientEvent"), ("beta", "V1Beta_RealtimeClientEvent")):
            for member in schemas[union]["anyOf"]:
                name = member["$ref"].split("/")[-1]
                type_schema = schemas[name]["properties"]["type"]
                for event_type in type_schema.get("enum", [type_schema.get("const")]):
                    wrapper = {"$ref": "#/components/schemas/" + name, "components": doc["components"]}
                    self.by_type[dialect][event_type] = jsonschema.Draft202012Validator(wrapper)

    def check(self, dialect, event):
        """Returns None, or a one-line reason the event is invalid."""
        if not self.enabled:
            return None
        validator = self.by_type[dialect].get(event.get("type"))
        if validator is None:
            return "unknown client event type %r for the %s dialect" % (event.get("type"), dialect)
        error = jsonschema.exceptions.best_match(validator.iter_errors(event))
        if error is None:
            return None
        where = "/".join(str(p) for p in error.absolute_path)
        return "%s: %s" % (where or "(event)", error.message[:300])



class Session:
    """One WebSocket connection: one Realtime session."""

    def __init__(self, server, ws, dialect):
        self.server = server
        self.ws = ws
        self.dialect = dialect
        self.names = GA_NAMES if dialect == "ga" else BETA_NAMES
        self.expired = False
        self.items = []  # the conversation, in order
        self.items_by_id = {}
        self.call_names = {}  # call_id -> tool name, of calls the model made
        self.audio_buffer = bytearray()
        self.active = None  # (response_id, task) of the response being produced
        # Server VAD over the appended audio (PROTOCOL.md section e).
        self.vad_samples = 0       # samples appended in the whole session
        self.vad_window = bytearray()
        self.vad_speaking = False
        self.vad_silence_ms = 0
        self.vad_item_id = None
        # idle_timeout_ms (server VAD, GA): the input-audio time at which the silence after an
        # answer triggers one; None while not armed. Armed once per assistant item.
        self.idle_deadline_ms = None
        self.idle_since_ms = 0
        self.idle_armed_for = None
        self.session = {"output_modalities": ["audio"], "tools": [], "voice": "alloy"}
        self.mcp_servers = {}  # server_label -> its "mcp" tool, from session.update (GA)
        self.approvals = {}    # approval request id -> (label, tool, arguments); answered: popped

    # ---- helpers

    def new_id(self, prefix):
        self.server.counter += 1
        return "%s_%04d" % (prefix, self.server.counter)

    async def send(self, event):
        event.setdefault("event_id", self.new_id("event"))
        await self.ws.send(json.dumps(event))

    async def error(self, code, message, client_event=None, param=None, kind="invalid_request_error"):
        self.server.record({"error_sent": {"code": code, "message": message}})
        await self.send({
            "type": "error",
            "error": {
                "type": kind, "code": code, "message": message, "param": param,
                "event_id": (client_event or {}).get("event_id"),
            },
        })

    def last_item_id(self):
        return self.items[-1]["id"] if self.items else None

    def add_item(self, item):
        previous = self.last_item_id()
        self.items.append(item)
        self.items_by_id[item["id"]] = item
        return previous

    async def announce_item(self, item, previous):
        """conversation.item.added + .done in GA; conversation.item.created in beta."""
        body = {"previous_item_id": previous, "item": self.public_item(item)}
        await self.send(dict({"type": self.names["item_added"]}, **body))
        if self.dialect == "ga":
            await self.send(dict({"type": "conversation.item.done"}, **body))

    def public_item(self, item):
        out = {k: v for k, v in item.items() if not k.startswith("_")}
        if self.dialect == "beta":
            out["object"] = "realtime.item"
        return out

    def modalities(self, response_cfg):
        key = "output_modalities" if self.dialect == "ga" else "modalities"
        if response_cfg and key in response_cfg:
            return response_cfg[key]
        return self.session["output_modalities"]

    def session_object(self):
        s = self.session
        if self.dialect == "ga":
            return {
                "type": "realtime", "object": "realtime.session", "id": "sess_mock",
                "model": self.server.model, "output_modalities": s["output_modalities"],
                "instructions": s.get("instructions", "You are a mock."),
                "tools": s["tools"], "tool_choice": "auto",
                "max_output_tokens": s.get("max_output_tokens", "inf"),
                "audio": {
                    "input": {"format": {"type": "audio/pcm", "rate": SAMPLE_RATE},
                              "transcription": s.get("transcription"),
                              "noise_reduction": s.get("noise_reduction"),
                              "turn_detection": s.get("turn_detection", {
                                  "type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300,
                                  "silence_duration_ms": 200, "idle_timeout_ms": None,
                                  "create_response": True, "interrupt_response": True})},
                    "output": {"format": {"type": "audio/pcm", "rate": SAMPLE_RATE},
                               "voice": s["voice"], "speed": s.get("speed", 1.0)},
                },
                "reasoning": s.get("reasoning"),
                "expires_at": int(time.time()) + self.limit_s(3600),
            }
        return {
            "id": "sess_mock", "object": "realtime.session", "model": self.server.model,
            "modalities": s["output_modalities"], "voice": s["voice"],
            "instructions": s.get("instructions", "You are a mock."),
            "input_audio_format": "pcm16", "output_audio_format": "pcm16",
            "input_audio_transcription": s.get("transcription"),
            "input_audio_noise_reduction": s.get("noise_reduction"),
            "turn_detection": s.get("turn_detection"), "tools": s["tools"], "tool_choice": "auto",
            "temperature": 0.8, "max_response_output_tokens": s.get("max_output_tokens", "inf"),
            "expires_at": int(time.time()) + self.limit_s(1800),
        }

    def limit_s(self, default):
        limit = self.server.args.session_limit_ms
        return -(-limit // 1000) if limit else default

    def response_object(self, rid, status, output, modalities, details=None):
        r = {"object": "realtime.response", "id": rid, "status": status, "status_details": details,
             "output": output, "conversation_id": "conv_mock", "usage": None, "metadata": None}
        if self.dialect == "ga":
            r.update({"output_modalities": modalities, "max_output_tokens": "inf",
                      "audio": {"output": {"format": {"type": "audio/pcm", "rate": SAMPLE_RATE},
                                           "voice": self.session["voice"]}}})
        else:
            r.update({"modalities": modalities, "voice": self.session["voice"],
                      "output_audio_format": "pcm16", "temperature": 0.8, "max_output_tokens": "inf"})
        if status != "in_progress":
            r["usage"] = self.usage_object(output)
        return r

    # ---- usage, as OpenAI counts it (its "Managing costs" guide)

    def item_tokens(self, item):
        """(text, audio) tokens of one item: text at about 4 characters a token, user audio at 1
        token per 100 ms, assistant audio at 1 per 50 ms (its transcript counts as text too)."""
        text = 4  # each item's special tokens
        audio = 0
        for part in item.get("content") or []:
            text += text_tokens(part.get("text") or part.get("transcript"))
        if item.get("role") == "user":
            audio += item.get("_audio_bytes", 0) // 48 // 100
        elif item.get("role") == "assistant":
            audio += item.get("_audio_ms", 0) // 50
        text += text_tokens(item.get("name")) + text_tokens(item.get("arguments")) + text_tokens(item.get("output"))
        return text, audio

    def usage_object(self, output):
        """RealtimeResponse.usage: the conversation before the response is its input (the
        instructions too), what it produced its output. The input's prefix the previous response
        also read is cached, in steps of 64 tokens once it reaches 1,024, as prompt caching goes."""
        produced = {item.get("id") for item in output}
        in_text = text_tokens(self.session.get("instructions", "You are a mock.")) + 4
        in_audio = 0
        out_text = out_audio = 0
        for item in self.items:
            text, audio = self.item_tokens(self.items_by_id.get(item["id"], item))
            if item["id"] in produced:
                out_text += text
                out_audio += audio
            else:
                in_text += text
                in_audio += audio
        prev_text, prev_audio = getattr(self, "last_input", (0, 0))
        self.last_input = (in_text, in_audio)
        cached_text = cached_audio = 0
        if prev_text + prev_audio >= 1024:
            cached_text = min(prev_text, in_text) // 64 * 64
            cached_audio = min(prev_audio, in_audio) // 64 * 64
        details = {"cached_tokens": cached_text + cached_audio, "text_tokens": in_text,
                   "audio_tokens": in_audio}
        if self.dialect == "ga":
            details["image_tokens"] = 0
            details["cached_tokens_details"] = {"text_tokens": cached_text, "audio_tokens": cached_audio,
                                                "image_tokens": 0}
        return {"total_tokens": in_text + in_audio + out_text + out_audio,
                "input_tokens": in_text + in_audio, "output_tokens": out_text + out_audio,
                "input_token_details": details,
                "output_token_details": {"text_tokens": out_text, "audio_tokens": out_audio}}

    def transcription_usage(self, item, transcript):
        """TranscriptTextUsageDuration for the models billed by the minute, else
        TranscriptTextUsageTokens (audio in at 1 token per 100 ms, the transcript out)."""
        ms = item.get("_audio_bytes", 0) // 48
        model = (self.session.get("transcription") or {}).get("model", "")
        if model in ("gpt-live-transcribe", "gpt-transcribe", "gpt-realtime-whisper", "whisper-1"):
            return {"type": "duration", "seconds": ms / 1000}
        audio, out = ms // 100, text_tokens(transcript)
        return {"type": "tokens", "input_tokens": audio, "output_tokens": out, "total_tokens": audio + out,
                "input_token_details": {"text_tokens": 0, "audio_tokens": audio}}

    # ---- the connection

    async def run(self):
        if not self.server.args.no_session_created:
            await self.send({"type": "session.created", "session": self.session_object()})
        if self.server.args.error_at_start:
            await self.fatal_error_event(self.server.args.error_at_start)
        limit = None
        if self.server.args.session_limit_ms:
            limit = asyncio.ensure_future(self.expire(self.server.args.session_limit_ms / 1000))
        try:
            await self.serve()
        finally:
            if limit:
                limit.cancel()

    async def expire(self, seconds):
        """The session's maximum duration, as PROTOCOL.md section h describes it per dialect."""
        await asyncio.sleep(seconds)
        self.server.record({"session_expired": True})
        if self.dialect == "ga":
            await self.ws.close(code=1001, reason="Your session hit the maximum duration of 60 minutes.")
            return
        self.expired = True
        if self.active:
            self.active[1].cancel()
            self.active = None
        await self.expired_error(None)

    async def fatal_error_event(self, code, client_event=None):
        """An account or model error (FATAL_ERRORS) as an `error` event, as OpenAI words it."""
        _, body = fatal_error(code, self.server.model)
        body = shape_error(body, self.server.args.error_shape)
        await self.error(body["code"], body["message"], client_event, body["param"], body["type"])

    async def rejected_transcription_model(self, s, event):
        """--reject-transcription-model: a session.update asking for a transcription model gets
        an invalid_model error naming it, as OpenAI refuses a model it does not offer."""
        if not self.server.args.reject_transcription_model:
            return False
        transcription = (s.get("audio", {}).get("input", {}).get("transcription")
                         or s.get("input_audio_transcription") or {})
        if not transcription.get("model"):
            return False
        await self.error("invalid_model", "Invalid transcription model '%s'." % transcription["model"],
                         event, "session.audio.input.transcription.model")
        return True

    async def expired_error(self, client_event):
        await self.error("session_expired", "Your session hit the maximum duration of 30 minutes.",
                         client_event)

    async def serve(self):
        async for message in self.ws:
            if isinstance(message, bytes):
                await self.error("invalid_event", "Binary frames are not supported.")
                self.server.record({"violation": "binary frame from the client"})
                continue
            try:
                event = json.loads(message)
            except ValueError:
                await self.error("invalid_json", "The message is not JSON.")
                self.server.record({"violation": "non-JSON text from the client"})
                continue
            if not isinstance(event, dict) or not isinstance(event.get("type"), str):
                await self.error("invalid_event", "Missing required parameter: 'type'.", None, "type")
                self.server.record({"violation": "event without a type"})
                continue
            self.server.record({"dir": "in", "dialect": self.dialect, "event": redact(event)})
            if self.expired:
                await self.expired_error(event)
                continue
            problem = self.server.validator.check(self.dialect, event)
            if problem:
                self.server.record({"violation": "%s: %s" % (event["type"], problem)})
                await self.error("invalid_value", "Invalid %s: %s" % (event["type"], problem), event)
                continue
            handler = getattr(self, "on_" + event["type"].replace(".", "_"), None)
            if handler is None:
                await self.error("invalid_value", "Unsupported event type %r." % event["type"], event)
                continue
            await handler(event)
        if self.active:
            self.active[1].cancel()

    # ---- client events

    async def on_session_update(self, event):
        s = event["session"]
        if await self.rejected_transcription_model(s, event):
            return
        if self.dialect == "ga":
            if "output_modalities" in s:
                self.session["output_modalities"] = s["output_modalities"]
            audio = s.get("audio", {})
            if "voice" in audio.get("output", {}):
                self.session["voice"] = audio["output"]["voice"]
            audio_in = audio.get("input", {})
            if "transcription" in audio_in:
                self.session["transcription"] = audio_in["transcription"]
            if "turn_detection" in audio_in:
                self.session["turn_detection"] = audio_in["turn_detection"]
            if "noise_reduction" in audio_in:
                self.session["noise_reduction"] = audio_in["noise_reduction"]
            if "speed" in audio.get("output", {}):
                self.session["speed"] = audio["output"]["speed"]
            for key in ("max_output_tokens", "reasoning", "parallel_tool_calls"):
                if key in s:
                    self.session[key] = s[key]
        else:
            if "modalities" in s:
                self.session["output_modalities"] = s["modalities"]
            for key in ("voice",):
                if key in s:
                    self.session[key] = s[key]
            if "input_audio_transcription" in s:
                self.session["transcription"] = s["input_audio_transcription"]
            if "turn_detection" in s:
                self.session["turn_detection"] = s["turn_detection"]
            if "input_audio_noise_reduction" in s:
                self.session["noise_reduction"] = s["input_audio_noise_reduction"]
            if "max_response_output_tokens" in s:
                self.session["max_output_tokens"] = s["max_response_output_tokens"]
        if "tools" in s and not await self.check_mcp_tools(s["tools"], event):
            return
        for key in ("instructions", "tools"):
            if key in s:
                self.session[key] = s[key]
        await self.send({"type": "session.updated", "session": self.session_object()})
        if "tools" in s:
            await self.list_mcp_tools(s["tools"])

    async def check_mcp_tools(self, tools, event):
        """The schema checked each "mcp" tool's shape; the API also wants a label used once and
        a URL it can reach (https; the mock never connects). False when refused (an error was
        sent)."""
        labels = [t.get("server_label") for t in tools if t.get("type") == "mcp"]
        for index, tool in enumerate(tools):
            if tool.get("type") != "mcp":
                continue
            problem = None
            if labels.count(tool.get("server_label")) > 1:
                problem = "server_label %r is used twice" % tool.get("server_label")
            elif not str(tool.get("server_url", "")).startswith("https://"):
                problem = "server_url must be an https URL"
            if problem:
                self.server.record({"violation": "session.update: tools/%d: %s" % (index, problem)})
                await self.error("invalid_value", "Invalid MCP tool: %s" % problem, event,
                                 "session.tools[%d]" % index)
                return False
        return True

    async def list_mcp_tools(self, tools):
        """Each hosted server new to the session lists its tools: mcp_list_tools.in_progress, an
        mcp_list_tools item, mcp_list_tools.completed (GA)."""
        servers = {t["server_label"]: t for t in tools if t.get("type") == "mcp"}
        new = [label for label in servers if label not in self.mcp_servers]
        self.mcp_servers = servers
        for label in new:
            allowed = servers[label].get("allowed_tools")
            names = allowed if isinstance(allowed, list) else (allowed or {}).get("tool_names")
            listed = [t for t in MOCK_MCP_TOOLS if names is None or t["name"] in names]
            item = {"id": self.new_id("item"), "type": "mcp_list_tools", "server_label": label,
                    "tools": listed}
            await self.send({"type": "mcp_list_tools.in_progress", "item_id": item["id"]})
            previous = self.add_item(item)
            await self.announce_item(item, previous)
            await self.send({"type": "mcp_list_tools.completed", "item_id": item["id"]})

    async def on_conversation_item_create(self, event):
        item = dict(event["item"])
        previous = event.get("previous_item_id")
        if previous is not None and previous != "root" and previous not in self.items_by_id:
            await self.error("invalid_value", "previous_item_id %r does not exist." % previous,
                             event, "previous_item_id")
            return
        if item.get("type") == "function_call_output" and item["call_id"] not in self.call_names:
            await self.error("invalid_value", "No function call with call_id %r." % item["call_id"],
                             event, "item.call_id")
            return
        if item.get("type") == "function_call_output" and self.server.args.drop_on_tool_output \
                and not self.server.dropped_output:
            self.server.dropped_output = True  # once: the output is lost with the connection
            self.ws.transport.abort()
            raise websockets.ConnectionClosed(None, None)
        if item.get("type") == "mcp_approval_response":
            request = item["approval_request_id"]
            if request not in self.approvals:
                self.server.record({"violation": "mcp_approval_response for %r, which is not an "
                                                 "approval request waiting" % request})
                await self.error("invalid_value", "No MCP approval request %r waits." % request,
                                 event, "item.approval_request_id")
                return
            item["_request"] = (request,) + self.approvals.pop(request)
            self.server.record({"mcp_approval": {"id": request, "approve": item["approve"],
                                                 "reason": item.get("reason")}})
        if item.get("type") == "function_call":
            self.call_names[item["call_id"]] = item["name"]
        if item.get("type") == "message" and not await self.check_images(item, event):
            return
        item.setdefault("id", self.new_id("item"))
        if item.get("type") == "message":
            item.setdefault("status", "completed")
        if item["id"] in self.items_by_id:
            await self.error("invalid_value", "Item %r already exists." % item["id"], event, "item.id")
            return
        previous = self.add_item(item)
        await self.announce_item(item, previous)

    async def check_images(self, item, event):
        """A user message's input_image parts (GA): each must be a data: URL whose base64
        decodes strictly to an image of the type it names, as the API would refuse one that is
        not. Each image received is recorded ("image": mime, bytes, sha256) so that a test can
        check it byte for byte, and kept on the item as (mime, size) for the answer. False when
        the item was refused (an error was sent)."""
        images = []
        for index, part in enumerate(item.get("content") or []):
            if part.get("type") != "input_image":
                continue
            try:
                if self.dialect != "ga":
                    raise ValueError("the beta dialect has no input_image")
                mime, data = decode_image_url(part.get("image_url") or "")
            except ValueError as e:
                self.server.record({"violation": "conversation.item.create: content/%d: %s" % (index, e)})
                await self.error("invalid_value", "Invalid image: %s" % e, event,
                                 "item.content[%d].image_url" % index)
                return False
            self.server.record({"image": {"mime": mime, "bytes": len(data),
                                          "sha256": hashlib.sha256(data).hexdigest(),
                                          "item_id": item.get("id"), "index": index}})
            images.append((mime, len(data)))
        if images:
            item["_images"] = images
        return True

    async def on_conversation_item_truncate(self, event):
        item = self.items_by_id.get(event["item_id"])
        if item is None or item.get("role") != "assistant":
            await self.error("invalid_value", "Only assistant message items can be truncated.",
                             event, "item_id")
            return
        audio_ms = item.get("_audio_ms", 0)
        if event["audio_end_ms"] > audio_ms:
            await self.error("invalid_value", "audio_end_ms %d is longer than the audio (%d ms)."
                             % (event["audio_end_ms"], audio_ms), event, "audio_end_ms")
            return
        item["_audio_ms"] = event["audio_end_ms"]
        await self.send({"type": "conversation.item.truncated", "item_id": item["id"],
                         "content_index": event["content_index"], "audio_end_ms": event["audio_end_ms"]})

    async def on_conversation_item_delete(self, event):
        item = self.items_by_id.pop(event["item_id"], None)
        if item is None:
            await self.error("invalid_value", "No item %r." % event["item_id"], event, "item_id")
            return
        self.items.remove(item)
        await self.send({"type": "conversation.item.deleted", "item_id": event["item_id"]})

    def turn_detection(self):
        """The session's turn detection: a dict, or None when off. Server VAD by default."""
        default = {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300,
                   "silence_duration_ms": 500}
        td = self.session.get("turn_detection", default)
        return td

    async def on_input_audio_buffer_append(self, event):
        try:
            pcm = base64.b64decode(event["audio"], validate=True)
        except ValueError:
            await self.error("invalid_value", "Invalid base64 in audio.", event, "audio")
            return
        self.audio_buffer += pcm
        self.server.audio_in.extend(pcm)
        if self.turn_detection() is not None:
            await self.vad(pcm)

    async def vad(self, pcm):
        """Energy VAD in 10 ms windows: speech above -30 dBFS RMS."""
        td = self.turn_detection()
        silence_needed = td.get("silence_duration_ms", 500) if td["type"] == "server_vad" else 500
        prefix = td.get("prefix_padding_ms", 300) if td["type"] == "server_vad" else 300
        self.vad_window += pcm
        window = SAMPLE_RATE // 100 * 2
        while len(self.vad_window) >= window:
            chunk, self.vad_window = self.vad_window[:window], self.vad_window[window:]
            self.vad_samples += window // 2
            samples = struct.unpack("<%dh" % (window // 2), chunk)
            rms = math.sqrt(sum(x * x for x in samples) / len(samples))
            now_ms = self.vad_samples * 1000 // SAMPLE_RATE
            if rms > 1000:
                self.vad_silence_ms = 0
                self.idle_deadline_ms = None
                if not self.vad_speaking:
                    self.vad_speaking = True
                    self.vad_item_id = self.new_id("item")
                    # When the server heard the client speak (with --timestamps: on the clock
                    # the tests share), for the tests that time barge-in.
                    self.server.record({"vad": "speech_started", "audio_ms": now_ms})
                    await self.send({"type": "input_audio_buffer.speech_started",
                                     "audio_start_ms": max(0, now_ms - 10 - prefix),
                                     "item_id": self.vad_item_id})
                    if self.active and td.get("interrupt_response", True):
                        rid, task = self.active
                        task.cancel()
                        self.active = None
                        await self.send({"type": "response.done", "response": self.response_object(
                            rid, "cancelled", [], self.session["output_modalities"],
                            {"type": "cancelled", "reason": "turn_detected"})})
            elif self.vad_speaking:
                self.vad_silence_ms += 10
                if self.vad_silence_ms >= silence_needed:
                    self.vad_speaking = False
                    await self.send({"type": "input_audio_buffer.speech_stopped",
                                     "audio_end_ms": now_ms - self.vad_silence_ms,
                                     "item_id": self.vad_item_id})
                    await self.commit_turn(self.vad_item_id)
                    if td.get("create_response", True) and not self.active:
                        rid = self.new_id("resp")
                        self.active = (rid, asyncio.ensure_future(self.respond(rid, {})))
            elif td["type"] == "server_vad" and td.get("idle_timeout_ms"):
                await self.idle_timeout(td, now_ms)

    async def idle_timeout(self, td, now_ms):
        """Server VAD's idle_timeout_ms (PROTOCOL.md section e): the clock starts when the last
        answer has finished playing, its response.done plus its audio's length. The mock keeps
        time by the audio appended (the client sends it in real time), so the timeout comes
        after that much more microphone audio without speech. Then, as the schema's
        input_audio_buffer.timeout_triggered says: the silent audio is committed as a user item,
        and a response is created."""
        last = next((i for i in reversed(self.items) if i.get("role") == "assistant"), None)
        if self.active or last is None or last.get("status") != "completed":
            return
        if self.idle_armed_for != last["id"]:
            self.idle_armed_for = last["id"]
            self.idle_since_ms = now_ms + last.get("_audio_ms", 0)
            self.idle_deadline_ms = self.idle_since_ms + td["idle_timeout_ms"]
        if self.idle_deadline_ms is None or now_ms < self.idle_deadline_ms:
            return
        self.idle_deadline_ms = None
        item_id = self.new_id("item")
        await self.send({"type": "input_audio_buffer.timeout_triggered",
                         "audio_start_ms": self.idle_since_ms, "audio_end_ms": now_ms,
                         "item_id": item_id})
        await self.commit_turn(item_id, transcript="")
        if td.get("create_response", True):
            rid = self.new_id("resp")
            self.active = (rid, asyncio.ensure_future(self.respond(rid, {})))

    async def commit_turn(self, item_id, transcript=None):
        """transcript: what the transcription says; None: the length of the speech."""
        item = {"id": item_id, "type": "message", "status": "completed", "role": "user",
                "content": [{"type": "input_audio", "transcript": None}],
                "_audio_bytes": len(self.audio_buffer)}
        self.audio_buffer = bytearray()
        previous = self.add_item(item)
        await self.send({"type": "input_audio_buffer.committed", "previous_item_id": previous,
                         "item_id": item_id})
        await self.announce_item(item, previous)
        if self.session.get("transcription"):
            await self.transcribe(item, "(%d ms of speech)" % (item["_audio_bytes"] // 48)
                                  if transcript is None else transcript)

    async def transcribe(self, item, text):
        """The transcript of a spoken item as a streaming transcription model gives it: deltas
        of a word or so, then .completed with the whole text (or .failed)."""
        item_id = item["id"]
        pieces = self.split(text)
        fails = self.server.args.transcription_fails
        for piece in pieces[:len(pieces) // 2] if fails else pieces:
            await self.send({"type": "conversation.item.input_audio_transcription.delta",
                             "item_id": item_id, "content_index": 0, "delta": piece})
        if fails:  # halfway through
            await self.send({"type": "conversation.item.input_audio_transcription.failed",
                             "item_id": item_id, "content_index": 0,
                             "error": {"type": "transcription_error", "code": "audio_unintelligible",
                                       "message": "The mock was asked to fail transcription."}})
            return
        await self.send({"type": "conversation.item.input_audio_transcription.completed",
                         "item_id": item_id, "content_index": 0, "transcript": text,
                         "usage": self.transcription_usage(item, text)})

    async def on_input_audio_buffer_clear(self, event):
        self.audio_buffer.clear()
        await self.send({"type": "input_audio_buffer.cleared"})

    async def on_input_audio_buffer_commit(self, event):
        if len(self.audio_buffer) < SAMPLE_RATE * 2 // 10:  # 100 ms
            await self.error("input_audio_buffer_commit_empty",
                             "Error committing input audio buffer: buffer too small. Expected at "
                             "least 100ms of audio, but buffer only has %.2fms of audio."
                             % (len(self.audio_buffer) / 48.0), event)
            return
        await self.commit_turn(self.new_id("item"))

    async def on_response_create(self, event):
        if self.active:
            await self.error("conversation_already_has_active_response",
                             "Conversation already has an active response in progress: %s. Wait "
                             "until the response is finished before creating a new one."
                             % self.active[0], event)
            return
        rid = self.new_id("resp")
        task = asyncio.ensure_future(self.respond(rid, event))
        self.active = (rid, task)

    async def on_response_cancel(self, event):
        if not self.active:
            await self.error("response_cancel_not_active",
                             "Cancellation failed: no active response found.", event)
            return
        rid, task = self.active
        task.cancel()
        self.active = None
        await self.send({"type": "response.done", "response": self.response_object(
            rid, "cancelled", [], self.session["output_modalities"],
            {"type": "cancelled", "reason": "client_cancelled"})})

    # ---- responses

    def plan(self, items=None):
        """What to answer, from the end of the conversation."""
        items = self.items if items is None else items
        last = items[-1] if items else None
        if last and last.get("type") == "mcp_approval_response":
            return ("mcp_answered", last)
        if last and last.get("type") == "function_call_output":
            name = self.call_names.get(last["call_id"], "?")
            return ("text", "Tool %s returned: %s" % (name, last["output"]))
        if last and last.get("role") == "assistant" and last.get("status") == "incomplete":
            return self.continuation(last, items[:-1])
        for item in reversed(items):
            if item.get("role") == "user" and item.get("_images"):
                return ("text", self.describe_images(item))
            if item.get("role") == "user":
                part = item["content"][0] if item.get("content") else {}
                if part.get("type") == "input_text":
                    kind, arg = self.directive(part["text"])
                    inner = arg if kind == "preamble" else (kind, arg)
                    if inner[0] in FAULTS:
                        # A fault happens once: asked again, the answer is whole.
                        if part["text"] in self.server.faulted:
                            inner = ("text", CUT_ANSWER)
                            return ("preamble", inner) if kind == "preamble" else inner
                        self.server.faulted.add(part["text"])
                    return (kind, arg)
                if self.server.args.call_on_audio:
                    answer = self.directive("mock:call " + self.server.args.call_on_audio)
                elif self.server.args.answer_ms:
                    answer = ("audio", self.server.args.answer_ms)
                else:
                    answer = ("text", "I heard %d ms of audio." % (item.get("_audio_bytes", 0) // 48))
                return ("preamble", answer) if self.server.args.preamble_ms else answer
        return ("text", "Hello from the mock.")

    @staticmethod
    def describe_images(item):
        """What the mock 'sees': "I see a PNG image of 1234 bytes." and the text, if any."""
        seen = ["a %s image of %d bytes" % (mime.split("/")[1].upper(), size)
                for mime, size in item["_images"]]
        text = " ".join(p.get("text", "") for p in item.get("content", [])
                        if p.get("type") == "input_text").strip()
        answer = "I see " + (" and ".join(seen)) + "."
        return answer + (' You wrote: "%s".' % text if text else "")

    def continuation(self, cut, before):
        """The rest of the answer a cut-off assistant message began, as a model asked to go on
        would say it; a message that is not the start of that answer gets the whole of it."""
        part = cut["content"][0] if cut.get("content") else {}
        said = part.get("text") or part.get("transcript") or ""
        kind, arg = self.plan(before)
        if kind == "preamble":
            kind, arg = arg  # the preamble is a whole message of its own, already said
        if kind in FAULTS:
            kind, arg = ("text", CUT_ANSWER)
        if kind == "text" and arg.startswith(said):
            return ("text", arg[len(said):])
        return (kind, arg)

    @staticmethod
    def directive(text):
        words = text.split(None, 2)
        head = words[0] if words else ""
        arg = words[1] if len(words) > 1 else ""
        if head == "mock:long":
            return ("long", int(arg or 1000))
        if head == "mock:audio":
            return ("audio", int(arg or 1000))
        if head == "mock:slow":
            rest = words[2] if len(words) > 2 else ""
            return ("slow", (int(arg or 10), int(rest or 100)))
        if head in ("mock:call", "mock:listcall"):
            calls = []
            for part in text.split(" && "):
                bits = part.split(None, 2)
                calls.append((bits[1], bits[2] if len(bits) > 2 else "{}", bits[0] == "mock:listcall"))
            return ("call", calls)
        if head == "mock:mcp":
            bits = text.split(None, 3)
            return ("mcp", (arg, bits[2] if len(bits) > 2 else "echo", bits[3] if len(bits) > 3 else "{}"))
        if head == "mock:nodeltas":
            return ("nodeltas", text.split(None, 1)[1] if len(words) > 1 else "")
        if head in ("mock:fail", "mock:stall", "mock:drop", "mock:freeze", "mock:garbage"):
            return (head[5:], None)
        if head == "mock:close":
            return ("close", (int(arg or 1011), words[2] if len(words) > 2 else None))
        if head == "mock:error":  # \xHH and \uHHHH in CODE are the characters (a terminal
            # types no raw escape sequence into a line: it is a key there)
            code = re.sub(r"\\x([0-9a-fA-F]{2})|\\u([0-9a-fA-F]{4})",
                          lambda m: chr(int(m.group(1) or m.group(2), 16)), arg)
            return ("error", code or "server_error")
        if head == "mock:escape":
            return ("escape", ESCAPES)
        if head == "mock:preamble":
            rest = text.split(None, 1)[1] if len(words) > 1 else ""
            return ("preamble", Session.directive(rest) if rest else ("text", "Here is the answer."))
        return ("text", "You said: " + text)

    async def respond(self, rid, request):
        try:
            await self.produce(rid, request)
        except asyncio.CancelledError:
            pass
        except websockets.ConnectionClosed:
            pass
        finally:
            if self.active and self.active[0] == rid:
                self.active = None

    async def produce(self, rid, request):
        kind, arg = self.plan()
        if kind == "stall":
            await asyncio.Future()  # until cancelled or disconnected
        if kind == "error":
            self.active = None
            if arg in FATAL_ERRORS:
                await self.fatal_error_event(arg, request)
            else:
                await self.error(arg, "The mock was asked for error %s." % arg, request)
            return
        modalities = self.modalities(request.get("response"))
        await self.send({"type": "response.created", "response": self.response_object(
            rid, "in_progress", [], modalities)})
        if self.dialect == "beta":
            await self.send({"type": "rate_limits.updated", "rate_limits": [
                {"name": "requests", "limit": 5000, "remaining": 4999, "reset_seconds": 0.012},
                {"name": "tokens", "limit": 40000, "remaining": 38490, "reset_seconds": 2.265}]})
        if kind == "garbage":
            await self.send_garbage(rid)
            kind, arg = ("text", "Still here after the garbage.")
        if kind == "fail":
            await self.finish(rid, "failed", [], modalities, {
                "type": "failed", "error": {"type": "server_error", "code": "mock_failure",
                                            "message": "The mock was asked to fail."}})
            return
        audio = "audio" in modalities
        output = []  # the response's output items, in output_index order
        if kind == "preamble":
            output.append(await self.preamble(rid, audio))
            kind, arg = arg
            if kind == "stall":
                await asyncio.Future()
        if kind == "call":
            for name, arguments, listed_only in (call + (False,) * (3 - len(call)) for call in arg):
                if listed_only:
                    output.append(self.listed_call(name, arguments))
                else:
                    output.append(await self.function_call(rid, len(output), name, arguments))
            await self.finish(rid, "completed", output, modalities)
            return
        if kind in ("mcp", "mcp_answered"):
            kind, arg = await self.hosted_mcp(rid, kind, arg, output)
            if kind == "done":
                await self.finish(rid, "completed", output, modalities)
                return
        if kind == "long":
            pieces = ["word%d " % i for i in range(arg)]
        elif kind == "slow":
            pieces = ["word%d " % i for i in range(arg[0])]
        elif kind == "audio":
            pieces = ["This is a %d millisecond answer." % arg]
        elif kind in ("close", "drop", "freeze"):
            pieces = self.split(CUT_ANSWER)
        else:
            pieces = self.split(arg)
        audio_ms = arg if kind == "audio" else 150 * len(pieces)
        if kind == "nodeltas":
            pieces = [arg]
        output.append(await self.message(rid, pieces, audio, audio_ms if audio else 0, kind, arg,
                                         index=len(output)))
        await self.finish(rid, "completed", output, modalities)

    # ---- hosted MCP servers (GA "mcp" tools), simulated

    def needs_approval(self, label, tool):
        """require_approval as MCPTool says: "always" (the default), "never", or a filter object
        whose "never" or "always" names the tool (a tool neither names: always)."""
        rule = self.mcp_servers[label].get("require_approval", "always")
        if rule is None or rule == "always":
            return True
        if rule == "never":
            return False
        if tool in (rule.get("never") or {}).get("tool_names", []):
            return False
        return True

    async def hosted_mcp(self, rid, kind, arg, output):
        """A call asked for (mock:mcp) or an approval answered: items appended to output.
        Returns ("done", None) when the response ends with them, else the message to say."""
        if kind == "mcp_answered":
            request, label, tool, arguments = arg["_request"]
            if not arg["approve"]:
                return ("text", "The call of %s was not approved: %s" % (tool, arg.get("reason") or "no reason"))
            return ("text", await self.mcp_call(rid, len(output), label, tool, arguments, output, request))
        label, tool, arguments = arg
        if label not in self.mcp_servers:
            return ("text", "There is no MCP server %s in this session." % label)
        if self.needs_approval(label, tool):
            item = {"id": self.new_id("mcpr"), "type": "mcp_approval_request",
                    "server_label": label, "name": tool, "arguments": arguments}
            self.approvals[item["id"]] = (label, tool, arguments)
            output.append(await self.whole_item(rid, len(output), item))
            return ("done", None)
        return ("text", await self.mcp_call(rid, len(output), label, tool, arguments, output))

    async def whole_item(self, rid, index, item):
        """An item that arrives complete: output_item.added, conversation.item.added/done,
        output_item.done."""
        previous = self.add_item(item)
        await self.send({"type": "response.output_item.added", "response_id": rid,
                         "output_index": index, "item": self.public_item(item)})
        await self.announce_item(item, previous)
        await self.send({"type": "response.output_item.done", "response_id": rid,
                         "output_index": index, "item": self.public_item(item)})
        return self.public_item(item)

    async def mcp_call(self, rid, index, label, tool, arguments, output, request=None):
        """An mcp_call item, as the API streams it, with the simulated server's answer; returns
        what the model then says."""
        item = {"id": self.new_id("item"), "type": "mcp_call", "server_label": label, "name": tool,
                "arguments": "", "approval_request_id": request, "output": None, "error": None}
        previous = self.add_item(item)
        base = {"response_id": rid, "item_id": item["id"], "output_index": index}
        await self.send({"type": "response.output_item.added", "response_id": rid,
                         "output_index": index, "item": self.public_item(item)})
        await self.send({"type": self.names["item_added"], "previous_item_id": previous,
                         "item": self.public_item(item)})
        await self.send(dict(base, type="response.mcp_call_arguments.delta", delta=arguments))
        await self.send(dict(base, type="response.mcp_call_arguments.done", arguments=arguments))
        await self.send({"type": "response.mcp_call.in_progress", "output_index": index,
                         "item_id": item["id"]})
        item["arguments"] = arguments
        try:
            text = json.loads(arguments).get("text", "")
        except (ValueError, AttributeError):
            text = ""
        if tool == "echo":
            item["output"] = "echo: " + str(text)
        elif tool == "boom":
            item["error"] = {"type": "tool_execution_error", "message": "boom: the tool failed"}
        else:
            item["error"] = {"type": "protocol_error", "code": -32602, "message": "Unknown tool: " + tool}
        ended = "completed" if item["output"] is not None else "failed"
        await self.send({"type": "response.mcp_call." + ended, "output_index": index,
                         "item_id": item["id"]})
        await self.send({"type": "conversation.item.done", "previous_item_id": previous,
                         "item": self.public_item(item)})
        await self.send({"type": "response.output_item.done", "response_id": rid,
                         "output_index": index, "item": self.public_item(item)})
        output.append(self.public_item(item))
        if item["output"] is not None:
            return "MCP tool %s returned: %s" % (tool, item["output"])
        return "MCP tool %s failed: %s" % (tool, item["error"]["message"])

    async def preamble(self, rid, audio):
        """A reasoning model's preamble: a message item of its own, first in the response."""
        pieces = self.split(PREAMBLE)
        audio_ms = (self.server.args.preamble_ms or 150 * len(pieces)) if audio else 0
        return await self.message(rid, pieces, audio, audio_ms, "text", None, index=0)

    @staticmethod
    def split(text):
        """Deltas of a few characters, as a real model streams them."""
        words = text.split(" ")
        return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]

    async def finish(self, rid, status, output, modalities, details=None):
        self.active = None
        await self.send({"type": "response.done", "response": self.response_object(
            rid, status, output, modalities, details)})
        if self.dialect == "ga":
            await self.send({"type": "rate_limits.updated", "rate_limits": [
                {"name": "tokens", "limit": 40000, "remaining": 38490, "reset_seconds": 2.265}]})

    async def fault_midway(self, kind, arg):
        if kind == "close":
            code, reason = arg
            await self.ws.close(code=code, reason=reason or "mock close %d" % code)
            raise websockets.ConnectionClosed(None, None)
        if kind == "drop":
            self.ws.transport.abort()
            raise websockets.ConnectionClosed(None, None)
        if kind == "freeze":
            self.ws.transport.pause_reading()  # no pong will answer a ping
            await asyncio.Future()

    async def message(self, rid, pieces, audio, audio_ms, kind, arg, index=0):
        ga = self.dialect == "ga"
        item_id = self.new_id("item")
        item = {"id": item_id, "type": "message", "status": "in_progress", "role": "assistant",
                "content": []}
        previous = self.add_item(item)
        base = {"response_id": rid, "item_id": item_id, "output_index": index, "content_index": 0}
        await self.send({"type": "response.output_item.added", "response_id": rid,
                         "output_index": index, "item": self.public_item(item)})
        await self.send({"type": self.names["item_added"], "previous_item_id": previous,
                         "item": self.public_item(item)})
        part_added = {"type": "audio", "transcript": ""} if audio else {"type": "text", "text": ""}
        await self.send(dict(base, type="response.content_part.added", part=part_added))
        text_key = "transcript_delta" if audio else "text_delta"
        total_samples = audio_ms * SAMPLE_RATE // 1000
        chunk = SAMPLE_RATE // 10  # 100 ms of audio a delta
        chunks = (total_samples + chunk - 1) // chunk if audio else 0
        steps = max(len(pieces), chunks)
        sent = 0
        for step in range(steps):
            if kind == "slow" and step:
                await asyncio.sleep(arg[1] / 1000)
            if kind in ("close", "drop", "freeze") and step == steps // 2:
                await self.fault_midway(kind, arg)
            if step < len(pieces) and kind != "nodeltas":
                delta = dict(base, type=self.names[text_key], delta=pieces[step])
                if ga:
                    delta["obfuscation"] = "mockobf"
                await self.send(delta)
            if step < chunks:
                n = min(chunk, total_samples - sent)
                pcm = self.server.answer_audio(n, sent)
                sent += n
                await self.send(dict(base, type=self.names["audio_delta"],
                                     delta=base64.b64encode(pcm).decode()))
                self.server.audio_out.extend(pcm)
                item["_audio_ms"] = sent * 1000 // SAMPLE_RATE  # what a truncate may reach
                if self.server.args.audio_pace > 0:
                    await asyncio.sleep(n / SAMPLE_RATE / self.server.args.audio_pace)
            if step % 64 == 63:
                await asyncio.sleep(0)  # let cancellations in
        if kind in ("close", "drop", "freeze") and steps < 2:
            await self.fault_midway(kind, arg)
        if kind == "escape":
            await self.send_raw_delta(dict(base, type=self.names[text_key]), RAW_ESCAPE)
        text = "".join(pieces)
        if audio:
            await self.send(dict(base, type=self.names["audio_done"]))
            await self.send(dict(base, type=self.names["transcript_done"], transcript=text))
            part = {"type": "audio", "transcript": text}
            content = {"type": "output_audio" if ga else "audio", "transcript": text}
        else:
            await self.send(dict(base, type=self.names["text_done"], text=text))
            part = {"type": "text", "text": text}
            content = {"type": "output_text" if ga else "text", "text": text}
        await self.send(dict(base, type="response.content_part.done", part=part))
        item["status"] = "completed"
        item["content"] = [content]
        item["_audio_ms"] = audio_ms if audio else 0
        if ga:
            await self.send({"type": "conversation.item.done", "previous_item_id": previous,
                             "item": self.public_item(item)})
        await self.send({"type": "response.output_item.done", "response_id": rid,
                         "output_index": index, "item": self.public_item(item)})
        return self.public_item(item)

    async def function_call(self, rid, index, name, arguments):
        call_id = self.new_id("call")
        item = {"id": self.new_id("item"), "type": "function_call", "status": "in_progress",
                "call_id": call_id, "name": name, "arguments": ""}
        self.call_names[call_id] = name
        previous = self.add_item(item)
        base = {"response_id": rid, "item_id": item["id"], "output_index": index, "call_id": call_id}
        await self.send({"type": "response.output_item.added", "response_id": rid,
                         "output_index": index, "item": self.public_item(item)})
        await self.send({"type": self.names["item_added"], "previous_item_id": previous,
                         "item": self.public_item(item)})
        half = len(arguments) // 2
        for piece in (arguments[:half], arguments[half:]):
            await self.send(dict(base, type="response.function_call_arguments.delta", delta=piece))
        done = dict(base, type="response.function_call_arguments.done", arguments=arguments)
        if self.dialect == "ga":
            done["name"] = name
        await self.send(done)
        item["status"] = "completed"
        item["arguments"] = arguments
        if self.dialect == "ga":
            await self.send({"type": "conversation.item.done", "previous_item_id": previous,
                             "item": self.public_item(item)})
        await self.send({"type": "response.output_item.done", "response_id": rid,
                         "output_index": index, "item": self.public_item(item)})
        return self.public_item(item)

    def listed_call(self, name, arguments):
        """A completed function call in the conversation that no event announces: only
        response.done's output will list it."""
        call_id = self.new_id("call")
        item = {"id": self.new_id("item"), "type": "function_call", "status": "completed",
                "call_id": call_id, "name": name, "arguments": arguments}
        self.call_names[call_id] = name
        self.add_item(item)
        return self.public_item(item)

    async def send_raw_delta(self, event, raw):
        """A delta whose text is the bytes raw, as they are: not necessarily UTF-8, so the frame
        is written below the library, which would refuse to send it."""
        event.setdefault("event_id", self.new_id("event"))
        frame = json.dumps(dict(event, delta="@RAW@")).encode().replace(b"@RAW@", raw)
        await self.ws.write_frame(True, websockets.frames.OP_TEXT, frame)

    async def send_garbage(self, rid):
        """What an untrusted server may send. A client must skip each and carry on."""
        await self.ws.send(b"\x00\x01binary frame\xff")
        await self.ws.send("this is not JSON {")
        await self.ws.send("[1, 2, 3]")
        await self.ws.send("{\"no_type\": true}")
        await self.ws.send("{\"type\": 42}")
        await self.ws.send("[" * 100000 + "]" * 100000)
        await self.ws.send("{\"a\":" * 50000 + "1" + "}" * 50000)
        await self.ws.send(json.dumps({"type": "response.output_text.delta", "delta": 12}))
        await self.ws.send(json.dumps({"type": "response.output_audio.delta", "response_id": rid,
                                       "item_id": "item_x", "delta": "!!!not base64!!!"}))
        await self.ws.send(json.dumps({"type": "response.done"}))
        await self.ws.send(json.dumps({"type": "error"}))
        await self.ws.send(json.dumps({"type": "session.created", "session": "not an object"}))
        await self.ws.send(json.dumps({"type": "some.future.event", "payload": {"x": [1, 2]}}))
        big = self.server.args.garbage_big_bytes
        await self.ws.send(json.dumps({"type": "mock.big", "payload": "x" * big}))
        await self.ws.send(json.dumps({"type": "mock.huge", "payload": "x" * (20 << 20)}))
        await self.ws.send("{\"type\":\"response.output_text.delta\",\"delta\":\"\\ud800\"}")


class Server:
    def __init__(self, args):
        self.args = args
        self.model = args.model
        self.validator = Validator(args.schemas)
        self.recorder = Recorder(args.record, args.timestamps)
        self.audio_out = bytearray()
        self.audio_in = bytearray()
        self.counter = 0        # for ids: unique across sessions
        self.faulted = set()    # texts whose fault already happened
        self.connections = 0
        self.dropped_output = False
        self.voice = None       # --answer-audio's samples
        if args.answer_audio:
            with open(args.answer_audio, "rb") as f:
                self.voice = f.read()
            self.voice = self.voice[:len(self.voice) // 2 * 2]

    def answer_audio(self, samples, start):
        """Samples start..start+samples of a spoken answer: the tone, or --answer-audio looped."""
        if not self.voice:
            return mock_audio(samples, start)
        out = bytearray()
        at = 2 * start % len(self.voice)
        while len(out) < 2 * samples:
            piece = self.voice[at:at + 2 * samples - len(out)]
            out += piece
            at = (at + len(piece)) % len(self.voice)
        return bytes(out)

    def record(self, record):
        self.recorder.write(record)

    def process_request(self, path, headers):
        """Refuses the upgrade the way the real API does: an HTTP status and a JSON error."""
        status = self.args.http_status
        code, message = "mock_http_status", "The mock refuses every connection."
        self.connections += 1
        auth = headers.get("Authorization", "")
        key = auth[7:] if auth.startswith("Bearer ") else headers.get("api-key", "")
        revoked = self.args.refuse_after and self.connections > self.args.refuse_after
        if not status and self.args.http_error and (revoked or not self.args.refuse_after):
            code, _, forced = self.args.http_error.partition(":")
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
            status, error = fatal_error(code, query.get("model", [self.model])[0])
            status = int(forced) if forced else status
            # A client may ask again over plain HTTP to read the body (voxterm does): not a try.
            upgrade = headers.get("Upgrade", "").lower() == "websocket"
            self.record({"refused": {"status": status, "code": code, "upgrade": upgrade}})
            body = json.dumps({"error": shape_error(error, self.args.error_shape)}).encode()
            return (http.HTTPStatus(status), [("Content-Type", "application/json")], body)
        if not status and (revoked or (self.args.key and key != self.args.key)):
            status = 401
            code = "invalid_api_key"
            message = ("Incorrect API key provided. You can find your API key at "
                       "https://platform.openai.com/account/api-keys.")
        if not status:
            return None
        body = json.dumps({"error": {"message": message, "type": "invalid_request_error",
                                     "code": code, "param": None}}).encode()
        return (http.HTTPStatus(status), [("Content-Type", "application/json")], body)

    async def handler(self, ws, path=None):
        headers = ws.request_headers
        beta = headers.get("OpenAI-Beta", "") == "realtime=v1"
        dialect = self.args.dialect if self.args.dialect != "auto" else ("beta" if beta else "ga")
        live = urllib.parse.urlsplit(ws.path).path in live_session.LIVE_PATHS
        if live:
            dialect = "live"
        self.record({"connect": {"path": ws.path, "dialect": dialect,
                                 "headers": {k.lower(): ("<redacted>" if k.lower() in ("authorization", "api-key")
                                                         else v) for k, v in headers.raw_items()}}})
        try:
            await (live_session.LiveSession(self, ws) if live else Session(self, ws, dialect)).run()
        except websockets.ConnectionClosed:
            pass
        await ws.wait_closed()
        # The audio files first: tests wait for the disconnect record before they read anything.
        if self.args.audio_out:
            with open(self.args.audio_out, "wb") as f:
                f.write(self.audio_out)
        if self.args.audio_in:
            with open(self.args.audio_in, "wb") as f:
                f.write(self.audio_in)
        self.record({"disconnect": {"code": ws.close_code, "reason": ws.close_reason}})


async def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--tls-cert", help="serve wss:// with this certificate chain (PEM)")
    parser.add_argument("--tls-key", help="the private key for --tls-cert")
    parser.add_argument("--dialect", choices=("auto", "ga", "beta"), default="auto")
    parser.add_argument("--model", default="gpt-realtime-2.1")
    parser.add_argument("--key", help="accept only this API key (else any)")
    parser.add_argument("--http-status", type=int, default=0, help="refuse upgrades with this status")
    parser.add_argument("--no-session-created", action="store_true")
    parser.add_argument("--http-error", metavar="CODE[:STATUS]",
                        help="refuse upgrades with this account or model error (see FATAL_ERRORS)")
    parser.add_argument("--error-at-start", metavar="CODE",
                        help="send this error event right after session.created")
    parser.add_argument("--reject-transcription-model", action="store_true",
                        help="refuse any transcription model a session.update asks for (invalid_model)")
    parser.add_argument("--error-shape", choices=["", "type-only", "padded"], default="",
                        help="the shape of --http-error's and fatal error events' error (shape_error)")
    parser.add_argument("--refuse-after", type=int, default=0, metavar="N",
                        help="answer 401 to every connection after the first N")
    parser.add_argument("--drop-on-tool-output", action="store_true",
                        help="drop the connection when the first function_call_output arrives")
    parser.add_argument("--session-limit-ms", type=int, default=0,
                        help="end each session after this long, as the real one does at 60 min")
    parser.add_argument("--schemas", default=DEFAULT_SCHEMAS)
    parser.add_argument("--record", help="append JSON lines of what the clients sent")
    parser.add_argument("--timestamps", action="store_true",
                        help="give each record its CLOCK_MONOTONIC time in ns (mono_ns)")
    parser.add_argument("--audio-out", help="write all audio the mock sent to this raw file")
    parser.add_argument("--audio-in", help="write all audio the clients appended to this raw file")
    parser.add_argument("--answer-ms", type=int, default=0,
                        help="answer spoken turns with this much audio (default: a short sentence)")
    parser.add_argument("--answer-audio", metavar="FILE",
                        help="spoken answers say this raw PCM16 24 kHz mono file, looped, instead of the tone")
    parser.add_argument("--audio-pace", type=float, default=0,
                        help="send audio at this multiple of real time (0: as fast as possible)")
    parser.add_argument("--garbage-big-bytes", type=int, default=4 << 20)
    parser.add_argument("--call-on-audio", metavar="'NAME JSON'",
                        help="answer spoken turns with this function call (as mock:call does)")
    parser.add_argument("--preamble-ms", type=int, default=0, metavar="MS",
                        help="a spoken preamble of MS before the answer to each spoken turn")
    parser.add_argument("--transcription-fails", action="store_true",
                        help="input transcription fails (.failed) instead of completing")
    live_session.add_arguments(parser)
    args = parser.parse_args(argv)

    server = Server(args)
    if not server.validator.enabled:
        print("mock: schema validation off (python3-jsonschema or %s missing)" % args.schemas,
              file=sys.stderr)
    context = None
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.cancel)
    async with websockets.serve(server.handler, args.host, args.port, ssl=context,
                                process_request=server.process_request, max_size=None,
                                compression=None, ping_interval=None) as ws_server:
        port = ws_server.sockets[0].getsockname()[1]
        print("PORT %d" % port, flush=True)
        try:
            await stop
        except asyncio.CancelledError:
            pass


if __name__ == "__main__":
    try:
        asyncio.run(main(sys.argv[1:]))
    except KeyboardInterrupt:
        pass
