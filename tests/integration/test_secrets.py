"""The API key never reaches output, logs, the event log or the process arguments."""

import os
import time

from conftest import TEST_KEY


def test_key_is_nowhere_even_in_debug_output(mock, run, tmp_path):
    m = mock("--key", TEST_KEY)
    log = tmp_path / "events.jsonl"
    r = run(["--text", "-vv", "--log-events", str(log), "--url", m.url()], input="hello\n")
    assert r.returncode == 0, r.stderr
    assert TEST_KEY not in r.stdout
    assert TEST_KEY not in r.stderr
    assert TEST_KEY not in log.read_text()


def test_key_is_not_in_argv(mock, start):
    m = mock()
    p = start(["--text", "--url", m.url()])
    time.sleep(0.5)
    with open("/proc/%d/cmdline" % p.pid, "rb") as f:
        assert TEST_KEY.encode() not in f.read()
    p.stdin.close()
    assert p.wait(10) == 0


def test_wrong_key_message_does_not_echo_it(mock, run):
    m = mock("--key", "sk-other")
    r = run(["--text", "--url", m.url()], input="x\n")
    assert r.returncode == 3
    assert TEST_KEY not in r.stderr


def test_a_config_file_with_a_key_that_others_can_read_draws_a_warning(mock, run, tmp_path):
    m = mock()
    config = tmp_path / "config.json"
    config.write_text('{"api_key_command": "echo %s"}' % TEST_KEY)
    config.chmod(0o644)
    r = run(["--text", "--url", m.url(), "--config", str(config)], input="hi\n", key=None)
    assert r.returncode == 0, r.stderr
    assert r.stderr == "voxterm: warning: %s holds what looks like an API key and others can read it: " \
                       "chmod 600 %s\n" % (config, config)
    assert TEST_KEY not in r.stderr + r.stdout
    config.chmod(0o600)
    r = run(["--text", "--url", m.url(), "--config", str(config)], input="hi\n", key=None)
    assert r.returncode == 0 and r.stderr == ""
