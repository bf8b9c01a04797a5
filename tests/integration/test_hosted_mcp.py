"""Hosted MCP servers (docs/config.md, "Hosted MCP servers"): "mcp_servers" entries with a "url"
go to the session as GA "mcp" tools; the API calls them, voxterm shows the calls and answers the
approval requests. The mock simulates the remote server ("mock:mcp LABEL TOOL JSON")."""

import json
import time

import pytest

from conftest import one_line
from test_tools import TextPty

SECRET = "Bearer hosted-secret-0123456789"


def config_with(tmp_path, servers, **extra):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(dict({"mcp_servers": servers}, **extra), indent=2))
    path.chmod(0o600)
    return str(path)


def docs(**extra):
    entry = {"url": "https://mcp.example.com/mcp", "headers": {"Authorization": SECRET}}
    entry.update(extra)
    return entry


def mcp_line(label, tool, args):
    return "mock:mcp %s %s %s" % (label, tool, json.dumps(args))


def checked(m):
    assert m.violations() == []
    assert m.errors_sent() == []
    return m


def approvals(m):
    return [r["mcp_approval"] for r in m.records() if "mcp_approval" in r]


def session_tools(m):
    return [e["session"]["tools"] for e in m.events()
            if e["type"] == "session.update" and "tools" in e["session"]]


def test_a_hosted_server_is_an_mcp_tool_of_the_session(mock, run, tmp_path):
    config = config_with(tmp_path, {"docs": docs(allowed_tools=["echo"]),
                                    "open": {"url": "https://mcp.example.org/", "require_approval": "never"}},
                         tools=[{"name": "t", "shell": "true"}])
    m = mock()
    r = run(["--config", config, "--text", "--url", m.url()], input="hi\n")
    assert r.returncode == 0, r.stderr
    # Validated against the schema by the mock (checked), and exactly as MCPTool says.
    tools = session_tools(m)[0]
    assert tools[0]["type"] == "function"
    assert tools[1:] == [
        {"type": "mcp", "server_label": "docs", "server_url": "https://mcp.example.com/mcp",
         "headers": {"Authorization": SECRET}, "require_approval": "always", "allowed_tools": ["echo"]},
        {"type": "mcp", "server_label": "open", "server_url": "https://mcp.example.org/",
         "require_approval": "never"},
    ]
    checked(m)


def test_require_approval_never_shows_the_call_and_its_output(mock, run, tmp_path):
    config = config_with(tmp_path, {"docs": docs(require_approval="never")})
    m = mock()
    r = run(["--config", config, "--text", "--url", m.url()],
            input=mcp_line("docs", "echo", {"text": "hello"}) + "\n")
    assert r.returncode == 0, r.stderr
    assert 'tool: docs__echo {"text": "hello"} (called by the API)' in r.stderr
    assert "tool: docs__echo: done, 11 bytes of output" in r.stderr
    assert "MCP tool echo returned: echo: hello" in r.stdout
    assert approvals(m) == []
    checked(m)


def test_a_failed_call_is_shown_with_its_error(mock, run, tmp_path):
    config = config_with(tmp_path, {"docs": docs(require_approval="never")})
    m = mock()
    r = run(["--config", config, "--text", "--url", m.url()], input=mcp_line("docs", "boom", {}) + "\n")
    assert r.returncode == 0, r.stderr
    assert "tool: docs__boom: failed: boom: the tool failed" in r.stderr
    assert "MCP tool boom failed" in r.stdout
    checked(m)


def test_without_a_terminal_a_request_is_refused_and_the_model_told(mock, run, tmp_path):
    config = config_with(tmp_path, {"docs": docs()})  # require_approval: "always" by default
    m = mock()
    r = run(["--config", config, "--text", "--url", m.url()],
            input=mcp_line("docs", "echo", {"text": "x"}) + "\n")
    assert r.returncode == 0, r.stderr
    assert "tool: docs__echo: not approved (it needs approval, and there is no terminal)" in r.stderr
    [answer] = approvals(m)  # exactly once
    assert answer["approve"] is False and "no terminal" in answer["reason"]
    assert "The call of echo was not approved: " in r.stdout  # the follow-up response
    assert "returned" not in r.stdout
    checked(m)


def test_on_a_terminal_the_user_approves_or_declines(mock, tmp_path):
    config = config_with(tmp_path, {"docs": docs()})
    m = mock()
    t = TextPty(tmp_path, ["--config", config, "--url", m.url()])
    t.wait_for("> ")
    t.type(mcp_line("docs", "echo", {"text": "one"}) + "\n")
    t.wait_for('voxterm: allow the API to call docs__echo {"text": "one"}? [y/N] ')
    t.type("y\n")
    t.wait_for("tool: docs__echo: approved")
    t.wait_for("MCP tool echo returned: echo: one")
    t.type(mcp_line("docs", "echo", {"text": "two"}) + "\n")
    t.wait_for('voxterm: allow the API to call docs__echo {"text": "two"}? [y/N] ')
    t.type("n\n")
    t.wait_for("tool: docs__echo: declined")
    t.wait_for("The call of echo was not approved: The user declined this call.")
    t.type("\x04")  # Ctrl-D
    assert t.finish() == 0
    assert [a["approve"] for a in approvals(m)] == [True, False]
    checked(m)


def test_header_values_never_reach_the_log_or_the_event_log(mock, run, tmp_path):
    headers = {"Authorization": SECRET, "X-Api-Key": "k3y", "X-Version": "2", "Accept": "application/json"}
    config = config_with(tmp_path, {"docs": docs(require_approval="never", headers=headers)})
    m = mock()
    log = tmp_path / "events.jsonl"
    r = run(["--config", config, "--text", "-v", "--log-events", str(log), "--url", m.url()],
            input=mcp_line("docs", "echo", {"text": "hi"}) + "\n")
    assert r.returncode == 0, r.stderr
    assert session_tools(m)[0][0]["headers"] == headers  # sent
    text = log.read_text()
    for secret in (SECRET, "hosted-secret", "0123456789", '"k3y"'):
        assert secret not in r.stderr and secret not in r.stdout and secret not in text
    assert '"Authorization":"' + "*" * len(SECRET) + '"' in text
    # Plain values are no secrets: masked, the answers' own words would turn to stars.
    r = run(["--config", config, "--text", "--url", m.url()], input="send 2 as application/json\n")
    assert r.stdout == "You said: send 2 as application/json\n", r.stderr
    r = run(["mcp", "--config", config], key=None)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == \
        "docs: hosted at https://mcp.example.com/mcp: called by the API, not started by voxterm"
    assert SECRET not in r.stdout and "k3y" not in r.stdout


@pytest.mark.parametrize("entry, message", [
    ({"url": "http://mcp.example.com"}, '"url" must be an https:// URL'),
    ({"url": "https://"}, '"url" must be an https:// URL'),
    ({"url": 5}, '"url" must be an https:// URL'),
    ({"url": "https://a.example", "headers": {"A": 1}}, '"headers" must be an object of header names'),
    ({"url": "https://a.example", "headers": {"A": "x\r\nB: y"}}, '"headers" "A" has a control character'),
    ({"url": "https://a.example", "headers": {"bad name": "x"}}, '"headers" has a name that is not'),
    ({"url": "https://a.example", "require_approval": "sometimes"}, '"require_approval" must be "always"'),
    ({"url": "https://a.example", "require_approval": {"always": {"x": 1}}}, '"require_approval" must be'),
    ({"url": "https://a.example", "allowed_tools": "echo"}, '"allowed_tools" must be a list of tool names'),
    ({"url": "https://a.example", "command": ["x"]}, '"command" is not a key of a hosted MCP server'),
])
def test_bad_hosted_entries_are_one_line_and_exit_2(run, tmp_path, entry, message):
    config = config_with(tmp_path, {"docs": entry})
    r = run(["--config", config, "--text", "--url", "ws://127.0.0.1:9"], input="hi\n")
    assert r.returncode == 2
    line = one_line(r.stderr)
    assert line.startswith("voxterm: error: %s:" % config) and 'MCP server "docs": ' + message in line, line
    assert "x\r\nB" not in line


def test_a_bad_label_and_the_apis_without_hosted_servers_are_refused(run, tmp_path):
    r = run(["--config", config_with(tmp_path, {"a__b": docs()}), "--text"], input="hi\n")
    assert r.returncode == 2
    assert 'MCP server "a__b": the name must be 1 to 32' in one_line(r.stderr)
    config = config_with(tmp_path, {"docs": docs()})
    r = run(["--config", config, "--text", "--dialect", "beta", "--url", "ws://127.0.0.1:9"], input="hi\n")
    assert r.returncode == 2
    assert "the beta dialect has no MCP tools" in one_line(r.stderr)
    r = run(["--config", config, "--model", "gpt-live-1", "--url", "ws://127.0.0.1:9"], input="hi\n")
    assert r.returncode == 2
    assert "GPT-Live" in one_line(r.stderr) and SECRET not in r.stderr


def test_a_question_lost_with_the_connection_leaves_the_conversation_going(tmp_path):
    """An approval asked on a terminal when the connection drops is dropped unanswered; after
    the reconnect the next line is a turn, answered, and Ctrl-D ends the run (the line that
    made the request waited for a follow-up that could no longer come, and held every line
    after it)."""
    from hostile import Hostile
    request = {"id": "mcpr_1", "type": "mcp_approval_request", "server_label": "docs", "name": "search",
               "arguments": '{"query":"x"}'}
    connections = []

    def handler(c):
        connections.append(c)
        if not c.upgrade():
            return
        c.session_created(len(connections))
        if len(connections) == 1:
            c.wait_for("response.create")
            c.event({"type": "response.created", "event_id": "ev_c", "response": {"id": "r1", "status": "in_progress"}})
            c.event({"type": "response.output_item.done", "event_id": "ev_i", "response_id": "r1",
                     "output_index": 0, "item": request})
            c.event({"type": "response.done", "event_id": "ev_d", "response": {"id": "r1", "status": "completed",
                                                                               "output": [request]}})
            time.sleep(1)
            return c.drop()
        n = 1
        while c.wait_for("response.create", timeout=30) is not None:
            c.answer(n, "Answer %d on the second connection." % n)
            n += 1

    h = Hostile(handler)
    try:
        t = TextPty(tmp_path, ["--config", config_with(tmp_path, {"docs": docs()}), "--url", h.url()])
        t.wait_for("> ")
        t.type("search the docs\n")
        t.wait_for("voxterm: allow the API to call docs__search")
        t.wait_for("tool: docs__search: not answered (the connection was lost)")
        t.wait_for("voxterm: reconnected")
        t.type("hello after\n")
        t.wait_for("Answer 1 on the second connection.")
        t.type("\x04")  # Ctrl-D
        assert t.finish() == 0
    finally:
        h.stop()
