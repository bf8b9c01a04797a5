"""Tools attacked as a hostile server or a prompt-injected model would: arguments nested without
end, arguments the tool's schema forbids, a burst of calls, values too big for the environment,
a question that would hide what runs, and the descriptors a tool could inherit. The mock makes
the calls ("mock:call NAME TEXT" sends TEXT as the arguments, byte for byte)."""

from test_tools import checked, sent_outputs, tool_calls, write_config


def raw_call(name, text):
    """The line that makes the mock call a tool with exactly this arguments text."""
    return "mock:call %s %s" % (name, text)


def marker_tool(tmp_path, schema, name="guarded"):
    """A tool that leaves a file behind when it runs, and the file."""
    marker = tmp_path / "ran"
    return {"name": name, "parameters": schema, "cwd": str(tmp_path),
            "command": ["/bin/sh", "-c", 'printf "%s\\n" "$1" >> ran', "sh", "{path}"]}, marker


def test_deeply_nested_arguments_get_an_error_and_voxterm_goes_on(mock, run, tmp_path):
    schema = {"type": "object", "properties": {"path": {}}}
    tool, marker = marker_tool(tmp_path, schema)
    config = write_config(tmp_path, [tool])
    m = mock()
    deep = 100000
    lines = [
        raw_call("guarded", '{"path":' + "[" * deep + "]" * deep + "}"),
        raw_call("guarded", '{"path":' + '{"a":' * deep + "1" + "}" * deep + "}"),
        raw_call("guarded", "[" * deep + "]" * deep),
        "after",
    ]
    r = run(["--config", config, "--text", "--url", m.url()], input="\n".join(lines) + "\n", timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    outputs = sent_outputs(m)
    assert len(outputs) == 3
    for output in outputs:
        assert output == {"error": "not run: the arguments are not a JSON object: JSON nested deeper than 64 levels"}
    assert r.stdout.endswith("You said: after\n")
    assert not marker.exists()
    checked(m)


SCHEMA = {
    "type": "object",
    "properties": {
        "path": {"type": "string", "pattern": "^[^-]"},
        "mode": {"enum": ["fast", "slow"]},
        "depth": {"type": "integer", "minimum": 0},
        "options": {"type": "object", "properties": {"level": {"type": "integer"}}},
    },
    "required": ["path"],
    "additionalProperties": False,
}


def test_arguments_the_schema_forbids_run_nothing(mock, run, tmp_path):
    tool, marker = marker_tool(tmp_path, SCHEMA)
    config = write_config(tmp_path, [tool])
    m = mock()
    log = tmp_path / "events.jsonl"
    bad = [
        ("{}", 'the arguments fail "required": ["path"]'),
        ('{"path": 3}', 'argument "/path" fails "type": "string"'),
        ('{"path": "--files0-from=/etc/passwd"}', 'argument "/path" fails "pattern": "^[^-]"'),
        ('{"path": "a", "mode": "turbo"}', 'argument "/mode" fails "enum": ["fast","slow"]'),
        ('{"path": "a", "depth": -1}', 'argument "/depth" fails "minimum": 0'),
        ('{"path": "a", "depth": 1.5}', 'argument "/depth" fails "type": "integer"'),
        ('{"path": "a", "extra": 1}', 'argument "/extra" fails "additionalProperties": false'),
        ('{"path": "a", "options": {"level": "high"}}', 'argument "/options/level" fails "type": "integer"'),
        # The shell form took the last, the argv form the first, the question showed one.
        ('{"path": "a", "path": "-rf"}', 'the arguments name "path" twice'),
        ('{"path": "a", "options": {"level": 1, "level": 2}}', 'the arguments name "level" twice'),
    ]
    line = " && ".join(raw_call("guarded", args) for args, _ in bad)
    r = run(["--config", config, "--text", "--url", m.url(), "--log-events", str(log)], input=line + "\n")
    assert r.returncode == 0, r.stderr
    assert not marker.exists()
    errors = {c["arguments"]: c["output"].get("error") for c in tool_calls(log)}
    assert len(errors) == len(bad)
    for args, reason in bad:
        assert errors[args] == "not run: " + reason, args
    # And arguments that fit the schema do run.
    r = run(["--config", config, "--text", "--url", m.url()],
            input=raw_call("guarded", '{"path": "ok", "mode": "fast", "options": {"level": 2}}') + "\n")
    assert r.returncode == 0, r.stderr
    assert marker.read_text() == "ok\n"
    checked(m)


def test_a_schema_voxterm_cannot_enforce_is_a_config_error(run, tmp_path):
    cases = [
        ({"type": "object", "properties": {"n": {"type": "string", "pattern": "^\\d+$"}}},
         'has a "pattern" voxterm cannot check: "^\\d+$" (at /properties/n; see docs/config.md)'),
        ({"type": "object", "properties": {"n": {"const": "x"}}},
         'uses "const", which voxterm cannot check (JSON Schema draft-04): use "enum": [value] (at /properties/n)'),
        ({"type": "object", "properties": {"n": {"type": "integer", "exclusiveMinimum": 0}}},
         'has a number for "exclusiveMinimum", which voxterm cannot check (JSON Schema draft-04)'),
        ({"type": "object", "properties": {"n": {"$ref": "http://example.com/s.json"}}},
         'has a "$ref" that does not point into it: "http://example.com/s.json" (at /properties/n)'),
        ({"type": "object", "properties": {"n": {"$ref": "#/$defs/nothing"}}},
         'has a "$ref" that points to no schema: "#/$defs/nothing" (at /properties/n)'),
        ({"type": "object", "properties": {"n": {"anyOf": [{"type": "string"}, {"items": {"$ref": "#/properties/n"}}]}}},
         'has a recursive "$ref", which voxterm does not check'),
    ]
    for schema, message in cases:
        config = write_config(tmp_path, [{"name": "t", "parameters": schema, "command": ["true"]}])
        r = run(["--config", config, "--text", "--url", "ws://127.0.0.1:9"], input="hi\n")
        assert r.returncode == 2, r.stderr
        assert r.stderr.startswith("voxterm: error: %s:1: " % config), r.stderr
        assert 'tool "t": "parameters" ' + message in r.stderr, r.stderr
