"""voxterm against the protocol documents themselves, not only against our mock.

A server that knows nothing but ../shared/protocol/sequences.md: for the text sequences (1: GA,
2: beta) it waits for each client event the document shows, checks its type and content, and
answers with exactly the server lines the document gives, byte for byte. The spoken sequences
(7/8 then 3/4) and the function-call sequences (5/6, with the answer of 1/2 as the follow-up)
are replayed the same way.
"""

import asyncio
import base64
import json
import math
import os
import re
import struct
import subprocess
import threading
import wave

import pytest
import websockets

from conftest import BIN, clean_env

HERE = os.path.dirname(os.path.abspath(__file__))
SEQUENCES = os.path.join(HERE, "..", "..", "..", "shared", "protocol", "sequences.md")
SESSION_CREATED = {
    "ga": '{"type":"session.created","event_id":"event_0000","session":{"type":"realtime",'
          '"object":"realtime.session","id":"sess_S1","model":"gpt-realtime",'
          '"output_modalities":["audio"],"expires_at":1767233035}}',
    "beta": '{"type":"session.created","event_id":"event_0000","session":{"id":"sess_S1",'
            '"object":"realtime.session","model":"gpt-4o-realtime-preview",'
            '"modalities":["text","audio"],"voice":"alloy"}}',
}


def sequence(number):
    """The numbered lines of section `number`: [("C>" or "S<", json text)]."""
    with open(SEQUENCES) as f:
        text = f.read()
    section = re.search(r"^## %d\. .*?```text\n(.*?)```" % number, text, re.S | re.M).group(1)
    return re.findall(r"^\s*\d+ (C>|S<) (\{.*\})\s*$", section, re.M)


class ReplayServer:
    def __init__(self, dialect, lines):
        self.dialect = dialect
        self.lines = lines
        self.problems = []
        self.received = []
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.thread = threading.Thread(target=self.serve, args=(ready,), daemon=True)
        self.thread.start()
        assert ready.wait(10)

    def serve(self, ready):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            websockets.serve(self.handler, "127.0.0.1", 0, compression=None))
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    async def handler(self, ws, path=None):
        beta = ws.request_headers.get("OpenAI-Beta") == "realtime=v1"
        if beta != (self.dialect == "beta"):
            self.problems.append("wrong dialect header")
        await ws.send(SESSION_CREATED[self.dialect])
        first = json.loads(await ws.recv())  # not in the document's sequence: the session setup
        if first["type"] != "session.update":
            self.problems.append("first event was %s" % first["type"])
        await self.play(ws, self.lines)
        await self.expect_close(ws)

    async def play(self, ws, lines):
        """Sends the document's server lines, byte for byte, and checks each client event
        against the document's client line in its place."""
        for direction, text in lines:
            if direction == "S<":
                await ws.send(text)
                continue
            expected = json.loads(text)
            got = json.loads(await ws.recv())
            self.received.append(got)
            if got["type"] != expected["type"]:
                self.problems.append("expected %s, got %s" % (expected["type"], got["type"]))
            else:
                self.compare(got, expected)

    def compare(self, got, expected):
        # An item's id is the client's choice (voxterm names its items to know them again after
        # a reconnect); the document's client lets the server choose.
        item = {k: v for k, v in got.get("item", {}).items() if k != "id"}
        if got["type"] == "conversation.item.create" and item != expected["item"]:
            self.problems.append("item %r != %r" % (got["item"], expected["item"]))
        elif got["type"] == "response.create" and got.get("response") != expected.get("response"):
            self.problems.append("response %r != %r" % (got.get("response"), expected.get("response")))

    async def expect_close(self, ws):
        try:
            await asyncio.wait_for(ws.wait_closed(), 10)
        except asyncio.TimeoutError:
            self.problems.append("the client did not close")
        if ws.close_code != 1000:
            self.problems.append("close code %s" % ws.close_code)

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.mark.skipif(not os.path.exists(SEQUENCES), reason="../shared/protocol/sequences.md not beside the repo")
@pytest.mark.parametrize("dialect,number", [("ga", 1), ("beta", 2)])
def test_text_sequence_from_the_document(dialect, number, tmp_path):
    lines = sequence(number)
    assert len(lines) > 8
    server = ReplayServer(dialect, lines)
    try:
        r = subprocess.run([BIN, "--text", "--dialect", dialect, "--url",
                            "ws://127.0.0.1:%d/v1/realtime" % server.port],
                           input="Name a prime number.\n", capture_output=True, text=True,
                           env=clean_env(tmp_path), timeout=30)
    finally:
        server.stop()
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Seven.\n"
    assert r.stderr == ""
    assert server.problems == []
    assert [e["type"] for e in server.received] == ["conversation.item.create", "response.create"]


def pcm_chunk(index, ms=100):
    """Distinct audio for each placeholder: a tone whose pitch depends on index."""
    n = 24000 * ms // 1000
    hz = 300 + 100 * index
    return struct.pack("<%dh" % n, *(int(5000 * math.sin(2 * math.pi * hz * i / 24000)) for i in range(n)))


class SpokenReplayServer(ReplayServer):
    """Plays a VAD turn and an audio answer from the document once the microphone streams.

    The document's audio placeholders ("<base64 ...>") become real chunks; everything else is
    sent as the document has it."""

    def __init__(self, dialect, turn, answer):
        self.chunks = []
        super().__init__(dialect, turn + answer)

    async def handler(self, ws, path=None):
        await ws.send(SESSION_CREATED[self.dialect])
        first = json.loads(await ws.recv())
        if first["type"] != "session.update":
            self.problems.append("first event was %s" % first["type"])
        # The client streams the microphone from now on; the document's turn starts on the first.
        while json.loads(await ws.recv())["type"] != "input_audio_buffer.append":
            pass

        def substitute(match):
            chunk = pcm_chunk(len(self.chunks))
            self.chunks.append(chunk)
            return base64.b64encode(chunk).decode()

        for direction, text in self.lines:
            if direction == "S<":
                await ws.send(re.sub(r"<base64[^>]*>", substitute, text))
        try:
            async for _ in ws:  # more appends, then the client's close
                pass
        except websockets.ConnectionClosed:
            pass
        if ws.close_code != 1000:
            self.problems.append("close code %s" % ws.close_code)


@pytest.mark.skipif(not os.path.exists(SEQUENCES), reason="../shared/protocol/sequences.md not beside the repo")
@pytest.mark.parametrize("dialect,turn,answer", [("ga", 7, 3), ("beta", 8, 4)])
def test_spoken_sequence_from_the_document(dialect, turn, answer, tmp_path):
    # The answer sequence starts with its own response.created; the turn already ends with one.
    server = SpokenReplayServer(dialect, sequence(turn), sequence(answer)[1:])
    mic = tmp_path / "quiet.wav"
    with wave.open(str(mic), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(24000)
        w.writeframes(b"\0\0" * 12000)
    out = tmp_path / "answer.wav"
    try:
        r = subprocess.run([BIN, "--dialect", dialect, "--url", "ws://127.0.0.1:%d/v1/realtime" % server.port,
                            "--input-file", str(mic), "--output-file", str(out)],
                           capture_output=True, text=True, env=clean_env(tmp_path), timeout=60)
    finally:
        server.stop()
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert "you: What's the weather?" in r.stdout
    assert "assistant: Hi there!" in r.stdout
    assert len(server.chunks) == 2
    with wave.open(str(out)) as w:
        assert w.readframes(w.getnframes()) == b"".join(server.chunks)  # played bit for bit
    assert server.problems == []


class FunctionCallReplayServer(ReplayServer):
    """The function-call sequence (5: GA, 6: beta), after the user's typed turn, then the text
    answer of sequence 1 or 2 as the follow-up response (resp_R2)."""

    def __init__(self, dialect, calls, answer):
        self.answer = [text.replace("resp_R1", "resp_R2") for direction, text in answer if direction == "S<"]
        super().__init__(dialect, calls)

    async def handler(self, ws, path=None):
        await ws.send(SESSION_CREATED[self.dialect])
        (_, update), rest = self.lines[0], self.lines[1:]
        got = json.loads(await ws.recv())
        expected = json.loads(update)["session"]
        if got["type"] != "session.update" or got["session"].get("tools") != expected["tools"] \
                or got["session"].get("tool_choice") != "auto":
            self.problems.append("session.update %r does not declare %r" % (got, expected["tools"]))
        # The user's turn, which the document leaves out: the typed line and its response.create.
        for expected_type in ("conversation.item.create", "response.create"):
            if json.loads(await ws.recv())["type"] != expected_type:
                self.problems.append("the user's turn did not start with %s" % expected_type)
        await self.play(ws, rest)
        for text in self.answer:
            await ws.send(text)
        await self.expect_close(ws)

    def compare(self, got, expected):
        """The output is checked by call_id and content; response.create by its type alone (the
        document's is bare, voxterm names the session's modality)."""
        if got["type"] == "conversation.item.create":
            item, want = got["item"], expected["item"]
            # voxterm's output is the command's result; the document's is what the command printed.
            if (item["type"], item["call_id"]) != (want["type"], want["call_id"]) or \
                    json.loads(item["output"]) != {"exit_code": 0, "stdout": want["output"], "stderr": ""}:
                self.problems.append("output item %r" % item)


@pytest.mark.skipif(not os.path.exists(SEQUENCES), reason="../shared/protocol/sequences.md not beside the repo")
@pytest.mark.parametrize("dialect,calls,answer", [("ga", 5, 1), ("beta", 6, 2)])
def test_function_call_sequence_from_the_document(dialect, calls, answer, tmp_path):
    lines = sequence(calls)
    declared = json.loads(lines[0][1])["session"]["tools"][0]
    city = tmp_path / "city"
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"tools": [{
        "name": declared["name"], "description": declared["description"], "parameters": declared["parameters"],
        "shell": "printf %%s \"$VOXTERM_ARG_city\" > %s; printf '{\"temp_c\":4}'" % city}]}))
    server = FunctionCallReplayServer(dialect, lines, sequence(answer))
    try:
        r = subprocess.run([BIN, "--config", str(config), "--text", "--dialect", dialect, "--url",
                            "ws://127.0.0.1:%d/v1/realtime" % server.port],
                           input="What's the weather in Oslo?\n", capture_output=True, text=True,
                           env=clean_env(tmp_path), timeout=30)
    finally:
        server.stop()
    assert r.returncode == 0, r.stderr
    assert city.read_text() == "Oslo"
    assert r.stdout == "Seven.\n"  # the follow-up's answer
    assert server.problems == []
    assert [e["type"] for e in server.received] == ["conversation.item.create", "response.create"]
