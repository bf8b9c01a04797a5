"""--text: stdin lines in, answers out, against the mock over a real socket."""

import json
import os
import pty
import select
import signal
import time

import pytest

from conftest import TEST_KEY, one_line


def test_each_line_is_a_turn_answered_in_order(mock, run):
    m = mock()
    r = run(["--text", "--url", m.url()], input="hello\nName a prime number.\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "You said: hello\nYou said: Name a prime number.\n"
    assert r.stderr == ""
    events = m.events()
    assert [e["type"] for e in events] == [
        "session.update",
        "conversation.item.create", "response.create",
        "conversation.item.create", "response.create",
    ]
    session = events[0]["session"]
    assert session["type"] == "realtime"
    assert session["output_modalities"] == ["text"]
    assert events[1]["item"]["content"] == [{"type": "input_text", "text": "hello"}]
    assert m.violations() == []
    (connect,) = m.connects()
    assert connect["dialect"] == "ga"
    assert connect["path"] == "/v1/realtime?model=gpt-realtime-2.1"  # the default model
    assert "openai-beta" not in connect["headers"]
    assert connect["headers"]["authorization"] == "<redacted>"
    assert m.disconnects() == [{"code": 1000, "reason": ""}]  # a clean close, not a dropped socket


def test_beta_dialect(mock, run):
    m = mock()
    r = run(["--text", "--dialect", "beta", "--url", m.url()], input="hi there\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "You said: hi there\n"
    (connect,) = m.connects()
    assert connect["headers"]["openai-beta"] == "realtime=v1"
    assert connect["dialect"] == "beta"
    events = m.events()
    assert events[0]["session"]["modalities"] == ["text"]
    assert "type" not in events[0]["session"]
    assert m.violations() == []


def test_a_server_that_speaks_beta_to_a_ga_client_is_understood(mock, run):
    # Whatever the dialect configured, both families of server event names are understood.
    m = mock("--dialect", "beta")
    r = run(["--text", "--url", m.url()], input="hello\n")
    assert r.stdout == "You said: hello\n"


def test_last_line_without_newline_and_blank_lines(mock, run):
    m = mock()
    r = run(["--text", "--url", m.url()], input="\n\n  \nfirst\n\nlast")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "You said: first\nYou said: last\n"


def test_empty_input_still_sets_up_the_session(mock, run):
    m = mock()
    r = run(["--text", "--url", m.url()], input="")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert [e["type"] for e in m.events()] == ["session.update"]


def test_flags_reach_the_session_and_the_url(mock, run):
    m = mock()
    r = run(["--text", "--url", m.url(), "--model", "gpt-realtime-mini", "--instructions",
             "Answer in French.", "--voice", "cedar"], input="x\n")
    assert r.returncode == 0, r.stderr
    session = m.events()[0]["session"]
    assert session["instructions"] == "Answer in French."
    assert session["audio"]["output"]["voice"] == "cedar"
    assert m.connects()[0]["path"] == "/v1/realtime?model=gpt-realtime-mini"
    assert m.violations() == []


def test_config_file_sets_what_flags_do_not(mock, run, tmp_path):
    m = mock()
    config = tmp_path / "voxterm.json"
    config.write_text('{\n  // comments are fine\n  "instructions": "From the file.",\n'
                      '  "url": "%s",\n  "dialect": "beta",\n}\n' % m.url())
    r = run(["--text", "--config", str(config), "--dialect", "ga"], input="x\n")
    assert r.returncode == 0, r.stderr
    assert m.events()[0]["session"]["instructions"] == "From the file."
    assert m.connects()[0]["dialect"] == "ga"  # the flag wins over the file


def test_default_config_path_is_read(mock, run, tmp_path):
    m = mock()
    (tmp_path / ".config" / "voxterm").mkdir(parents=True)
    (tmp_path / ".config" / "voxterm" / "config.json").write_text('{"url": "%s"}' % m.url())
    r = run(["--text"], input="from default config\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "You said: from default config\n"


def test_long_answer_streams_whole(mock, run):
    m = mock()
    r = run(["--text", "--url", m.url()], input="mock:long 20000\n")
    assert r.returncode == 0, r.stderr
    words = r.stdout.split()
    assert len(words) == 20000
    assert words[0] == "word0" and words[-1] == "word19999"


def test_hostile_text_survives_the_round_trip(mock, run):
    m = mock()
    line = 'quote" back\\slash {"type":"x"} $(rm -rf /) \u00e9\u4e2d\U0001F600 \t tab'
    r = run(["--text", "--url", m.url()], input=line + "\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "You said: " + line + "\n"
    assert m.violations() == []


def test_verbose_goes_to_stderr_only(mock, run):
    m = mock()
    r = run(["--text", "-v", "--url", m.url()], input="hello\n")
    assert r.stdout == "You said: hello\n"
    assert "connected" in r.stderr


def test_failed_answer_exits_1(mock, run):
    m = mock()
    r = run(["--text", "--url", m.url()], input="mock:fail\nafter\n")
    assert r.returncode == 1
    assert "mock_failure" in r.stderr
    assert r.stdout == "You said: after\n"  # the next turn still ran


def test_error_for_a_turn_ends_it(mock, run):
    m = mock()
    r = run(["--text", "--url", m.url()], input="mock:error server_error\nafter\n")
    assert r.returncode == 1
    assert "server_error" in r.stderr
    assert r.stdout == "You said: after\n"


@pytest.mark.parametrize("code", ["invalid_api_key", "insufficient_quota", "model_not_found"])
def test_a_fatal_error_ends_the_session_with_exit_3(mock, run, code):
    m = mock()
    r = run(["--text", "--url", m.url()], input="mock:error %s\nnever sent\n" % code)
    assert r.returncode == 3
    line = one_line(r.stderr)
    if code == "model_not_found":  # a refused model is named, with how to choose another
        assert line.startswith('voxterm: error: the server does not offer model "gpt-realtime-2.1": %s: ' % code)
    else:
        assert line.startswith("voxterm: error: the server refused the session: %s: " % code)
    assert r.stdout == ""
    assert "never sent" not in json.dumps(m.events())
    assert m.disconnects()[0]["code"] == 1000  # a clean close, no retry


def test_ctrl_c_exits_130_and_closes_cleanly(mock, start):
    m = mock()
    p = start(["--text", "--url", m.url()])
    p.stdin.write("mock:stall\n")
    p.stdin.flush()
    deadline = time.time() + 10
    while time.time() < deadline and "response.create" not in [e["type"] for e in m.events(settle=False)]:
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    assert p.wait(10) == 130
    assert p.stdout.read() == ""
    assert m.disconnects()[0]["code"] == 1000


def test_a_reader_that_closes_the_pipe_ends_it_quietly(mock, start):
    """voxterm --text < questions | head -1: once the reader is gone, voxterm closes the session
    politely and leaves with no error and exit 0 (other write failures still exit 1)."""
    m = mock()
    p = start(["--text", "--url", m.url()])
    p.stdin.write("one\n")
    p.stdin.flush()
    assert p.stdout.readline() == "You said: one\n"
    p.stdout.close()  # head -1 has its line
    p.stdin.write("two\nthree\n")
    p.stdin.flush()
    assert p.wait(15) == 0
    assert p.stderr.read() == ""


def test_a_silent_server_fails_the_run_instead_of_hanging(mock, run, tmp_path):
    m = mock()
    started = time.time()
    r = run(["--text", "--url", m.url(), "--answer-timeout-ms", "1500"], input="mock:stall\nnext\n", timeout=30)
    assert r.returncode == 1
    assert one_line(r.stderr) == \
        "voxterm: error: the server sent nothing for 1 s while an answer was due: giving up"
    assert 1.4 < time.time() - started < 20
    assert m.disconnects()[0]["code"] == 1000
    # The default is 30 s, and the config file sets it too.
    config = tmp_path / "c.json"
    config.write_text('{"answer_timeout_ms": 1000}')
    r = run(["--text", "--url", m.url(), "--config", str(config)], input="mock:stall\n", timeout=30)
    assert r.returncode == 1 and "nothing for 1 s" in r.stderr


def test_a_slow_but_steady_answer_is_not_silence(mock, run):
    # 40 deltas 100 ms apart take 4 s, far past the 1 s limit, but the server is never silent.
    m = mock()
    r = run(["--text", "--url", m.url(), "--answer-timeout-ms", "1000"], input="mock:slow 40 100\n", timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("word") == 40


def test_sigterm_exits_cleanly_too(mock, start):
    m = mock()
    p = start(["--text", "--url", m.url()])
    time.sleep(0.5)
    p.send_signal(signal.SIGTERM)
    assert p.wait(10) == 130


def test_no_session_created_is_reported(mock, run):
    m = mock("--no-session-created")
    r = run(["--text", "--url", m.url()], input="hello\n", timeout=40)
    assert r.returncode == 1
    assert "no session.created" in one_line(r.stderr)


def test_interactive_chat_has_a_prompt(mock, tmp_path):
    from conftest import BIN, clean_env
    m = mock()
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(BIN, [BIN, "--text", "--url", m.url()], clean_env(tmp_path))
    out = b""

    def read_until(needle, timeout=10):
        nonlocal out
        deadline = time.time() + timeout
        while needle not in out and time.time() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    out += os.read(fd, 4096)
                except OSError:
                    break
        return needle in out

    assert read_until(b"> "), out
    os.write(fd, b"hello\n")
    assert read_until(b"You said: hello"), out
    os.write(fd, b"\x04")  # Ctrl-D: end of input
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0, out


def test_an_answer_with_no_deltas_is_printed_from_its_done(mock, run):
    m = mock()
    r = run(["--text", "--url", m.url()], input="mock:nodeltas Only whole.\nhello\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Only whole.\nYou said: hello\n"


def test_on_a_terminal_ctrl_c_stops_the_answer_and_gives_the_prompt_back(mock, tmp_path):
    from test_tools import TextPty
    m = mock()
    t = TextPty(tmp_path, ["--url", m.url()])
    t.wait_for("> ")
    t.type("mock:slow 100 100\r")
    t.wait_for("word2 ")
    t.type("\x03")  # Ctrl-C, a key on the raw terminal
    t.until(lambda: t.screen().endswith("\n>"))  # the answer's line ends, and the prompt is back
    t.type("hello\r")
    t.wait_for("You said: hello")
    t.type("\x04")  # Ctrl-D
    assert t.finish() == 0
    assert "word99" not in t.screen()
    types = [e["type"] for e in m.events()]
    assert types.count("response.cancel") == 1
    assert m.violations() == []


def test_on_a_terminal_a_partial_line_at_ctrl_d_is_sent_and_ends_the_input(mock, tmp_path):
    from test_tools import TextPty
    m = mock()
    t = TextPty(tmp_path, ["--url", m.url()])
    t.wait_for("> ")
    t.type("partial\x04")  # Ctrl-D at the end of a typed line: sent, then the end of input
    t.wait_for("You said: partial")
    assert t.finish() == 0
    assert t.screen().splitlines()[-2:] == ["> partial", "You said: partial"], t.screen()


def test_turn_per_input_sends_the_whole_input_as_one_turn(mock, run):
    m = mock()
    notes = "First line of the notes.\n\nSecond, after a blank line.\n\n"
    r = run(["--text", "--turn-per-input", "--url", m.url()], input=notes)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    items = [e["item"] for e in m.events() if e["type"] == "conversation.item.create"]
    # One turn, its newlines kept, the trailing ones dropped.
    assert [i["content"] for i in items] == [
        [{"type": "input_text", "text": "First line of the notes.\n\nSecond, after a blank line."}]]
    assert r.stdout.startswith("You said: First line of the notes.")
    assert m.violations() == []


def test_input_over_the_limit_is_an_error_and_nothing_of_it_is_sent(mock, run):
    m = mock()
    huge = "x" * (1 << 20) + "y\n"
    r = run(["--text", "--turn-per-input", "--url", m.url()], input=huge)
    assert r.returncode == 1
    assert r.stdout == ""
    assert one_line(r.stderr) == (
        "voxterm: error: skipped the input (--turn-per-input), longer than 1048576 bytes: "
        "nothing of it is sent")
    assert "conversation.item.create" not in [e["type"] for e in m.events()]
    # Line by line, the lines around an overlong one are answered, and the run fails.
    r = run(["--text", "--url", m.url()], input="before\n" + huge + "after\n")
    assert r.returncode == 1
    assert r.stdout == "You said: before\nYou said: after\n"
    assert "skipped an input line longer than 1048576 bytes" in r.stderr


def test_turn_per_input_needs_the_text_mode(run):
    r = run(["--turn-per-input", "--url", "ws://127.0.0.1:1/"])
    assert r.returncode == 2
    assert one_line(r.stderr) == "voxterm: error: --turn-per-input needs --text (spoken turns are yours)"
