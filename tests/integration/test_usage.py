"""Usage and cost: every response.done's usage (and every transcription's) summed over the run,
shown at exit with -v and written by --stats; a price only from the table, else "unknown"."""

import json
import os
import re

import jsonschema
import pytest

from conftest import HERE

SCHEMAS = os.path.join(HERE, "..", "data", "realtime-schemas.json")

# The table in src/session/usage.cpp, USD per 1M tokens: text in/cached/out, audio in/cached/out.
PRICES = {"gpt-realtime-2.1": (4.00, 0.40, 24.00, 32.00, 0.40, 64.00)}


def usages(log_path, kind="response.done"):
    """The usage objects voxterm received, from its --log-events file."""
    out = []
    with open(log_path) as f:
        for line in f:
            record = json.loads(line)
            event = record.get("event", {})
            if record["dir"] == "in" and event.get("type") == kind:
                out.append(event["response"]["usage"] if kind == "response.done" else event["usage"])
    return out


def totals(log_path):
    t = {"responses": 0, "input": 0, "cached": 0, "in_text": 0, "in_audio": 0, "output": 0, "out_text": 0,
         "out_audio": 0, "cost": 0.0}
    price = PRICES["gpt-realtime-2.1"]
    for u in usages(log_path):
        d, o = u["input_token_details"], u["output_token_details"]
        c = d["cached_tokens_details"]
        t["responses"] += 1
        t["input"] += u["input_tokens"]
        t["cached"] += d["cached_tokens"]
        t["in_text"] += d["text_tokens"]
        t["in_audio"] += d["audio_tokens"]
        t["output"] += u["output_tokens"]
        t["out_text"] += o["text_tokens"]
        t["out_audio"] += o["audio_tokens"]
        t["cost"] += ((d["text_tokens"] - c["text_tokens"]) * price[0] + c["text_tokens"] * price[1] +
                      o["text_tokens"] * price[2] + (d["audio_tokens"] - c["audio_tokens"]) * price[3] +
                      c["audio_tokens"] * price[4] + o["audio_tokens"] * price[5]) / 1e6
    return t


def usage_lines(stderr):
    lines = [l for l in stderr.splitlines() if l.startswith("voxterm: usage: ") or
             l.startswith("voxterm: estimated cost: ")]
    assert len(lines) == 2, stderr
    return lines


def test_verbose_shows_the_totals_the_server_reported_and_a_cost(mock, run, tmp_path):
    m = mock("--model", "gpt-realtime-2.1")
    log = str(tmp_path / "events.jsonl")
    # mock:long makes the next turn's input long enough to be cached in part.
    r = run(["--text", "--url", m.url(), "-v", "--log-events", log], input="hello\nmock:long 1500\nand now?\nagain\n")
    assert r.returncode == 0, r.stderr
    t = totals(log)
    assert t["responses"] == 4
    assert t["cached"] > 0 and t["out_text"] > 0
    usage, cost = usage_lines(r.stderr)
    assert usage == ("voxterm: usage: 4 responses, %d input tokens (%d cached; text %d, audio %d), "
                     "%d output tokens (text %d, audio %d)" % (t["input"], t["cached"], t["in_text"],
                                                              t["in_audio"], t["output"], t["out_text"],
                                                              t["out_audio"]))
    shown = re.fullmatch(r"voxterm: estimated cost: \$(\d+\.\d{4}) \(gpt-realtime-2\.1 prices of "
                         r"\d{4}-\d\d-\d\d\)", cost)
    assert shown, cost
    assert abs(float(shown.group(1)) - t["cost"]) <= 0.00006


def test_a_model_missing_from_the_table_costs_unknown(mock, run):
    m = mock("--model", "gpt-realtime-7-turbo")
    r = run(["--text", "--url", m.url(), "-v", "--model", "gpt-realtime-7-turbo"], input="hello\n")
    assert r.returncode == 0, r.stderr
    usage, cost = usage_lines(r.stderr)
    assert usage.startswith("voxterm: usage: 1 response, ")
    assert cost == 'voxterm: estimated cost: unknown (no price for model "gpt-realtime-7-turbo")'


def test_no_usage_lines_without_verbose(mock, run):
    m = mock("--model", "gpt-realtime-2.1")
    r = run(["--text", "--url", m.url()], input="hello\n")
    assert r.returncode == 0, r.stderr
    assert "usage:" not in r.stderr and "cost" not in r.stderr


def test_stats_has_the_totals_and_the_cost(mock, run, tmp_path):
    m = mock("--model", "gpt-realtime-2.1")
    log, stats = str(tmp_path / "events.jsonl"), str(tmp_path / "stats.json")
    r = run(["--text", "--url", m.url(), "--log-events", log, "--stats", stats], input="hello\nmock:long 40\n")
    assert r.returncode == 0, r.stderr
    with open(stats) as f:
        doc = json.load(f)
    assert "first_audio" in doc  # the latencies are still there
    u, t = doc["usage"], totals(log)
    assert (u["responses"], u["input_tokens"], u["cached_tokens"], u["output_tokens"]) == \
        (t["responses"], t["input"], t["cached"], t["output"])
    assert (u["input_text_tokens"], u["input_audio_tokens"], u["output_text_tokens"], u["output_audio_tokens"]) == \
        (t["in_text"], t["in_audio"], t["out_text"], t["out_audio"])
    assert u["cost_usd"] == pytest.approx(t["cost"], rel=1e-9)
    assert u["cost_unknown_reason"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", u["prices_date"])


def test_stats_of_an_unknown_model_say_why(mock, run, tmp_path):
    # gpt-realtime is a real model, but its price is not in the table: no guess.
    m = mock("--model", "gpt-realtime")
    stats = str(tmp_path / "stats.json")
    r = run(["--text", "--url", m.url(), "--model", "gpt-realtime", "--stats", stats], input="hello\n")
    assert r.returncode == 0, r.stderr
    with open(stats) as f:
        u = json.load(f)["usage"]
    assert u["responses"] == 1 and u["input_tokens"] > 0
    assert u["cost_usd"] is None
    assert "no price for model" in u["cost_unknown_reason"]


def test_totals_survive_a_reconnect(mock, run, tmp_path):
    m = mock("--model", "gpt-realtime-2.1")
    log, stats = str(tmp_path / "events.jsonl"), str(tmp_path / "stats.json")
    r = run(["--text", "--url", m.url(), "--log-events", log, "--stats", stats],
            input="hello\nmock:drop\nafter\n", timeout=60)
    assert r.returncode == 0, r.stderr
    assert "reconnected" in r.stderr
    assert len(m.connects()) == 2
    with open(stats) as f:
        u = json.load(f)["usage"]
    t = totals(log)
    assert t["responses"] >= 3  # at least one response.done in each session
    assert (u["responses"], u["input_tokens"], u["output_tokens"]) == (t["responses"], t["input"], t["output"])


@pytest.mark.parametrize("dialect", ["ga", "beta"])
def test_the_mocks_usage_is_shaped_as_the_schema_says(mock, run, tmp_path, dialect):
    m = mock("--model", "gpt-realtime-2.1")
    log = str(tmp_path / "events.jsonl")
    r = run(["--text", "--url", m.url(), "--dialect", dialect, "--log-events", log],
            input="hello\nmock:call get_time {}\n")
    assert r.returncode == 0, r.stderr
    with open(SCHEMAS) as f:
        doc = json.load(f)
    name = "RealtimeResponse" if dialect == "ga" else "V1Beta_RealtimeResponse"
    schema = dict(doc["components"]["schemas"][name]["properties"]["usage"], components=doc["components"])
    found = usages(log)
    assert found
    for u in found:
        jsonschema.validate(u, schema)
        assert u["total_tokens"] == u["input_tokens"] + u["output_tokens"]
        d = u["input_token_details"]
        assert u["input_tokens"] == d["text_tokens"] + d["audio_tokens"] + d.get("image_tokens", 0)


def test_a_spoken_turns_transcription_usage_is_counted(mock, run, tmp_path):
    from test_voice import silence, tone, write_wav
    m = mock("--model", "gpt-realtime-2.1")
    log, stats = str(tmp_path / "events.jsonl"), str(tmp_path / "stats.json")
    mic = tmp_path / "mic.wav"
    write_wav(mic, silence(300) + tone(800) + silence(1500))
    r = run(["--url", m.url(), "--input-file", str(mic), "--output-file", str(tmp_path / "out.wav"), "--log-events", log,
             "--stats", stats, "--transcribe", "gpt-live-transcribe"], timeout=30)
    assert r.returncode == 0, r.stderr
    with open(stats) as f:
        u = json.load(f)["usage"]
    seen = usages(log, "conversation.item.input_audio_transcription.completed")
    assert len(seen) == 1
    assert u["transcriptions"] == 1
    assert u["transcription_seconds"] == pytest.approx(sum(s["seconds"] for s in seen))


def test_a_response_cut_off_makes_the_cost_a_lower_bound(mock, run, tmp_path):
    # The dropped answer was created but never done: its usage is unknown, so "at least".
    m = mock("--model", "gpt-realtime-2.1")
    stats = str(tmp_path / "stats.json")
    r = run(["--text", "-v", "--url", m.url(), "--stats", stats], input="hello\nmock:drop\nafter\n", timeout=60)
    assert r.returncode == 0, r.stderr
    cost = usage_lines(r.stderr)[1]
    assert re.fullmatch(r"voxterm: estimated cost: at least \$\d+\.\d{4} \(gpt-realtime-2\.1 prices of "
                        r"\S+\): 1 response ended without usage", cost), cost
    with open(stats) as f:
        u = json.load(f)["usage"]
    assert u["responses_without_usage"] == 1 and u["cost_usd"] > 0
