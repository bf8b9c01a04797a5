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


def test_the_validator_can_fail():
    # Negative controls, as in PROTOCOL.md section j: the check above is not vacuous.
    ga = validator("ga")
    assert list(ga.iter_errors({"type": "session.update", "session": {"output_modalities": ["text"]}}))
    assert list(ga.iter_errors({"type": "conversation.item.truncate", "item_id": "a", "content_index": 0}))
    assert list(ga.iter_errors({"type": "response.audio.delta"}))
