"""The config file: bounded in size and in nesting (and so in memory), and a warning, as ssh
gives, when a file that can run commands is one others can change."""

import json
import os
import resource
import subprocess

import pytest

from conftest import BIN, clean_env, one_line

SANITIZED = bool(os.environ.get("VOXTERM_SANITIZER"))


def limited_memory():
    if not SANITIZED:  # sanitizers reserve terabytes of address space
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def test_a_config_file_has_a_size_limit(tmp_path):
    r = subprocess.run([BIN, "--text", "--config", "/dev/zero"], input="", capture_output=True, text=True,
                       env=clean_env(tmp_path), timeout=30, preexec_fn=limited_memory)
    assert r.returncode == 2
    assert one_line(r.stderr) == "voxterm: error: /dev/zero: larger than 1 MiB"


def test_deep_nesting_in_the_config_is_refused_in_bounded_memory(tmp_path):
    config = tmp_path / "deep.json"
    depth = 10000
    config.write_text('{"tools": ' + "[" * depth + "]" * depth + "}")
    r = subprocess.run(["/usr/bin/time", "-f", "peak_kb %M", BIN, "--text", "--config", str(config)],
                       input="", capture_output=True, text=True, env=clean_env(tmp_path), timeout=60,
                       preexec_fn=limited_memory)
    lines = r.stderr.splitlines()
    peak_kb = int(lines[-1].split()[1])
    if not SANITIZED:
        assert peak_kb < 30 * 1024, peak_kb
    assert r.returncode == 2, r.stderr
    assert lines[0] == "voxterm: error: %s:1: nested deeper than 64 levels" % config


def commanding_config(path, mode):
    path.write_text(json.dumps({"tools": [{"name": "up", "shell": "uptime"}]}))
    path.chmod(mode)
    return str(path)


def test_a_config_that_runs_commands_and_others_can_write_draws_a_warning(mock, run, tmp_path):
    m = mock()
    config = commanding_config(tmp_path / "c.json", 0o666)
    r = run(["--text", "--config", config, "--url", m.url()], input="hi\n")
    assert r.returncode == 0, r.stderr
    assert one_line(r.stderr) == ("voxterm: warning: %s can run commands (tools, mcp_servers, api_key_command) and others "
                                  "can change it: chmod go-w %s" % (config, config))
    # The same for a file in a directory others can write to (they could replace the file).
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    config = commanding_config(shared / "c.json", 0o644)
    r = run(["--text", "--config", config, "--url", m.url()], input="hi\n")
    assert one_line(r.stderr) == ("voxterm: warning: %s can run commands (tools, mcp_servers, api_key_command) and others "
                                  "can change it: chmod go-w %s" % (config, shared))
    # Private, or running nothing: no warning.
    shared.chmod(0o755)
    assert run(["--text", "--config", config, "--url", m.url()], input="hi\n").stderr == ""
    plain = tmp_path / "plain.json"
    plain.write_text('{"model": "gpt-realtime"}')
    plain.chmod(0o666)
    assert run(["--text", "--config", str(plain), "--url", m.url()], input="hi\n").stderr == ""


def test_an_empty_config_and_flags_that_repeat_or_undo(mock, run, tmp_path):
    """--config /dev/null and a file of comments only mean no settings; a flag given twice takes
    its last value; --no-speak and --mode voice undo what a config file set."""
    m = mock()
    r = run(["--text", "--config", "/dev/null", "--url", m.url()], input="hi\n")
    assert r.returncode == 0, r.stderr
    commented = tmp_path / "commented.json"
    commented.write_text('// all of it commented out\n/* {"voice": "x"} */\n')
    r = run(["--text", "--config", str(commented), "--url", m.url()], input="hi\n")
    assert r.returncode == 0, r.stderr

    r = run(["--text", "--voice", "alloy", "--voice", "marin", "--url", m.url()], input="hi\n")
    assert r.returncode == 0, r.stderr
    assert m.events()[-3]["session"]["audio"]["output"]["voice"] == "marin"

    config = tmp_path / "speak.json"
    config.write_text(json.dumps({"mode": "ptt", "speak": True}))
    # The file asks for push-to-talk and spoken answers; the flags take both back.
    r = run(["--config", str(config), "--mode", "text", "--no-speak", "--url", m.url()], input="hi\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "You said: hi\n"
    assert m.events()[-3]["session"]["output_modalities"] == ["text"]
    r = run(["--text", "--mode", "voice"])
    assert r.returncode == 2
    assert one_line(r.stderr) == "voxterm: error: --text excludes --mode (see voxterm --help)"


def test_voxterm_config_shows_each_setting_and_where_it_came_from(run, tmp_path):
    config = tmp_path / "c.json"
    config.write_text('{\n  // the file\n  "voice": "marin",\n  "speak": true\n}\n')
    r = run(["--config", str(config), "--text", "--frame-ms", "30", "config"], key=None)
    assert r.returncode == 0, r.stderr  # no key needed, and none shown
    rows = {line.split()[0]: line.split() for line in r.stdout.splitlines() if not line.startswith("#")}
    assert r.stdout.splitlines()[0] == "# config file: %s" % config
    assert rows["voice"][1:] == ["marin", "%s:3" % config]
    assert rows["speak"][1:] == ["true", "%s:4" % config]
    assert rows["frame_ms"][1:] == ["30", "--frame-ms"]
    assert rows["mode"][1:] == ["text", "--text"]
    assert rows["model"][1:] == ["gpt-realtime-2.1", "default"]
    assert rows["transcribe_language"][1:] == ["(not", "set)", "default"]
    assert "OPENAI_API_KEY" not in r.stdout
    r = run(["--config", "/dev/null", "--no-speak", "config"], key=None)
    assert r.returncode == 0, r.stderr
    assert "(no settings)" in r.stdout.splitlines()[0]
    assert [l for l in r.stdout.splitlines() if l.startswith("speak ")][0].split()[1:] == ["false", "--no-speak"]


@pytest.mark.parametrize("flags, url, source", [
    (["--model", "gpt-live-1.1"], "wss://api.openai.com/v1/live/sessions",
     ["default", "(GPT-Live's", "endpoint)"]),
    (["--api", "live"], "wss://api.openai.com/v1/live/sessions",
     ["default", "(GPT-Live's", "endpoint)"]),
    (["--model", "gpt-live-1", "--url", "ws://127.0.0.1:9/v1/realtime"],
     "ws://127.0.0.1:9/v1/live/sessions", ["--url", "(GPT-Live's", "endpoint)"]),
    ([], "wss://api.openai.com/v1/realtime", ["default"]),
])
def test_voxterm_config_shows_the_endpoint_that_will_be_used(run, flags, url, source):
    r = run(["--config", "/dev/null"] + flags + ["config"], key=None)
    assert r.returncode == 0, r.stderr
    row = [l for l in r.stdout.splitlines() if l.startswith("url ")][0].split()
    assert row[1:] == [url] + source


def test_mcp_servers_are_checked_and_one_that_does_not_start_is_one_line(mock, run, tmp_path):
    m = mock()
    config = tmp_path / "c.json"
    config.write_text('{"mcp_servers": {"notes": {"command": ["notes-server"]}}}')
    config.chmod(0o600)
    r = run(["--text", "--config", str(config), "--url", m.url()], input="hi\n")
    assert r.returncode == 0, r.stderr
    assert one_line(r.stderr) == ('voxterm: warning: mcp server "notes" does not start: notes-server: '
                                  'command not found; the conversation goes on without its tools')
    config.write_text('{\n"mcp_servers": {"notes": {"command": ["notes-server"],\n"timeout_ms": "5"}}}')
    r = run(["--text", "--config", str(config), "--url", m.url()], input="hi\n")
    assert r.returncode == 2
    assert one_line(r.stderr) == ('voxterm: error: %s:3: MCP server "notes": "timeout_ms" must be a whole '
                                  'number from 1 to 86400000' % config)
