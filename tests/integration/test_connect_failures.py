"""Every failure says why in one line and exits with its documented code."""

import socket

from conftest import one_line


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_refused_exits_3(run):
    r = run(["--text", "--url", "ws://127.0.0.1:%d/v1/realtime" % free_port()], input="hi\n")
    assert r.returncode == 3
    assert "connection refused" in one_line(r.stderr)


def test_unknown_host_exits_3(run):
    r = run(["--text", "--url", "wss://no-such-host.invalid/v1/realtime"], input="hi\n")
    assert r.returncode == 3
    assert 'could not resolve host "no-such-host.invalid"' in one_line(r.stderr)


def test_wrong_key_exits_3_with_the_servers_message(mock, run):
    m = mock("--key", "sk-right")
    r = run(["--text", "--url", m.url()], input="hi\n", key="sk-wrong")
    assert r.returncode == 3
    line = one_line(r.stderr)
    assert "HTTP 401 Unauthorized" in line
    assert "Incorrect API key provided" in line
    assert "sk-wrong" not in r.stderr


def test_right_key_is_accepted(mock, run):
    m = mock("--key", "sk-right")
    r = run(["--text", "--url", m.url()], input="hi\n", key="sk-right")
    assert r.returncode == 0, r.stderr


def test_http_status_refusal_exits_3(mock, run):
    m = mock("--http-status", "403")
    r = run(["--text", "--url", m.url()], input="hi\n")
    assert r.returncode == 3
    assert "HTTP 403 Forbidden: The mock refuses every connection." in one_line(r.stderr)


def test_azure_sends_api_key_header(mock, run):
    m = mock("--key", "az-key")
    r = run(["--text", "--azure", "--url", m.url()], input="hi\n", key=None,
            env={"AZURE_OPENAI_API_KEY": "az-key"})
    assert r.returncode == 0, r.stderr
    headers = m.connects()[0]["headers"]
    assert headers["api-key"] == "<redacted>"
    assert "authorization" not in headers


def test_missing_key_exits_2_naming_the_variable(run):
    r = run(["--text"], input="hi\n", key=None)
    assert r.returncode == 2
    assert "OPENAI_API_KEY" in one_line(r.stderr)
    r = run(["--text", "--azure"], input="hi\n", key=None)
    assert r.returncode == 2
    assert "AZURE_OPENAI_API_KEY" in one_line(r.stderr)


def test_api_key_command_supplies_the_key(mock, run, tmp_path):
    m = mock("--key", "sk-from-manager")
    config = tmp_path / "c.json"
    config.write_text('{"api_key_command": "echo sk-from-manager", "url": "%s"}' % m.url())
    r = run(["--text", "--config", str(config)], input="hi\n", key=None)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "You said: hi\n"


def test_failing_api_key_command_exits_2(run, tmp_path):
    config = tmp_path / "c.json"
    config.write_text('{"api_key_command": "exit 7"}')
    r = run(["--text", "--config", str(config)], input="hi\n", key=None)
    assert r.returncode == 2
    assert "api_key_command exited with status 7" in one_line(r.stderr)


def test_usage_errors_exit_2_in_one_line(run):
    for args in (["--bogus"], ["--dialect", "gamma"], ["--text", "--url"], ["--text", "--url", "http://x/"],
                 ["--text", "--ca-file", "/nonexistent/ca.pem", "--url", "wss://localhost:1/"],
                 ["--config", "/nonexistent/voxterm.json"], ["extra-argument"], ["--text", "--ptt"],
                 ["--ptt-key", "q", "--ptt"], ["--text", "--record", "x.wav"]):
        r = run(args, input="")
        assert r.returncode == 2, (args, r.stderr)
        assert one_line(r.stderr).startswith("voxterm: error: "), args


def test_config_errors_name_file_line_and_key(run, tmp_path):
    config = tmp_path / "c.json"
    config.write_text('{\n  "model": "x",\n  "voise": "marin"\n}\n')
    r = run(["--text", "--config", str(config)], input="")
    assert r.returncode == 2
    assert one_line(r.stderr) == ('voxterm: error: %s:3: "voise" is not a known key '
                                  '(see docs/config.md)' % config)
    config.write_text('{"azure": 1}')
    r = run(["--text", "--config", str(config)], input="")
    assert r.returncode == 2
    assert '"azure" must be true or false' in one_line(r.stderr)


def test_help_and_version_exit_0(run):
    r = run(["--help"])
    assert r.returncode == 0
    assert "--text" in r.stdout and "OPENAI_API_KEY" in r.stdout
    r = run(["--version"])
    assert r.returncode == 0
    assert r.stdout.startswith("voxterm ")
