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
    config.write_text('{\n  "mcp_servers": {\n    "docs": {\n      "url": "https://mcp.example.com"\n    }\n  }\n}\n')
    r = run(["mcp", "--config", str(config)], key=None)
    assert r.returncode == 2
    assert one_line(r.stderr) == (
        'voxterm: error: %s:4: MCP server "docs": "url" (a hosted MCP server) is not supported: '
        'voxterm starts local servers, given by "command"' % config)
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
