"""GPT-Live's tools (issue 18, item 3): the config file's shell tools become the function tools of
a Responses delegation backend; the backend's function_call items (response.event) run through
the same runner, with the same checks, and go back as response.item.create, one per call, then
one response.create. Against the mock's GPT-Live side (tests/mock/live_session.py), which
delegates each user turn to the backend when started with --live-delegate NAME JSON."""

import json
import sys

import pytest

from conftest import one_line
from test_live import records, run_live, spoken
from test_mcp import SERVER
from test_tools import text_param, write_config


def backend_outputs(m):
    """The function_call_outputs voxterm gave the backend, their outputs parsed."""
    return [dict(e["item"], output=json.loads(e["item"]["output"])) for e in m.events()
            if e["type"] == "response.item.create" and e["item"]["type"] == "function_call_output"]


def the_turn(tmp_path):
    return spoken(tmp_path, ("silence", 300), ("tone", 800), ("silence", 5000))


def checked(m):
    assert m.violations() == []
    assert m.errors_sent() == []
    assert records(m, "live_unanswered") == []


def test_a_declared_tool_runs_through_delegation_and_its_result_is_spoken(mock, run, tmp_path):
    config = write_config(tmp_path, [{"name": "uptime", "description": "How long the machine is up.",
                                      "shell": "echo up 3 days"}])
    m = mock("--live-delegate", "uptime", "{}")
    r = run_live(run, m, tmp_path, the_turn(tmp_path), "--config", config, "-v")
    assert r.returncode == 0, r.stderr
    start = m.events()[0]["session"]
    assert start["delegation"] == {"type": "responses", "responses": {
        "model": "gpt-5.5", "tool_choice": "auto",
        "tools": [{"type": "function", "name": "uptime", "description": "How long the machine is up.",
                   "parameters": {"type": "object", "properties": {}}}]}}
    outputs = backend_outputs(m)
    assert [o["output"] for o in outputs] == [{"exit_code": 0, "stdout": "up 3 days\n", "stderr": ""}]
    call_id = records(m, "delegation_created") and outputs[0]["call_id"]
    assert call_id.startswith("call")
    # Every output, then one response.create; no commentary (ids are refused under Responses).
    types = [e["type"] for e in m.events()]
    assert types.count("response.create") == 1
    assert types.index("response.item.create") < types.index("response.create")
    assert "session.commentary.append" not in types
    # The voice says the backend's answer.
    said = next(line for line in r.stdout.splitlines() if line.startswith("assistant: "))
    assert "Tool uptime returned: " in said and "up 3 days" in said
    # The user's request shows before the tool it asked for.
    lines = r.stdout.splitlines()
    assert lines.index("you: please use uptime with {}") < lines.index("tool: uptime {}")
    assert "tool: uptime: exit 0 (" in r.stdout
    assert [a["by"] for a in records(m, "delegation_answered")] == ["responses"]
    # The backend's tokens are counted beside the session's seconds.
    assert "backend" in r.stderr and "gpt-5.5" in r.stderr
    checked(m)


def test_parallel_calls_each_get_an_output_before_the_one_response_create(mock, run, tmp_path):
    config = write_config(tmp_path, [
        {"name": "echo_it", "parameters": text_param("text"), "shell": 'printf "%s" "$VOXTERM_ARG_text"'},
        {"name": "uptime", "shell": "echo up"}])
    m = mock("--live-delegate", "echo_it", json.dumps({"text": "$(touch PWNED)"}),
             "--live-delegate", "uptime", "{}")
    r = run_live(run, m, tmp_path, the_turn(tmp_path), "--config", config)
    assert r.returncode == 0, r.stderr
    outputs = backend_outputs(m)
    assert sorted(o["output"]["stdout"] for o in outputs) == ["$(touch PWNED)", "up\n"]
    types = [e["type"] for e in m.events()]
    assert types.count("response.create") == 1
    assert types.index("response.create") > max(i for i, t in enumerate(types) if t == "response.item.create")
    assert not (tmp_path / "PWNED").exists()
    checked(m)


def test_bad_arguments_and_unknown_tools_are_answered_not_run(mock, run, tmp_path):
    marker = tmp_path / "ran"
    params = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    config = write_config(tmp_path, [{"name": "count", "parameters": params,
                                      "shell": "touch %s" % marker}])
    m = mock("--live-delegate", "count", json.dumps({"n": "not a number"}))
    r = run_live(run, m, tmp_path, the_turn(tmp_path), "--config", config)
    assert r.returncode == 0, r.stderr
    assert not marker.exists()
    [output] = backend_outputs(m)
    assert "error" in output["output"] and "not run" in output["output"]["error"]
    assert [e["type"] for e in m.events()].count("response.create") == 1
    checked(m)


def test_a_confirm_tool_without_a_terminal_is_refused_and_the_backend_told(mock, run, tmp_path):
    marker = tmp_path / "ran"
    config = write_config(tmp_path, [{"name": "danger", "confirm": True, "shell": "touch %s" % marker}])
    m = mock("--live-delegate", "danger", "{}")
    r = run_live(run, m, tmp_path, the_turn(tmp_path), "--config", config)
    assert r.returncode == 0, r.stderr
    assert not marker.exists()
    [output] = backend_outputs(m)
    assert "no terminal" in output["output"]["error"]
    checked(m)


def test_the_backend_model_is_chosen_with_delegate_model(mock, run, tmp_path):
    config = write_config(tmp_path, [{"name": "uptime", "shell": "echo up"}])
    m = mock("--live-delegate", "uptime", "{}")
    r = run_live(run, m, tmp_path, the_turn(tmp_path), "--config", config, "--delegate-model", "gpt-5.6-luna")
    assert r.returncode == 0, r.stderr
    assert m.events()[0]["session"]["delegation"]["responses"]["model"] == "gpt-5.6-luna"
    checked(m)


@pytest.mark.parametrize("model", ["", "x" * 300, "bad\nmodel"])
def test_a_bad_delegate_model_is_a_usage_error(run, tmp_path, model):
    config = write_config(tmp_path, [{"name": "uptime", "shell": "echo up"}])
    r = run(["--model", "gpt-live-1.1", "--url", "ws://127.0.0.1:1/v1/live/sessions", "--config", config,
             "--delegate-model", model])
    assert r.returncode == 2
    assert "--delegate-model" in one_line(r.stderr)


def test_without_tools_a_delegation_is_still_answered_by_the_client(mock, run, tmp_path):
    m = mock("--live-delegate", "uptime", "{}")
    r = run_live(run, m, tmp_path, the_turn(tmp_path))
    assert r.returncode == 0, r.stderr
    assert m.events()[0]["session"]["delegation"] == {"type": "client"}
    assert [a["by"] for a in records(m, "delegation_answered")] == ["commentary"]
    checked(m)


def test_a_lost_connection_stops_its_calls_and_sends_nothing_to_the_new_session(mock, run, tmp_path):
    # The tool outlives the connection: its output belongs to a delegation the new session does
    # not know (a delegation id is valid only on the connection that made it, LIVE.md 3).
    config = write_config(tmp_path, [{"name": "slow", "shell": "sleep 2; echo late"}])
    m = mock("--live-delegate", "slow", "{}", "--live-drop-ms", "2500")
    mic = spoken(tmp_path, ("silence", 300), ("tone", 800), ("silence", 8000))
    r = run_live(run, m, tmp_path, mic, "--config", config, "-v")
    assert r.returncode == 0, r.stderr
    assert backend_outputs(m) == []
    # The call is stopped with its connection (its task died), and nothing is sent for it.
    assert "tool: slow: interrupted" in r.stdout
    assert "not sent (the connection it was asked on was lost)" in r.stdout
    assert m.violations() == []
    assert m.errors_sent() == []


def test_an_mcp_tool_runs_through_delegation(mock, run, tmp_path):
    config = tmp_path / "mcp.json"
    config.write_text(json.dumps({"mcp_servers": {"calc": {"command": [sys.executable, SERVER]}}}))
    config.chmod(0o600)
    m = mock("--live-delegate", "calc__add", json.dumps({"a": 2, "b": 40}))
    r = run_live(run, m, tmp_path, the_turn(tmp_path), "--config", str(config))
    assert r.returncode == 0, r.stderr
    tools = m.events()[0]["session"]["delegation"]["responses"]["tools"]
    add = next(t for t in tools if t["name"] == "calc__add")
    assert add == {"type": "function", "name": "calc__add", "description": "Adds two whole numbers.",
                   "parameters": {"type": "object",
                                  "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                                  "required": ["a", "b"]}}
    outputs = [e["item"]["output"] for e in m.events()
               if e["type"] == "response.item.create" and e["item"]["type"] == "function_call_output"]
    assert outputs == ["42"]
    types = [e["type"] for e in m.events()]
    assert types.count("response.create") == 1
    checked(m)


def test_a_file_run_waits_for_the_answer_to_a_slow_tools_result(mock, run, tmp_path):
    # The input file ends while the tool runs, and the model's "Let me check." is over (2 s of
    # silence) before it ends: voxterm still waits for the voice to say what the backend made of
    # the result before it closes the session (as a Realtime file run waits for the follow-up
    # response).
    config = write_config(tmp_path, [{"name": "slow", "shell": "sleep 4; echo done"}])
    m = mock("--live-delegate", "slow", "{}")
    mic = spoken(tmp_path, ("silence", 300), ("tone", 800), ("silence", 700))
    r = run_live(run, m, tmp_path, mic, "--config", config)
    assert r.returncode == 0, r.stderr
    [output] = backend_outputs(m)
    assert output["output"]["stdout"] == "done\n"
    said = [line for line in r.stdout.splitlines() if line.startswith("assistant: ")]
    assert any("Tool slow returned: " in line and "done" in line for line in said), r.stdout
    # The whole answer was said before session.close.
    found = m.records()
    close = next(i for i, r in enumerate(found) if r.get("event", {}).get("type") == "session.close")
    backend = [i for i, r in enumerate(found) if r.get("live_said", {}).get("kind") == "backend"]
    assert backend and backend[0] < close
    assert found[backend[0]]["live_said"]["words"] == found[backend[0]]["live_said"]["of"]
    checked(m)


def test_calls_over_a_delegations_limit_are_each_answered_with_an_error(mock, run, tmp_path):
    # "A delegation must always get an answer": a backend that asks for more calls in one response
    # than voxterm runs gets an error output for each of the others, and one warning says so.
    config = write_config(tmp_path, [{"name": "uptime", "shell": "echo up"}])
    m = mock("--live-delegate", "uptime", "{}", "--live-delegate-times", "1030")
    r = run_live(run, m, tmp_path, the_turn(tmp_path), "--config", config, timeout=120)
    assert r.returncode == 0, r.stderr
    outputs = backend_outputs(m)
    assert len(outputs) == 1030
    assert len({o["call_id"] for o in outputs}) == 1030
    ran = [o for o in outputs if "error" not in o["output"]]
    refused = [o for o in outputs if "error" in o["output"]]
    assert len(ran) == 64 and all(o["output"]["stdout"] == "up\n" for o in ran)
    assert len(refused) == 1030 - 64
    assert all("not run" in o["output"]["error"] and "64" in o["output"]["error"] for o in refused)
    assert [e["type"] for e in m.events()].count("response.create") == 1
    # One warning, in GPT-Live's words; not Realtime's, and not a line a call.
    warnings = [line for line in r.stderr.splitlines() if "function calls" in line]
    assert len(warnings) == 1, r.stderr
    assert "delegation" in warnings[0] and "1030" in warnings[0] and "64" in warnings[0]
    assert "a response made more than" not in r.stderr
    assert len([line for line in r.stdout.splitlines() if line.startswith("tool: ") and "not run" in line]) == 1
    checked(m)


def test_a_call_announced_but_never_completed_is_answered_with_an_error(mock, run, tmp_path):
    config = write_config(tmp_path, [{"name": "uptime", "shell": "echo up"}])
    m = mock("--live-delegate", "uptime", "{}", "--live-unfinished-call")
    r = run_live(run, m, tmp_path, the_turn(tmp_path), "--config", config)
    assert r.returncode == 0, r.stderr
    outputs = backend_outputs(m)
    assert len(outputs) == 2
    [unfinished] = [o for o in outputs if "error" in o["output"]]
    assert "never" in unfinished["output"]["error"]
    assert [o["output"]["stdout"] for o in outputs if "error" not in o["output"]] == ["up\n"]
    assert [e["type"] for e in m.events()].count("response.create") == 1
    warnings = [line for line in r.stderr.splitlines() if "never completed" in line]
    assert len(warnings) == 1, r.stderr
    checked(m)
