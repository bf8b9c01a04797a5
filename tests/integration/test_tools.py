"""Tools end to end: the real binary runs the commands a config file declares, called through the
mock server ("mock:call NAME JSON" makes it call), with real child processes."""

import json
import os
import pty
import time

import pytest

from conftest import BIN, Pty, clean_env, one_line

HOSTILE = [
    "it's \"quoted\"",
    "$(touch PWNED)",
    "`touch PWNED`",
    "a; touch PWNED",
    "line one\nline two",
    "ünïcødé ✓ 日本",
    "--help",
    "{text}",
    "x" * 50000,
]


def write_config(tmp_path, tools, **extra):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(dict(tools=tools, **extra)))
    return str(path)


def text_param(*names):
    return {"type": "object", "properties": {n: {"type": "string"} for n in names}}


def call(name, args):
    """The line that makes the mock call a tool."""
    return "mock:call %s %s" % (name, json.dumps(args, ensure_ascii=False))


def tool_calls(log_path):
    """The tool calls voxterm logged (--log-events): name, arguments, output (parsed)."""
    calls = []
    with open(log_path) as f:
        for line in f:
            record = json.loads(line)
            event = record.get("event", {})
            if record["dir"] == "local" and event.get("type") == "voxterm.tool_call":
                calls.append(dict(event, output=json.loads(event["output"])))
    return calls


def sent_outputs(m):
    return [json.loads(e["item"]["output"]) for e in m.events()
            if e["type"] == "conversation.item.create" and e["item"]["type"] == "function_call_output"]


def checked(m):
    """The mock saw no schema violation and answered no error: the protocol was kept."""
    assert m.violations() == []
    assert m.errors_sent() == []
    return m


def running(pid):
    """Alive and not a zombie (an orphan's zombie waits for init, which in a container may be
    slow or absent)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def test_arguments_reach_the_command_literally(mock, run, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    # A fixed script that writes down what it was given: argv (NUL-separated), its environment
    # and stdin. The model's values reach it only as whole arguments.
    script = ('printf "%s\\0" "$@" > argv; printf "%s" "$VOXTERM_ARG_text" > env_text; '
              'printf "%s" "$VOXTERM_ARGS" > env_args; cat > stdin')
    config = write_config(tmp_path, [{
        "name": "record", "description": "Writes down its arguments.", "parameters": text_param("text"),
        "command": ["/bin/sh", "-c", script, "sh", "{text}", "[{text}]"], "cwd": str(out)}])
    m = mock()
    log = tmp_path / "events.jsonl"
    for value in HOSTILE:
        r = run(["--config", config, "--text", "--url", m.url(), "--log-events", str(log)],
                input=call("record", {"text": value}) + "\n", timeout=60)
        assert r.returncode == 0, r.stderr
        assert (out / "argv").read_bytes() == (value + "\0[" + value + "]\0").encode()
        assert (out / "env_text").read_text() == value
        args = json.loads((out / "stdin").read_text())
        assert args == {"text": value}
        assert json.loads((out / "env_args").read_text()) == {"text": value}
        assert tool_calls(log)[0]["output"] == {"exit_code": 0, "stdout": "", "stderr": ""}
    assert not (out / "PWNED").exists() and not (tmp_path / "PWNED").exists()
    checked(m)


def test_a_shell_tool_sees_arguments_only_as_variables(mock, run, tmp_path):
    config = write_config(tmp_path, [{
        "name": "shout", "parameters": text_param("text"), "cwd": str(tmp_path),
        "shell": 'printf "%s" "$VOXTERM_ARG_text" | tr a-z A-Z; echo " [$VOXTERM_TOOL]"; echo warn >&2; exit 4'}])
    m = mock()
    value = "hi $(touch PWNED); `touch PWNED`"
    r = run(["--config", config, "--text", "--url", m.url()], input=call("shout", {"text": value}) + "\n")
    assert r.returncode == 0, r.stderr
    assert sent_outputs(m) == [{"exit_code": 4, "stdout": value.upper() + " [shout]\n", "stderr": "warn\n"}]
    assert not (tmp_path / "PWNED").exists()
    # The model's answer used the output: a follow-up response was asked for, after the first.
    assert r.stdout.startswith("Tool shout returned: ")
    types = [e["type"] for e in m.events()]
    assert types.count("response.create") == 2
    assert types.index("conversation.item.create", types.index("response.create")) < len(types) - 1
    # Each call is shown on stderr: the name and arguments, then how it ended.
    assert "tool: shout {" in r.stderr
    assert "tool: shout: exit 4 (" in r.stderr
    checked(m)


def test_tools_are_declared_to_the_session(mock, run, tmp_path):
    params = {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}
    config = write_config(tmp_path, [
        {"name": "disk_usage", "description": "Disk usage of a directory.", "parameters": params,
         "command": ["du", "-sh", "{path}"]},
        {"name": "uptime", "shell": "uptime"}])
    for dialect in ("ga", "beta"):
        m = mock()
        r = run(["--config", config, "--text", "--dialect", dialect, "--url", m.url()], input="hello\n")
        assert r.returncode == 0, r.stderr
        session = m.events()[0]["session"]
        assert session["tools"] == [
            {"type": "function", "name": "disk_usage", "description": "Disk usage of a directory.",
             "parameters": params},
            {"type": "function", "name": "uptime", "parameters": {"type": "object", "properties": {}}}]
        assert session["tool_choice"] == "auto"
        checked(m)


def test_timeout_kills_the_whole_group_and_leaves_no_orphan(mock, run, tmp_path):
    pids = tmp_path / "pids"
    config = write_config(tmp_path, [{
        "name": "hang", "timeout_ms": 500,
        "shell": "sleep 300 & echo $! >> %s; (sleep 300; :) & echo $! >> %s; echo $$ >> %s; "
                 "echo partial; wait" % (pids, pids, pids)}])
    m = mock()
    started = time.time()
    r = run(["--config", config, "--text", "--url", m.url()], input=call("hang", {}) + "\n")
    assert r.returncode == 0, r.stderr
    assert time.time() - started < 30
    assert sent_outputs(m) == [{"exit_code": None, "stdout": "partial\n", "stderr": "", "timed_out": True}]
    assert "tool: hang: timed out after 500 ms" in r.stderr
    written = [int(p) for p in pids.read_text().split()]
    assert len(written) == 3
    deadline = time.time() + 5
    while any(running(p) for p in written) and time.time() < deadline:
        time.sleep(0.05)
    assert not any(running(p) for p in written)
    checked(m)


def test_long_output_is_cut_to_the_limit(mock, run, tmp_path):
    config = write_config(tmp_path, [{
        "name": "flood", "max_output_bytes": 1000,
        "shell": "head -c 200000 /dev/zero | tr '\\0' x; echo done >&2"}])
    m = mock()
    r = run(["--config", config, "--text", "--url", m.url()], input=call("flood", {}) + "\n")
    assert r.returncode == 0, r.stderr
    item = [e for e in m.events() if e["type"] == "conversation.item.create"
            and e["item"]["type"] == "function_call_output"][0]
    assert len(item["item"]["output"].encode()) <= 1000
    output = json.loads(item["item"]["output"])
    assert output["truncated"] is True and output["exit_code"] == 0
    assert output["stderr"] == "done\n" and set(output["stdout"]) == {"x"}
    checked(m)


def test_several_calls_unknown_and_broken_ones_each_get_an_output(mock, run, tmp_path):
    config = write_config(tmp_path, [
        {"name": "one", "shell": "sleep 0.3; echo one"},
        {"name": "two", "shell": "echo two"},
        {"name": "missing", "command": ["voxterm-no-such-program"]}])
    m = mock()
    log = tmp_path / "events.jsonl"
    line = " && ".join([call("one", {}), call("two", {}), call("format_disk", {}), call("missing", {}),
                        "mock:call two [1,2]"])
    r = run(["--config", config, "--text", "--url", m.url(), "--log-events", str(log)], input=line + "\n")
    assert r.returncode == 0, r.stderr
    by_name = {}
    for c in tool_calls(log):
        by_name.setdefault(c["name"], []).append(c["output"])
    assert by_name["one"] == [{"exit_code": 0, "stdout": "one\n", "stderr": ""}]
    assert {"exit_code": 0, "stdout": "two\n", "stderr": ""} in by_name["two"]
    assert {"error": "not run: the arguments are not a JSON object"} in by_name["two"]
    assert by_name["format_disk"][0]["error"].startswith('there is no tool named "format_disk"')
    assert by_name["missing"] == [{"error": "voxterm-no-such-program: command not found"}]
    # Five outputs, then exactly one response.create for all of them.
    types = [e["type"] for e in m.events()]
    assert types.count("response.create") == 2
    last_create = len(types) - 1 - types[::-1].index("response.create")
    assert types[:last_create].count("conversation.item.create") == 6  # the line, then 5 outputs
    checked(m)


def test_a_confirm_tool_is_refused_without_a_terminal(mock, run, tmp_path):
    marker = tmp_path / "ran"
    config = write_config(tmp_path, [{"name": "danger", "confirm": True, "shell": "touch %s" % marker}])
    m = mock()
    r = run(["--config", config, "--text", "--url", m.url()], input=call("danger", {}) + "\n")
    assert r.returncode == 0, r.stderr
    assert not marker.exists()
    assert "no terminal" in sent_outputs(m)[0]["error"]
    assert "tool: danger: not run (it needs confirmation, and there is no terminal)" in r.stderr
    checked(m)


@pytest.mark.parametrize("text", [
    '"tools": {}',
    '"tools": [{"name": "x"}]',
    '"tools": [{"name": "x", "shell": "a", "command": ["b"]}]',
    '"tools": [{"name": "bad name", "shell": "a"}]',
    '"tools": [{"name": "x", "shell": "a", "parameters": {"type": "array"}}]',
])
def test_tool_config_errors_are_one_line_and_exit_2(run, tmp_path, text):
    config = tmp_path / "config.json"
    config.write_text("{\n  %s\n}\n" % text)
    r = run(["--config", str(config), "--text", "--url", "ws://127.0.0.1:9"], input="hi\n")
    assert r.returncode == 2
    assert one_line(r.stderr).startswith("voxterm: error: %s:2: " % config)


class TextPty(Pty):
    """voxterm --text on a terminal of its own, typed at."""

    def __init__(self, tmp_path, args):
        env = clean_env(tmp_path, extra={"NO_COLOR": "1"})
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(BIN, [BIN, "--text"] + args, env)
        self.out = b""

    def wait_for(self, needle, timeout=15):
        """Waits for needle on the screen (a line's trailing blanks are not there)."""
        needle = needle.replace("\r\n", "\n").rstrip(" ")
        assert self.wait_for_screen(needle, timeout), self.screen()[-1000:]

    def type(self, text):
        self.key(text.encode())


def test_a_confirm_tool_asks_on_the_terminal(mock, tmp_path):
    marker = tmp_path / "ran"
    config = write_config(tmp_path, [{"name": "danger", "confirm": True, "parameters": text_param("what"),
                                      "shell": 'echo "$VOXTERM_ARG_what" >> %s' % marker}])
    m = mock()
    t = TextPty(tmp_path, ["--config", config, "--url", m.url()])
    t.wait_for("> ")
    t.type(call("danger", {"what": "first"}) + "\n")
    t.wait_for("voxterm: run danger: /bin/sh -c 'echo \"$VOXTERM_ARG_what\" >> %s' danger, with what=first? [y/N] "
               % marker)
    t.type("n\n")
    t.wait_for("tool: danger: declined")
    t.wait_for("Tool danger returned: ")
    assert not marker.exists()
    t.type(call("danger", {"what": "second"}) + "\n")
    t.wait_for("voxterm: run danger: /bin/sh -c 'echo \"$VOXTERM_ARG_what\" >> %s' danger, with what=second? [y/N] "
               % marker)
    t.type("y\n")
    t.wait_for("tool: danger: exit 0")
    t.wait_for('"exit_code":0')
    assert marker.read_text() == "second\n"
    t.type("\x04")  # Ctrl-D
    assert t.finish() == 0
    assert [o.get("error") for o in sent_outputs(m)] == ["not run: the user declined", None]
    checked(m)


def test_ctrl_c_stops_a_running_tool_and_gives_back_the_prompt(mock, tmp_path):
    pid_file = tmp_path / "pid"
    config = write_config(tmp_path, [{"name": "slow", "timeout_ms": 60000,
                                      "shell": "echo $$ > %s; exec sleep 60" % pid_file}])
    m = mock()
    t = TextPty(tmp_path, ["--config", config, "--url", m.url()])
    t.wait_for("> ")
    t.type(call("slow", {}) + "\n")
    t.wait_for("tool: slow {}")
    deadline = time.time() + 10
    while not pid_file.exists() or not pid_file.read_text().strip():
        assert time.time() < deadline
        time.sleep(0.02)
    pid = int(pid_file.read_text())
    t.type("\x03")  # Ctrl-C: the terminal sends SIGINT to voxterm's group, not the tool's
    t.wait_for("tool: slow: interrupted")
    t.wait_for(" ms)\n>")  # control is back: the conversation goes on
    assert not running(pid)
    t.type("hello\n")
    t.wait_for("You said: hello")
    t.type("\x04")
    assert t.finish() == 0
    assert sent_outputs(m)[0]["interrupted"] is True
    types = [e["type"] for e in m.events()]
    assert types.count("response.create") == 2  # the first turn's, and "hello": no follow-up
    checked(m)


def test_tools_in_a_spoken_conversation(mock, run, tmp_path):
    """Voice mode: the microphone from a silent file, a typed line makes the model call; the
    follow-up answer is spoken."""
    import wave
    mic = tmp_path / "quiet.wav"
    with wave.open(str(mic), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(24000)
        w.writeframes(b"\0\0" * 24000 * 3)
    config = write_config(tmp_path, [{"name": "greet", "shell": "echo hello from a tool"}])
    m = mock()
    out = tmp_path / "answer.wav"
    r = run(["--config", config, "--url", m.url(), "--input-file", str(mic), "--output-file", str(out)],
            input=call("greet", {}) + "\n", env={"NO_COLOR": "1"})
    assert r.returncode == 0, r.stderr
    assert "tool: greet {}" in r.stdout
    assert "tool: greet: exit 0" in r.stdout
    assert 'assistant: Tool greet returned: {"exit_code":0,"stdout":"hello from a tool\\n","stderr":""}' in r.stdout
    types = [e["type"] for e in m.events()]
    assert types.count("response.create") == 2
    checked(m)


def test_a_call_with_no_tools_declared_is_still_answered(mock, run, tmp_path):
    m = mock()
    r = run(["--text", "--url", m.url()], input=call("anything", {}) + "\n")
    assert r.returncode == 0, r.stderr
    assert sent_outputs(m) == [{"error": 'there is no tool named "anything"; no tools are declared'}]
    assert "tools" not in m.events()[0]["session"]
    assert r.stdout.startswith("Tool anything returned: ")
    checked(m)


def test_a_call_only_response_done_lists_runs_before_the_follow_up(mock, run, tmp_path):
    config = write_config(tmp_path, [{"name": "one", "shell": "echo one"},
                                     {"name": "two", "shell": "echo two"}])
    m = mock()
    log = tmp_path / "events.jsonl"
    line = call("one", {}) + " && mock:listcall two {}"
    r = run(["--config", config, "--text", "--url", m.url(), "--log-events", str(log)], input=line + "\n")
    assert r.returncode == 0, r.stderr
    assert sorted(c["name"] for c in tool_calls(log)) == ["one", "two"]
    outputs = sent_outputs(m)
    assert {"exit_code": 0, "stdout": "two\n", "stderr": ""} in outputs
    assert len(outputs) == 2
    # Both outputs, then exactly one response.create for them.
    types = [e["type"] for e in m.events()]
    assert types.count("response.create") == 2
    last_create = len(types) - 1 - types[::-1].index("response.create")
    assert types[:last_create].count("conversation.item.create") == 3  # the line, then 2 outputs
    checked(m)
