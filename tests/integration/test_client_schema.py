"""Every kind of event voxterm can send validates against OpenAI's schema for its dialect."""

import json
import os
import subprocess

import jsonschema
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS = os.path.join(HERE, "..", "data", "realtime-schemas.json")
DUMP = os.environ.get("VOXTERM_DUMP_EVENTS", os.path.join(HERE, "..", "..", "build", "tests",
                                                          "dump_client_events"))
UNION = {"ga": "RealtimeClientEvent", "beta": "V1Beta_RealtimeClientEvent"}
# Keep in step with kClientEventTypes in src/protocol/client_events.cpp.
CLIENT_EVENT_TYPES = {
    "session.update", "conversation.item.create", "response.create", "response.cancel",
    "input_audio_buffer.append", "input_audio_buffer.commit", "input_audio_buffer.clear",
    "conversation.item.truncate",
}


def validator(dialect):
    with open(SCHEMAS) as f:
        doc = json.load(f)
    schema = {"$ref": "#/components/schemas/" + UNION[dialect], "components": doc["components"]}
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def events():
    out = subprocess.run([DUMP], capture_output=True, text=True, check=True, timeout=30).stdout
    return [json.loads(line) for line in out.splitlines()]


@pytest.mark.parametrize("dialect", ["ga", "beta"])
def test_every_event_validates(events, dialect):
    v = validator(dialect)
    mine = [e["event"] for e in events if e["dialect"] == dialect]
    assert {e["type"] for e in mine} == CLIENT_EVENT_TYPES
    for event in mine:
        errors = list(v.iter_errors(event))
        assert not errors, (event, jsonschema.exceptions.best_match(errors).message)


def test_item_kinds_are_all_covered(events):
    kinds = {(e["dialect"], e["event"]["item"]["type"], e["event"]["item"].get("role"))
             for e in events if e["event"]["type"] == "conversation.item.create"}
    for dialect in ("ga", "beta"):
        assert (dialect, "message", "user") in kinds
        assert (dialect, "message", "assistant") in kinds
        assert (dialect, "function_call", None) in kinds
        assert (dialect, "function_call_output", None) in kinds


def test_hosted_mcp_tools_and_approvals_are_covered(events):
    # GA's "mcp" tools (hosted MCP servers) in session.update, alone and after functions, and
    # both answers to an approval request; beta has neither.
    tools = [t for e in events if e["event"]["type"] == "session.update"
             for t in e["event"]["session"].get("tools", []) if t["type"] == "mcp"]
    assert tools and all(e["dialect"] == "ga" for e in events if e["event"]["type"] == "session.update"
                         and any(t["type"] == "mcp" for t in e["event"]["session"].get("tools", [])))
    assert {"type": "mcp", "server_label": "docs", "server_url": "https://mcp.example.com/sse",
            "headers": {"Authorization": "Bearer secret-token-123"}, "require_approval": "always",
            "allowed_tools": ["search", "fetch"]} in tools
    assert any(isinstance(t["require_approval"], dict) for t in tools)
    approvals = [e["event"]["item"] for e in events if e["event"]["type"] == "conversation.item.create"
                 and e["event"]["item"]["type"] == "mcp_approval_response"]
    assert {a["approve"] for a in approvals} == {True, False}
    assert all(e["dialect"] == "ga" for e in events if e["event"]["type"] == "conversation.item.create"
               and e["event"]["item"]["type"] == "mcp_approval_response")


def test_image_messages_are_covered(events):
    # GA's user message with input_image parts (--image, /image): the text, then each image as
    # a data: URL; an image alone has no text part. Beta has no image input, and gets none.
    parts = [[c["type"] for c in e["event"]["item"]["content"]]
             for e in events if e["event"]["type"] == "conversation.item.create"
             and e["event"]["item"].get("role") == "user" and e["dialect"] == "ga"]
    assert ["input_text", "input_image", "input_image"] in parts
    assert ["input_image"] in parts
    beta = [c for e in events if e["dialect"] == "beta" and e["event"]["type"] == "conversation.item.create"
            for c in e["event"]["item"].get("content", [])]
    assert all(c["type"] != "input_image" for c in beta)
    images = [c for e in events if e["event"]["type"] == "conversation.item.create"
              for c in e["event"]["item"].get("content", []) if c["type"] == "input_image"]
    assert all(c["image_url"].startswith(("data:image/png;base64,", "data:image/jpeg;base64,"))
               and c["detail"] == "auto" for c in images)


def test_the_validator_can_fail():
    # Negative controls, as in PROTOCOL.md section j: the check above is not vacuous.
    ga = validator("ga")
    assert list(ga.iter_errors({"type": "session.update", "session": {"output_modalities": ["text"]}}))
    assert list(ga.iter_errors({"type": "conversation.item.truncate", "item_id": "a", "content_index": 0}))
    assert list(ga.iter_errors({"type": "response.audio.delta"}))


# Every optional session field voxterm can send, as a path in the session, per dialect: each must
# appear in some session.update above, so that its shape is validated there.
SESSION_FIELDS = {
    "ga": ["audio/input/transcription/language", "audio/input/transcription/prompt",
           "audio/input/noise_reduction", "audio/output/speed",
           "audio/input/turn_detection/idle_timeout_ms", "audio/input/turn_detection/eagerness",
           "max_output_tokens", "reasoning/effort", "parallel_tool_calls"],
    "beta": ["input_audio_transcription/language", "input_audio_transcription/prompt",
             "input_audio_noise_reduction", "turn_detection/eagerness", "max_response_output_tokens"],
}


def paths(value, prefix=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield prefix + k
            yield from paths(v, prefix + k + "/")


@pytest.mark.parametrize("dialect", ["ga", "beta"])
def test_every_session_field_is_covered(events, dialect):
    seen = set()
    for e in events:
        if e["dialect"] == dialect and e["event"]["type"] == "session.update":
            seen.update(paths(e["event"]["session"]))
    assert set(SESSION_FIELDS[dialect]) <= seen, set(SESSION_FIELDS[dialect]) - seen
    # Null (noise reduction off) and "inf" are sent as well as an object and a number.
    values = [e["event"]["session"] for e in events
              if e["dialect"] == dialect and e["event"]["type"] == "session.update"]
    if dialect == "ga":
        assert any(v.get("audio", {}).get("input", {}).get("noise_reduction", 1) is None for v in values)
        assert any(v.get("max_output_tokens") == "inf" for v in values)
    else:
        assert any(v.get("input_audio_noise_reduction", 1) is None for v in values)
        assert any(v.get("max_response_output_tokens") == "inf" for v in values)
    # Beta's session has no such fields: they are never sent there.
    if dialect == "beta":
        assert not seen & {"speed", "reasoning", "parallel_tool_calls", "turn_detection/idle_timeout_ms"}


def test_the_schema_bounds_the_session_fields():
    # The values voxterm refuses at start-up (exit 2) are the ones the schema refuses.
    ga = validator("ga")

    def session(**fields):
        return {"type": "session.update", "session": dict({"type": "realtime"}, **fields)}

    assert not list(ga.iter_errors(session(audio={"output": {"speed": 1.5}})))
    assert list(ga.iter_errors(session(audio={"output": {"speed": 1.6}})))
    assert list(ga.iter_errors(session(audio={"output": {"speed": 0.2}})))
    td = {"type": "server_vad", "idle_timeout_ms": 4999}
    assert list(ga.iter_errors(session(audio={"input": {"turn_detection": td}})))
    assert list(ga.iter_errors(session(audio={"input": {"noise_reduction": {"type": "middle"}}})))
    assert list(ga.iter_errors(session(reasoning={"effort": "max"})))
    assert list(ga.iter_errors(session(max_output_tokens="lots")))
    td = {"type": "semantic_vad", "eagerness": "eager"}
    assert list(ga.iter_errors(session(audio={"input": {"turn_detection": td}})))
