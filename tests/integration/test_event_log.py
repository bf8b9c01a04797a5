"""--log-events: JSON lines of every event both ways."""

import json


def test_every_event_both_ways(mock, run, tmp_path):
    m = mock()
    log = tmp_path / "events.jsonl"
    r = run(["--text", "--log-events", str(log), "--url", m.url()], input="hello\n")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(l) for l in log.read_text().splitlines()]
    out = [l["event"]["type"] for l in lines if l["dir"] == "out"]
    inbound = [l["event"]["type"] for l in lines if l["dir"] == "in"]
    assert out == ["session.update", "conversation.item.create", "response.create"]
    assert inbound[0] == "session.created"
    assert "response.output_text.delta" in inbound
    assert inbound.count("response.done") == 1
    times = [l["t_ms"] for l in lines]
    assert times == sorted(times)


def test_unwritable_log_is_a_usage_error(run):
    r = run(["--text", "--log-events", "/nonexistent/dir/x.jsonl", "--url", "ws://127.0.0.1:1/"], input="")
    assert r.returncode == 2
    assert "/nonexistent/dir/x.jsonl" in r.stderr
