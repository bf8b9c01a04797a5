"""Account and model errors end the run at once: one line, exit 3, no retry and no waiting for
an answer's timeout, whether they come as an HTTP refusal or as an `error` event, at the start,
in the middle of a session or during a reconnect, in every mode."""

import time

import pytest

from conftest import one_line

ACCOUNT = ["invalid_api_key", "insufficient_quota", "account_deactivated", "billing_hard_limit_reached",
           "credit_balance_exhausted"]
MODEL = ["model_not_found", "invalid_model"]
# What the mock says for each (FATAL_ERRORS in tests/mock/realtime_mock.py).
WORDS = {
    "invalid_api_key": "Incorrect API key provided",
    "insufficient_quota": "You exceeded your current quota",
    "account_deactivated": "deactivated account",
    "billing_hard_limit_reached": "Billing hard limit has been reached",
    "credit_balance_exhausted": "Your credit balance is too low",
    "model_not_found": "does not exist or you do not have access to it",
    "invalid_model": "is not a realtime model",
}
# Far below the answer timeout (30 s) and the backoff of a few tries, yet generous on a busy machine.
QUICK_S = 12


def attempts(m):
    """Connections tried: those the mock accepted and those it refused."""
    return sum(1 for r in m.records() if "connect" in r or ("refused" in r and r["refused"]["upgrade"]))


def check_line(line, code, model="gpt-realtime-x"):
    assert line.startswith("voxterm: error: "), line
    assert WORDS[code] in line, line
    if code in MODEL:
        assert 'the server does not offer model "%s"' % model in line, line
        assert "--model" in line and '"model" in the config' in line, line


@pytest.mark.parametrize("code", ACCOUNT + MODEL)
def test_an_http_refusal_is_fatal_at_once(mock, run, code):
    m = mock("--http-error", code)
    began = time.monotonic()
    r = run(["--text", "--url", m.url(), "--model", "gpt-realtime-x"], input="hi\n")
    assert time.monotonic() - began < QUICK_S
    assert r.returncode == 3, r.stderr
    check_line(one_line(r.stderr), code)
    assert attempts(m) == 1  # not tried again


def test_a_429_without_a_fatal_code_is_still_tried_again(mock, run):
    m = mock("--http-error", "rate_limit_exceeded:429")
    r = run(["--text", "--url", m.url(), "--reconnect-tries", "1"], input="hi\n", timeout=60)
    assert r.returncode == 3
    assert attempts(m) == 2


def test_a_404_naming_the_model_is_a_model_refusal(mock, run):
    m = mock("--http-error", "not_found_error:404")  # no fatal code, but the message names the model
    r = run(["--text", "--url", m.url(), "--model", "gpt-realtime-x"], input="hi\n")
    assert r.returncode == 3
    line = one_line(r.stderr)
    assert 'the server does not offer model "gpt-realtime-x"' in line and "--model" in line


@pytest.mark.parametrize("code", ACCOUNT + MODEL)
def test_an_error_event_at_the_start_is_fatal_at_once(mock, run, code):
    m = mock("--error-at-start", code, "--model", "gpt-realtime-x")
    began = time.monotonic()
    r = run(["--text", "--url", m.url(), "--model", "gpt-realtime-x"], input="hi\n")
    assert time.monotonic() - began < QUICK_S
    assert r.returncode == 3, r.stderr
    check_line(one_line(r.stderr), code)
    assert attempts(m) == 1


def wait_exit(p, timeout):
    try:
        out, err = p.communicate(timeout=timeout)
    except Exception:
        p.kill()
        out, err = p.communicate()
        pytest.fail("still running after %d s: %r" % (timeout, err))
    return p.returncode, out, err


@pytest.mark.parametrize("code", ["account_deactivated", "insufficient_quota", "model_not_found"])
def test_an_error_event_mid_session_in_text_mode_is_fatal_at_once(mock, start, code):
    m = mock()
    p = start(["--text", "--url", m.url()])
    # stdin stays open: only the error can end the run.
    p.stdin.write("hello\nmock:error %s\n" % code)
    p.stdin.flush()
    rc, out, err = wait_exit(p, QUICK_S)
    assert rc == 3, err
    assert "You said: hello" in out
    check_line(one_line(err), code, model="gpt-realtime-2.1")


def test_a_fatal_refusal_during_a_reconnect_is_not_tried_again(mock, run):
    m = mock("--refuse-after", "1", "--http-error", "insufficient_quota")
    began = time.monotonic()
    r = run(["--text", "--url", m.url()], input="hello\nmock:drop\n", timeout=60)
    assert time.monotonic() - began < QUICK_S
    assert r.returncode == 3, r.stderr
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert "reconnecting" in lines[0]
    assert len(lines) == 2, r.stderr
    check_line(lines[1], "insufficient_quota")
    assert attempts(m) == 2  # the first session, then one refused try


@pytest.mark.parametrize("how", ["http", "event"])
def test_voice_mode_ends_at_once_too(mock, run, tmp_path, how):
    from test_voice import silence, tone, write_wav
    mic = tmp_path / "mic.wav"
    write_wav(mic, silence(300) + tone(800) + silence(3000))
    m = mock("--http-error" if how == "http" else "--error-at-start", "account_deactivated")
    began = time.monotonic()
    r = run(["--url", m.url(), "--input-file", str(mic), "--output-file", str(tmp_path / "out.wav")], timeout=30)
    assert time.monotonic() - began < QUICK_S
    assert r.returncode == 3, r.stderr
    check_line(one_line(r.stderr), "account_deactivated")


@pytest.mark.parametrize("how", ["http", "event"])
def test_a_type_only_quota_error_is_fatal_too(mock, run, how):
    # OpenAI's body may leave the code null and say it in the type.
    m = mock("--http-error" if how == "http" else "--error-at-start", "insufficient_quota",
             "--error-shape", "type-only")
    began = time.monotonic()
    r = run(["--text", "--url", m.url(), "--reconnect-tries", "2"], input="hi\n", timeout=60)
    assert time.monotonic() - began < QUICK_S
    assert r.returncode == 3, r.stderr
    check_line(one_line(r.stderr), "insufficient_quota")
    assert attempts(m) == 1


def test_a_long_refusal_body_is_still_read(mock, run):
    # The message first, then 20 KB more: the body is kept up to 64 KiB.
    m = mock("--http-error", "insufficient_quota", "--error-shape", "padded")
    r = run(["--text", "--url", m.url(), "--reconnect-tries", "2"], input="hi\n", timeout=60)
    assert r.returncode == 3, r.stderr
    check_line(one_line(r.stderr), "insufficient_quota")
    assert attempts(m) == 1


def test_the_refused_model_is_the_one_the_url_asked_for(mock, run):
    m = mock("--http-error", "model_not_found")
    r = run(["--text", "--url", m.url() + "/v1/realtime?model=gpt-from-url"],
            input="hi\n")
    assert r.returncode == 3, r.stderr
    line = one_line(r.stderr)
    assert 'the server does not offer model "gpt-from-url"' in line, line
    assert "--url's model=" in line, line


def test_a_400_naming_the_model_about_something_else_is_not_a_model_refusal(mock, run):
    m = mock("--http-error", "unsupported_content_type:400")  # "The mock refuses: <model>."
    r = run(["--text", "--url", m.url(), "--model", "gpt-realtime-x"], input="hi\n")
    assert r.returncode == 3, r.stderr
    line = one_line(r.stderr)
    assert "does not offer model" not in line, line
    assert "server answered HTTP 400" in line, line


def test_a_refused_transcription_model_points_to_transcribe(mock, run, tmp_path):
    from test_voice import silence, tone, write_wav
    mic = tmp_path / "mic.wav"
    write_wav(mic, silence(300) + tone(800) + silence(3000))
    m = mock("--reject-transcription-model")
    r = run(["--url", m.url(), "--input-file", str(mic), "--output-file", str(tmp_path / "out.wav")], timeout=30)
    assert r.returncode == 3, r.stderr
    line = one_line(r.stderr)
    assert 'the server does not offer transcription model "gpt-live-transcribe"' in line, line
    assert "--transcribe" in line, line


def test_a_fatal_error_on_a_terminal_clears_the_status_line_first(mock, tmp_path):
    """The error line used to be written onto "● listening ▁▂" without clearing it."""
    import os
    import pty
    from conftest import BIN, Pty, clean_env
    from test_voice import silence, write_wav
    mic = tmp_path / "mic.wav"
    write_wav(mic, silence(20000))
    m = mock()
    p = Pty()
    p.pid, p.fd = pty.fork()
    if p.pid == 0:
        os.execve(BIN, [BIN, "--url", m.url(), "--input-file", str(mic), "--output-file",
                        str(tmp_path / "o.wav")], clean_env(tmp_path, extra={"NO_COLOR": "1"}))
    assert p.wait_for(b"listening"), p.out
    p.key(b"mock:error account_deactivated\r")
    assert p.finish(QUICK_S) == 3, p.out
    shown = p.screen().splitlines()
    # The error is a line of its own, with nothing of the status line left on it or under it.
    errors = [l for l in shown if "voxterm: error: " in l]
    assert len(errors) == 1 and errors[0].startswith("voxterm: error: "), p.screen()
    assert not any("\u25cf" in l for l in shown), p.screen()


def test_a_fatal_loss_mid_answer_still_ends_the_answer_line(mock, run):
    m = mock()
    r = run(["--text", "--url", m.url(), "--reconnect-tries", "0"], input="mock:drop\n", timeout=30)
    assert r.returncode == 1, r.stderr
    assert r.stdout and r.stdout.endswith("\n"), repr(r.stdout)
