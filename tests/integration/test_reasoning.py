"""Responses of several output items, as reasoning models (gpt-realtime-2*) give them: a spoken
preamble, then the answer; parallel function calls; and live captions of the user's words."""

import json
import os
import pty
import re
import select
import time

import pytest

from conftest import BIN, Vt, clean_env
from test_tools import call, checked, sent_outputs, write_config
from test_voice import read_wav, silence, tone, write_wav


def received(log_path, type_name):
    """The server events of one type that voxterm logged (--log-events)."""
    found = []
    with open(log_path) as f:
        for line in f:
            record = json.loads(line)
            if record["dir"] == "in" and record["event"].get("type") == type_name:
                found.append(record["event"])
    return found


@pytest.mark.parametrize("dialect", ["ga", "beta"])
def test_a_preamble_and_its_answer_are_two_lines(mock, run, dialect):
    m = mock()
    r = run(["--text", "--dialect", dialect, "--url", m.url()],
            input="mock:preamble\nhello\nmock:preamble mock:long 3\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ("Let me check that.\nHere is the answer.\nYou said: hello\n"
                        "Let me check that.\nword0 word1 word2 \n")
    checked(m)


def test_speak_prints_and_plays_each_item_in_order(mock, run, tmp_path):
    said = tmp_path / "said.raw"
    m = mock("--audio-out", str(said))
    out = tmp_path / "spoken.wav"
    r = run(["--text", "--speak", "--output-file", str(out), "--url", m.url()], input="mock:preamble\n")
    assert r.returncode == 0, r.stderr
    m.settle()
    assert r.stdout == "Let me check that.\nHere is the answer.\n"
    # Both items' audio, one after the other: no gap, no overlap.
    assert read_wav(out) == said.read_bytes()
    assert len(said.read_bytes()) == (4 + 4) * 150 * 48  # four deltas each, 150 ms a delta
    checked(m)


def test_a_spoken_preamble_and_answer_are_two_transcript_lines(mock, run, tmp_path):
    mic = tmp_path / "mic.wav"
    write_wav(mic, tone(800) + silence(1500))
    said = tmp_path / "said.raw"
    m = mock("--preamble-ms", "700", "--answer-ms", "1200", "--audio-out", str(said))
    out = tmp_path / "answer.wav"
    log = tmp_path / "events.jsonl"
    r = run(["--url", m.url(), "--input-file", str(mic), "--output-file", str(out), "--log-events", str(log)],
            timeout=60)
    assert r.returncode == 0, r.stderr
    m.settle()
    lines = r.stdout.splitlines()
    assert lines[1:] == ["assistant: Let me check that.", "assistant: This is a 1200 millisecond answer."]
    assert read_wav(out) == said.read_bytes()
    assert len(said.read_bytes()) == (700 + 1200) * 48
    items = [e["item"]["id"] for e in received(log, "response.output_item.added")]
    assert len(items) == 2 and items[0] != items[1]
    checked(m)


def test_parallel_calls_after_a_preamble_get_three_outputs_and_one_follow_up(mock, run, tmp_path):
    config = write_config(tmp_path, [
        {"name": "one", "shell": "sleep 0.3; echo one"},
        {"name": "two", "shell": "echo two"},
        {"name": "three", "shell": "sleep 0.1; echo three"}])
    m = mock()
    line = "mock:preamble " + " && ".join([call("one", {}), call("two", {}), call("three", {})])
    r = run(["--config", config, "--text", "--url", m.url()], input=line + "\nbye\n")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "Let me check that."
    assert lines[1].startswith("Tool ") and lines[2] == "You said: bye"
    outputs = sent_outputs(m)
    assert sorted(o["stdout"] for o in outputs) == ["one\n", "three\n", "two\n"]
    events = m.events()
    types = [e["type"] for e in events]
    # The line, its response.create; three outputs; exactly one response.create for all of them.
    first_follow_up = types.index("response.create", types.index("response.create") + 1)
    assert types[:first_follow_up].count("conversation.item.create") == 4
    assert types.count("response.create") == 3  # the line's, the follow-up, "bye"'s
    call_ids = {e["item"]["call_id"] for e in events
                if e["type"] == "conversation.item.create" and e["item"]["type"] == "function_call_output"}
    assert len(call_ids) == 3
    checked(m)


def test_captions_stay_out_of_a_pipe(mock, run, tmp_path):
    mic = tmp_path / "mic.wav"
    write_wav(mic, tone(800) + silence(1500))
    m = mock("--answer-ms", "300")
    log = tmp_path / "events.jsonl"
    r = run(["--url", m.url(), "--input-file", str(mic), "--output-file", str(tmp_path / "o.wav"),
             "--log-events", str(log)], timeout=30)
    assert r.returncode == 0, r.stderr
    assert len(received(log, "conversation.item.input_audio_transcription.delta")) >= 2
    you = [l for l in r.stdout.splitlines() if l.startswith("you: ")]
    assert len(you) == 1 and you[0].endswith("ms of speech)")
    assert "you:" not in r.stderr and "ms of speech" not in r.stderr
    checked(m)


def run_in_pty(args, env, timeout=30):
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(BIN, [BIN] + args, env)
    out = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out


@pytest.mark.parametrize("fails", [False, True])
def test_captions_are_rewritten_in_place_on_a_terminal(mock, tmp_path, fails):
    mic = tmp_path / "mic.wav"
    write_wav(mic, tone(800) + silence(1500))
    m = mock("--answer-ms", "300", *(["--transcription-fails"] if fails else []))  # fails halfway
    code, out = run_in_pty(["--url", m.url(), "--input-file", str(mic), "--output-file", str(tmp_path / "o.wav")],
                           clean_env(tmp_path, extra={"NO_COLOR": "1"}))
    assert code == 0, out
    # The caption grows in the status line, delta by delta, each time redrawn over itself...
    assert re.search(rb"\x1b\[K[^\r\n]*you: \(\d+ (ms )?\r", out), out
    # Lines as the terminal ends up showing them.
    vt = Vt()
    vt.feed(out)
    final = [l.encode() for l in vt.text().splitlines() if l.startswith("you: ")]
    if fails:
        # ...and a failed transcription clears it: no line of the user's words, a notice instead.
        assert final == []
        failed = out.find(b"could not be transcribed")
        assert failed > 0 and b"you: (" not in out[failed:]
    else:
        # ...until the final text replaces it, as a line of its own.
        assert len(final) == 1 and final[0].endswith(b"ms of speech)")


def test_an_answer_cut_after_its_preamble_goes_on_where_it_stopped(mock, run):
    m = mock()
    r = run(["--text", "--url", m.url()], input="mock:preamble mock:drop\n")
    assert r.returncode == 0, r.stderr
    # The preamble's line, then the answer's: its rest continues the cut line, nothing twice.
    assert r.stdout == "Let me check that.\nThis answer will be cut off halfway through.\n"
    created = [e["item"] for e in m.events() if e["type"] == "conversation.item.create"]
    assistant = [i for i in created if i.get("role") == "assistant"]
    # The replay: the preamble whole, the answer as far as it came, marked incomplete.
    assert [i.get("status") for i in assistant] == [None, "incomplete"]
    assert assistant[0]["content"][0]["text"] == "Let me check that."
    checked(m)


def server_validators(dialect):
    """jsonschema validators for the server events of the dialect, by type, from the schema."""
    jsonschema = pytest.importorskip("jsonschema")
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "realtime-schemas.json")
    with open(path) as f:
        doc = json.load(f)
    schemas = doc["components"]["schemas"]
    union = "RealtimeServerEvent" if dialect == "ga" else "V1Beta_RealtimeServerEvent"
    by_type = {}
    for member in schemas[union]["anyOf"]:
        name = member["$ref"].split("/")[-1]
        type_schema = schemas[name]["properties"]["type"]
        for event_type in type_schema.get("enum", [type_schema.get("const")]):
            wrapper = {"$ref": "#/components/schemas/" + name, "components": doc["components"]}
            by_type[event_type] = jsonschema.Draft202012Validator(wrapper)
    return by_type


@pytest.mark.parametrize("dialect", ["ga", "beta"])
@pytest.mark.parametrize("fails", [False, True])
def test_what_the_mock_sends_for_preambles_calls_and_captions_is_what_the_schema_allows(
        mock, run, tmp_path, dialect, fails):
    config = write_config(tmp_path, [{"name": "one", "shell": "echo one"}])
    mic = tmp_path / "mic.wav"
    write_wav(mic, tone(800) + silence(1500))
    m = mock("--preamble-ms", "300", "--answer-ms", "300", *(["--transcription-fails"] if fails else []))
    log = tmp_path / "events.jsonl"
    r = run(["--config", config, "--dialect", dialect, "--url", m.url(), "--input-file", str(mic),
             "--output-file", str(tmp_path / "o.wav"), "--log-events", str(log)],
            input="mock:preamble " + call("one", {}) + "\n", timeout=60)
    assert r.returncode == 0, r.stderr
    validators = server_validators(dialect)
    checked_types = set()
    with open(log) as f:
        for line in f:
            record = json.loads(line)
            event = record["event"]
            # The events that stream the items (not the session, response and conversation
            # objects around them).
            if record["dir"] != "in" or event["type"] not in validators or not event["type"].startswith(
                    ("response.output_", "response.content_part.", "response.function_call_", "response.text.",
                     "response.audio", "conversation.item.input_audio_transcription.")):
                continue
            if "audio.delta" in event["type"]:
                event = dict(event, delta="AAAA")  # the log keeps only the audio's length
            errors = sorted(validators[event["type"]].iter_errors(event), key=str)
            # The beta schema allows an item only "completed" or "incomplete", and no "audio"
            # content, but a real beta server announces items "in_progress" and says "audio"
            # (sequences.md, sequences 2 and 4): what was observed wins.
            errors = [e for e in errors if not (dialect == "beta" and e.instance in ("in_progress", "audio"))]
            assert errors == [], (event, errors[0].message)
            checked_types.add(event["type"])
    transcription = "conversation.item.input_audio_transcription."
    assert {"response.output_item.added", "response.output_item.done", "response.content_part.added",
            "response.function_call_arguments.done", transcription + "delta",
            transcription + ("failed" if fails else "completed")} <= checked_types
    checked(m)
