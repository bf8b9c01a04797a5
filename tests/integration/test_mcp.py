"""Local MCP servers (docs/config.md, "MCP servers"): the config's "mcp_servers" and `voxterm
mcp`, against tests/mcp/mcp_server.py, a server written from the MCP specification."""

import json
import os
import signal
import subprocess
import sys
import time

from conftest import BIN, HERE, TEST_KEY, clean_env, one_line

SERVER = os.path.join(HERE, "..", "mcp", "mcp_server.py")


def config_with(tmp_path, servers):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"mcp_servers": servers}, indent=2))
    path.chmod(0o600)
    return str(path)


def server(*modes, **extra):
    entry = {"command": [sys.executable, SERVER] + list(modes)}
    entry.update(extra)
    return entry


def alive(pid):
    """Running: a zombie (an orphan not reaped yet) counts as gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def test_voxterm_mcp_lists_each_server_and_its_tools(run, tmp_path):
    config = config_with(tmp_path, {"test": server(confirm=["fail"]),
                                    "names": server("bad-names")})
    r = run(["mcp", "--config", config], key=None)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert r.stdout.splitlines() == [
        "test: started, 7 tools",
        "  test__echo: Says the text back.",
        "  test__add: Adds two whole numbers.",
        "  test__fail (asks first): Always fails.",
        "  test__picture: Returns a picture.",
        "  test__sleep: Waits.",
        "  test__shout: Says a lot.",
        "  test__change: Changes the tool list.",
        "names: started, 1 tool",
        "  names__echo: Says the text back.",
        '  left out: tool "has space": the name must be 1 to 57 letters, digits, _ or -',
        '  left out: tool "%s": the name must be 1 to 57 letters, digits, _ or -' % ("x" * 65),
        '  left out: tool "no_schema": "inputSchema" must be an object schema ({"type": "object"})',
        '  left out: tool "bad_schema": "inputSchema" must be an object schema ({"type": "object"})',
        '  left out: tool "": the name must be 1 to 57 letters, digits, _ or -',
        '  left out: tool "pick": its "inputSchema" cannot be enforced: uses "const", which voxterm cannot check '
        '(JSON Schema draft-04): use "enum": [value] (at /properties/x)',
        '  left out: tool "": the name must be 1 to 57 letters, digits, _ or -',
        '  left out: tool "echo": listed twice (the first is kept)',
    ]


def test_a_server_that_does_not_start_is_named_with_the_reason_and_exit_1(run, tmp_path):
    config = config_with(tmp_path, {
        "crashes": server("crash"),
        "missing": {"command": ["voxterm-no-such-mcp-server"]},
        "hangs": server("hang", timeout_ms=300),
        "good": server(),
    })
    started = time.monotonic()
    r = run(["mcp", "--config", config], key=None)
    assert r.returncode == 1, r.stderr
    assert time.monotonic() - started < 20
    lines = r.stdout.splitlines()
    assert lines[:4] == [
        "crashes: does not start: initialize: exited with 3 (stderr: test server: crashing as asked)",
        "missing: does not start: voxterm-no-such-mcp-server: command not found",
        "hangs: does not start: initialize: no answer within 300 ms",
        "good: started, 7 tools",
    ]


def test_servers_get_no_api_key_and_their_stderr_goes_to_the_verbose_log(run, tmp_path):
    # The server's environment, written to its stderr: the key must not be in it.
    spy = {"command": ["/bin/sh", "-c", 'echo "key=${OPENAI_API_KEY-none} extra=$EXTRA" >&2; exit 3'],
           "env": {"EXTRA": "yes"}}
    config = config_with(tmp_path, {"spy": spy})
    r = run(["mcp", "-v", "--config", config])  # with the key in voxterm's environment
    assert r.returncode == 1
    assert "voxterm: mcp spy: key=none extra=yes" in r.stderr.splitlines()
    assert TEST_KEY not in r.stdout + r.stderr
    assert r.stdout == "spy: does not start: initialize: exited with 3 (stderr: key=none extra=yes)\n"


def test_no_server_outlives_voxterm_mcp(run, tmp_path):
    pids = tmp_path / "pids"
    pids.mkdir()
    config = config_with(tmp_path, {
        "a": server("--pid", str(pids / "a")),
        "b": server("hang", "--pid", str(pids / "b"), timeout_ms=1500),
    })
    r = run(["mcp", "--config", config], key=None)
    assert r.returncode == 1
    for name in ("a", "b"):
        pid = int((pids / name).read_text())
        assert not alive(pid), name


def test_no_servers_configured(run, tmp_path):
    r = run(["mcp", "--config", "/dev/null"], key=None)
    assert r.returncode == 0
    assert r.stdout == 'no MCP servers are configured ("mcp_servers" in docs/config.md)\n'


def test_mcp_servers_errors_stop_voxterm_with_the_place(run, tmp_path):
    config = tmp_path / "c.json"
    config.write_text('{\n  "mcp_servers": {\n    "docs": {\n      "url": "http://mcp.example.com"\n    }\n  }\n}\n')
    r = run(["mcp", "--config", str(config)], key=None)
    assert r.returncode == 2
    assert one_line(r.stderr) == (
        'voxterm: error: %s:4: MCP server "docs": "url" must be an https:// URL (the API calls the '
        'server, never over http)' % config)
    config.write_text('{"mcp_servers": {"a": {"command": ["x"], "confirm": "yes"}}}')
    r = run(["--text", "--config", str(config)], input="hi\n")
    assert r.returncode == 2
    assert one_line(r.stderr) == ('voxterm: error: %s:1: MCP server "a": "confirm" must be true, false or a '
                                  'list of tool names' % config)


def test_voxterm_config_shows_the_servers(run, tmp_path):
    config = config_with(tmp_path, {"a": server(), "b": server()})
    r = run(["config", "--config", config], key=None)
    assert r.returncode == 0, r.stderr
    line = [l for l in r.stdout.splitlines() if l.startswith("mcp_servers ")]
    assert line and "a, b" in line[0], r.stdout


def test_ctrl_c_ends_voxterm_mcp_at_once_with_no_server_left(tmp_path):
    # A server that never answers, ignores SIGTERM, stays after the end of its stdin and has
    # started a grandchild; its time limit is a minute.
    pid_file, child_file = tmp_path / "pid", tmp_path / "child"
    config = config_with(tmp_path, {"stuck": server("hang", "linger", "--pid", str(pid_file),
                                                    "--child-pid", str(child_file), timeout_ms=60000),
                                    "next": server()})
    p = subprocess.Popen([BIN, "mcp", "--config", config], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=clean_env(tmp_path, None))
    try:
        deadline = time.monotonic() + 10
        while not child_file.exists() or not child_file.read_text():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.2)
        p.send_signal(signal.SIGINT)
        started = time.monotonic()
        out, _ = p.communicate(timeout=10)
        assert p.returncode == 130
        assert time.monotonic() - started < 1.5
        assert out == ""  # the next server was not started
        for f in (pid_file, child_file):
            pid = int(f.read_text())
            deadline = time.monotonic() + 2
            while alive(pid) and time.monotonic() < deadline:
                time.sleep(0.02)
            assert not alive(pid), f
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


# --- In a conversation: the mock server makes the model call SERVER__TOOL ("mock:call"). ---

def call(name, args):
    return "mock:call %s %s" % (name, json.dumps(args))


def sent_outputs(m):
    return [e["item"]["output"] for e in m.events()
            if e["type"] == "conversation.item.create" and e["item"]["type"] == "function_call_output"]


def received(log):
    """What reached the server (--log): its messages, one per line."""
    if not os.path.exists(log):
        return []
    with open(log) as f:
        return [json.loads(line) for line in f if line.strip()]


def checked(m):
    assert m.violations() == []
    assert m.errors_sent() == []
    return m


def talk(run, mock, tmp_path, servers, lines, *extra):
    m = mock()
    config = config_with(tmp_path, servers)
    r = run(["--config", config, "--text", "--url", m.url()] + list(extra),
            input="".join(line + "\n" for line in lines), timeout=60)
    return m, r


def test_a_call_is_answered_by_the_server(run, mock, tmp_path):
    log = str(tmp_path / "got.jsonl")
    m, r = talk(run, mock, tmp_path, {"t": server("--log", log)},
                [call("t__add", {"a": 2, "b": 40})])
    assert r.returncode == 0, r.stderr
    assert sent_outputs(m) == ["42"]
    calls = [x for x in received(log) if x.get("method") == "tools/call"]
    assert [c["params"] for c in calls] == [{"name": "add", "arguments": {"a": 2, "b": 40}}]
    # One output, then the one follow-up response.
    assert [e["type"] for e in m.events()].count("response.create") == 2
    assert "tool: t__add: done (" in r.stderr
    checked(m)


def test_the_tools_are_declared_as_the_schema_says(run, mock, tmp_path):
    m, r = talk(run, mock, tmp_path, {"t": server()}, ["hello"])
    assert r.returncode == 0, r.stderr
    tools = m.events()[0]["session"]["tools"]
    assert [t["name"] for t in tools] == ["t__echo", "t__add", "t__fail", "t__picture", "t__sleep",
                                          "t__shout", "t__change"]
    assert tools[1] == {"type": "function", "name": "t__add", "description": "Adds two whole numbers.",
                        "parameters": {"type": "object",
                                       "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                                       "required": ["a", "b"]}}
    checked(m)


def test_a_bad_argument_never_reaches_the_server(run, mock, tmp_path):
    log = str(tmp_path / "got.jsonl")
    m, r = talk(run, mock, tmp_path, {"t": server("--log", log)},
                [call("t__add", {"a": "two", "b": 40})])
    assert r.returncode == 0, r.stderr
    [output] = sent_outputs(m)
    assert json.loads(output)["error"].startswith("not run: ")
    assert [x for x in received(log) if x.get("method") == "tools/call"] == []
    checked(m)


def test_is_error_and_other_content(run, mock, tmp_path):
    m, r = talk(run, mock, tmp_path, {"t": server()}, [call("t__fail", {}), call("t__picture", {})])
    assert r.returncode == 0, r.stderr
    fail, picture = sent_outputs(m)
    assert "error" in json.loads(fail)
    assert "[voxterm: content of other types is not passed on: image]" in picture
    checked(m)


def test_confirm_without_a_terminal_is_refused_and_never_sent(run, mock, tmp_path):
    log = str(tmp_path / "got.jsonl")
    m, r = talk(run, mock, tmp_path, {"t": server("--log", log, confirm=["echo"])},
                [call("t__echo", {"text": "hi"})])
    assert r.returncode == 0, r.stderr
    [output] = sent_outputs(m)
    assert "confirmation" in json.loads(output)["error"]
    assert [x for x in received(log) if x.get("method") == "tools/call"] == []
    checked(m)


def test_a_server_that_does_not_start_is_reported_once_and_the_session_goes_on(run, mock, tmp_path):
    m, r = talk(run, mock, tmp_path, {"bad": server("crash"), "t": server()},
                [call("t__add", {"a": 1, "b": 1})])
    assert r.returncode == 0, r.stderr
    assert r.stderr.count('mcp server "bad" does not start') == 1
    assert sent_outputs(m) == ["2"]
    assert [t["name"] for t in m.events()[0]["session"]["tools"]][0] == "t__echo"
    checked(m)


def test_a_crash_mid_call_gets_an_error_output_one_restart_then_stays_stopped(run, mock, tmp_path):
    log = str(tmp_path / "got.jsonl")
    m, r = talk(run, mock, tmp_path, {"t": server("crash-on-call", "--log", log)},
                [call("t__echo", {"text": "a"}), call("t__echo", {"text": "b"}),
                 call("t__echo", {"text": "c"})])
    assert r.returncode == 0, r.stderr
    first, second, third = [json.loads(o)["error"] for o in sent_outputs(m)]
    assert first.startswith('the server "t" failed: exited with 5')
    assert "crashing in a call" in first
    assert second.startswith('the server "t" failed: exited with 5')
    assert third.startswith('the server "t" is not running (it failed twice')
    assert r.stderr.count('mcp server "t" failed (exited with 5') == 1
    assert r.stderr.count('mcp server "t" failed again') == 1
    # Started twice (the first start and one restart), never a third time.
    assert [x.get("method") for x in received(log)].count("initialize") == 2
    checked(m)


def test_a_call_past_the_time_limit_is_answered_and_the_server_restarted(run, mock, tmp_path):
    m, r = talk(run, mock, tmp_path, {"t": server(timeout_ms=3000)},
                [call("t__sleep", {"ms": 30000}), call("t__add", {"a": 1, "b": 2})])
    assert r.returncode == 0, r.stderr
    slow, add = sent_outputs(m)
    assert json.loads(slow)["error"] == "timed out: no answer within 3000 ms"
    assert add == "3"
    assert r.stderr.count('mcp server "t" failed (no answer to a call within 3000 ms)') == 1
    checked(m)


def test_no_server_outlives_a_conversation(run, mock, tmp_path):
    pid = tmp_path / "pid"
    m, r = talk(run, mock, tmp_path, {"t": server("--pid", str(pid))}, [call("t__echo", {"text": "x"})])
    assert r.returncode == 0, r.stderr
    assert sent_outputs(m) == ["x"]
    assert not alive(int(pid.read_text()))


def test_ctrl_c_in_a_conversation_leaves_no_server(start, mock, tmp_path):
    pid = tmp_path / "pid"
    m = mock()
    p = start(["--config", config_with(tmp_path, {"t": server("--pid", str(pid))}), "--text",
               "--url", m.url()])
    p.stdin.write(call("t__sleep", {"ms": 30000}) + "\n")
    p.stdin.flush()
    deadline = time.time() + 20
    while time.time() < deadline and not any(
            e["type"] == "response.done" for e in m.events()):
        time.sleep(0.05)
    time.sleep(0.3)
    p.send_signal(signal.SIGINT)  # stops the call
    time.sleep(0.3)
    p.send_signal(signal.SIGINT)  # ends voxterm
    p.wait(timeout=10)
    assert not alive(int(pid.read_text()))


def test_list_changed_declares_the_new_tools_to_the_session(run, mock, tmp_path):
    m, r = talk(run, mock, tmp_path, {"t": server()},
                [call("t__change", {}), call("t__late", {})])
    assert r.returncode == 0, r.stderr
    assert sent_outputs(m) == ["changed", "late"]
    updates = [e for e in m.events() if e["type"] == "session.update"]
    assert "t__late" not in [t["name"] for t in updates[0]["session"]["tools"]]
    [changed] = [u for u in updates[1:] if "tools" in u["session"]]
    names = [t["name"] for t in changed["session"]["tools"]]
    assert names[-1] == "t__late" and names[:7] == [
        "t__echo", "t__add", "t__fail", "t__picture", "t__sleep", "t__shout", "t__change"]
    # Declared before the call of the new tool was made.
    types = [(e["type"], e.get("item", {}).get("output")) for e in m.events()]
    assert types.index(("session.update", None), 1) < types.index(("conversation.item.create", "late"))
    checked(m)


def test_an_mcp_tool_in_a_spoken_conversation(run, mock, tmp_path):
    """Voice mode: the microphone from a silent file, a typed line makes the model call; the
    follow-up answer is spoken, and the server is gone after voxterm."""
    import wave
    mic = tmp_path / "quiet.wav"
    with wave.open(str(mic), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(24000)
        w.writeframes(b"\0\0" * 24000 * 3)
    pid = tmp_path / "pid"
    config = config_with(tmp_path, {"t": server("--pid", str(pid))})
    m = mock()
    r = run(["--config", config, "--url", m.url(), "--input-file", str(mic),
             "--output-file", str(tmp_path / "answer.wav")],
            input=call("t__add", {"a": 20, "b": 22}) + "\n", env={"NO_COLOR": "1"})
    assert r.returncode == 0, r.stderr
    assert sent_outputs(m) == ["42"]
    assert "tool: t__add: done (" in r.stdout
    assert "assistant: Tool t__add returned: 42" in r.stdout
    assert "t__add" in [t["name"] for t in m.events()[0]["session"]["tools"]]
    assert [e["type"] for e in m.events()].count("response.create") == 2
    assert not alive(int(pid.read_text()))
    checked(m)


def test_a_slow_call_holds_up_nothing_else(run, mock, tmp_path):
    """Two calls in one response, on two servers: the quick one's output goes out while the slow
    one is still in flight (a main loop that waited for the slow answer would send it first)."""
    m, r = talk(run, mock, tmp_path, {"slow": server(), "fast": server()},
                [call("slow__sleep", {"ms": 2000}) + " && " + call("fast__add", {"a": 1, "b": 1})])
    assert r.returncode == 0, r.stderr
    assert sent_outputs(m) == ["2", "slept"]
    assert [e["type"] for e in m.events()].count("response.create") == 2
    checked(m)


def test_an_answer_is_cut_to_the_output_cap(run, mock, tmp_path):
    m, r = talk(run, mock, tmp_path, {"t": server()}, [call("t__shout", {})])
    assert r.returncode == 0, r.stderr
    [output] = sent_outputs(m)
    assert output == "A" * 16384 + "\n[voxterm: the text was cut to its size limit]"
    assert "tool: t__shout: done (" in r.stderr and "output cut to the limit" in r.stderr
    checked(m)
