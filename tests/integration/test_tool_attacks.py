"""Tools attacked as a hostile server or a prompt-injected model would: arguments nested without
end, arguments the tool's schema forbids, a burst of calls, values too big for the environment,
a question that would hide what runs, and the descriptors a tool could inherit. The mock makes
the calls ("mock:call NAME TEXT" sends TEXT as the arguments, byte for byte)."""

import json
import os
import re
import resource
import subprocess

from conftest import BIN, clean_env
from test_tools import TextPty, call, checked, sent_outputs, tool_calls, write_config

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


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


def listed_fds(ls_output):
    """The descriptors `ls -l /proc/self/fd` shows, less the one ls reads the listing through."""
    fds = {}
    for line in ls_output.splitlines():
        found = re.search(r" (\d+) -> (.*)$", line)
        if found:
            fds[int(found.group(1))] = found.group(2)
    return {fd: target for fd, target in fds.items() if not re.fullmatch(r"/proc/\d+/fd", target)}


def test_a_tool_inherits_no_descriptor_above_2(mock, run, tmp_path):
    config = write_config(tmp_path, [{"name": "fds", "command": ["ls", "-l", "/proc/self/fd"]}])
    m = mock()
    files = ["--log-events", str(tmp_path / "events.jsonl"), "--stats", str(tmp_path / "stats.json"),
             "--speak", "--output-file", str(tmp_path / "answer.wav")]
    r = run(["--config", config, "--text", "--url", m.url()] + files, input=call("fds", {}) + "\n")
    assert r.returncode == 0, r.stderr
    output = sent_outputs(m)[0]
    assert output["exit_code"] == 0, output
    fds = listed_fds(output["stdout"])
    assert sorted(fds) == [0, 1, 2], fds
    checked(m)


def test_a_burst_of_1024_calls_runs_a_few_at_a_time(mock, tmp_path):
    # Each tool counts the tools running beside it, itself included.
    (tmp_path / "now").mkdir()
    config = write_config(tmp_path, [{
        "name": "t", "cwd": str(tmp_path / "now"),
        "shell": ': > $$; set -- *; echo $#; rm $$'}])
    m = mock()
    line = " && ".join([call("t", {})] * 1024)

    def low_descriptor_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    r = subprocess.run([BIN, "--config", config, "--text", "--url", m.url()], input=line + "\n",
                       capture_output=True, text=True, env=clean_env(tmp_path), timeout=240,
                       preexec_fn=low_descriptor_limit)
    assert r.returncode == 0, r.stderr[-2000:]
    outputs = sent_outputs(m)
    assert len(outputs) == 1024
    assert all(o.get("exit_code") == 0 for o in outputs), [o for o in outputs if o.get("exit_code") != 0][:3]
    assert max(int(o["stdout"]) for o in outputs) <= 4
    # Exactly one follow-up, after the last output.
    types = [e["type"] for e in m.events()]
    assert types.count("response.create") == 2
    last_output = len(types) - 1 - types[::-1].index("conversation.item.create")
    assert types.index("response.create", 1 + types.index("response.create")) > last_output
    checked(m)


def test_a_value_too_big_for_the_environment_reaches_stdin(mock, run, tmp_path):
    config = write_config(tmp_path, [{
        "name": "big", "parameters": {"type": "object", "properties": {"text": {"type": "string"}}},
        "shell": 'echo "${VOXTERM_ARG_text-unset} ${VOXTERM_ARGS-unset} ${#VOXTERM_ARG_small}"; wc -c',
    }])
    m = mock()
    value = "x" * (200 * 1024)
    r = run(["--config", config, "--text", "--url", m.url()],
            input=call("big", {"text": value, "small": "abc"}) + "\n")
    assert r.returncode == 0, r.stderr
    output = sent_outputs(m)[0]
    assert output["exit_code"] == 0, output
    first, size = output["stdout"].splitlines()
    assert first == "unset unset 3"
    assert int(size) == len(json.dumps({"text": value, "small": "abc"}, ensure_ascii=False))
    checked(m)


def test_the_question_shows_exactly_what_will_run(mock, tmp_path):
    marker = tmp_path / "ran"
    config = write_config(tmp_path, [{
        "name": "danger", "confirm": True, "cwd": str(tmp_path),
        "parameters": {"type": "object", "properties": {"what": {"type": "string"}}},
        "command": ["/bin/sh", "-c", 'printf "%s" "$1" > ran', "sh", "{what}"]}])
    m = mock()
    t = TextPty(tmp_path, ["--config", config, "--url", m.url()])
    t.wait_for("> ")
    # Spaces in a row, a tab, a newline, a right-to-left override, a zero-width space, an escape
    # sequence, a C1 control, a no-break space: each would hide or disguise what runs.
    value = "rm  -rf\t~\nok \u202eevil\u200b\x1b[2J\u009b\u00a0" + "y" * 3000 + " end"
    # Typed as ASCII JSON, so the terminal's echo of the line holds none of it raw.
    t.type("mock:call danger " + json.dumps({"what": value}) + "\n")
    shown = ("$'rm  -rf\\t~\\nok \\u202Eevil\\u200B\\E[2J\\u009B\\u00A0" + "y" * 3000 + " end'")
    expected = "voxterm: run danger: /bin/sh -c 'printf \"%s\" \"$1\" > ran' sh " + shown + "? [y/N] "
    t.wait_for(expected)
    assert "\u202e".encode() not in t.out and b"\x1b[2J" not in t.out
    t.type("y\n")
    t.wait_for("tool: danger: exit 0")
    t.type("\x04")
    assert t.finish() == 0
    assert marker.read_text() == value
    checked(m)


def readme_disk_usage_tool():
    """The disk_usage tool as the README declares it."""
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    block = re.search(r"```jsonc\n(.*?)```", readme, re.S).group(1)
    text = "\n".join(line for line in block.splitlines() if not line.lstrip().startswith("//"))
    return json.loads(text)["tools"][0]


def test_the_readme_example_takes_no_option_from_the_model(mock, run, tmp_path):
    tool = readme_disk_usage_tool()
    assert tool["name"] == "disk_usage"
    # du --files0-from=FILE reads the paths to measure from FILE: the model would choose them.
    secret = tmp_path / "secret"
    secret.mkdir()
    (tmp_path / "list").write_bytes(str(secret).encode() + b"\0")
    config = write_config(tmp_path, [tool])
    m = mock()
    r = run(["--config", config, "--text", "--url", m.url()],
            input=call("disk_usage", {"path": "--files0-from=%s" % (tmp_path / "list")}) + "\n")
    assert r.returncode == 0, r.stderr
    output = sent_outputs(m)[0]
    assert str(secret) not in output["stdout"], output
    assert output["exit_code"] != 0 and "cannot access '--files0-from=" in output["stderr"], output
    checked(m)


def command_examples(path):
    """Every "command": [...] list written in a file of documentation."""
    with open(os.path.join(ROOT, path)) as f:
        text = f.read()
    return [json.loads(found) for found in re.findall(r'"command": (\[[^\]\n]*\])', text)]


def test_every_documented_command_ends_options_before_its_placeholders():
    """A placeholder at the start of an element could be an option; `--` must come before it."""
    for path in ("README.md", "docs/config.md"):
        examples = command_examples(path)
        assert examples, path
        for command in examples:
            for i, element in enumerate(command):
                if element.startswith("{"):
                    assert "--" in command[:i], (path, command)


def test_the_documented_tools_are_valid_config(run, tmp_path):
    """Every tools example in the README and docs/config.md starts voxterm: its schema compiles and
    has nothing voxterm would refuse."""
    blocks = []
    for path in ("README.md", "docs/config.md"):
        with open(os.path.join(ROOT, path)) as f:
            for block in re.findall(r"```jsonc\n(.*?)```", f.read(), re.S):
                if block.lstrip().startswith('"tools"'):
                    blocks.append("{" + block + "}")
                elif '"tools"' in block:
                    blocks.append(block)
    assert len(blocks) >= 3
    for text in blocks:
        config = tmp_path / "config.json"
        config.write_text(text)
        r = run(["--config", str(config), "--text", "--url", "ws://127.0.0.1:9"], input="hi\n")
        assert r.returncode == 3, (text, r.stderr)  # past the config, refused by the closed port


def test_the_tool_line_on_a_piped_stderr_is_escaped(mock, run, tmp_path):
    # stderr is diagnostics: a log of it, read later on a terminal, must not act on what the
    # server chose (a C1 CSI clears the screen, a bidi override reorders the line), as log lines
    # do not. (JSON itself escapes C0 controls in the arguments, which the line shows as written.)
    schema = {"type": "object", "properties": {"path": {"type": "string"}}}
    tool, _ = marker_tool(tmp_path, schema)
    config = write_config(tmp_path, [tool])
    m = mock()
    value = "a\u009b2Jb\u202ec"
    r = run(["--config", config, "--text", "--url", m.url()], input=call("guarded", {"path": value}) + "\n")
    assert r.returncode == 0, r.stderr[-2000:]
    line = next((l for l in r.stderr.splitlines() if l.startswith("tool: guarded {")), r.stderr)
    assert "\u009b" not in line and "\u202e" not in line, line
    assert "a\\u009b2Jb\\u202ec" in line, line


def test_a_call_before_session_created_runs_nothing(run, tmp_path):
    """Before session.created there is no session: a response.done with a function call that a
    server sends first is not acted on (it ran the tool before)."""
    from hostile import Hostile
    tool, marker = marker_tool(tmp_path, {"type": "object", "properties": {"path": {"type": "string"}}})
    call_item = {"type": "function_call", "id": "item_1", "call_id": "call_early", "name": "guarded",
                 "arguments": json.dumps({"path": "early"}), "status": "completed"}

    def handler(c):
        if not c.upgrade():
            return
        c.event({"type": "response.created", "event_id": "ev_0", "response": {"id": "r0", "status": "in_progress"}})
        c.event({"type": "response.output_item.done", "event_id": "ev_1", "response_id": "r0", "output_index": 0,
                 "item": call_item})
        c.event({"type": "response.done", "event_id": "ev_2",
                 "response": {"id": "r0", "status": "completed", "output": [call_item]}})
        c.session_created()
        c.wait_for("response.create")
        c.answer(1, "Hello.")
        while c.read_event(5) is not None:
            pass

    h = Hostile(handler)
    try:
        r = run(["--text", "--url", h.url(), "--config", write_config(tmp_path, [tool])], input="hi\n",
                timeout=30)
    finally:
        h.stop()
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Hello.\n"
    assert not marker.exists()
    assert r.stderr == ("voxterm: warning: ignored response.created: it came before session.created "
                        "(later ones are counted, -v)\n")
