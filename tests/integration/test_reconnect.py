"""A conversation across lost connections and ended sessions: the real binary against a mock
that cuts the connection midway through an answer, closes it with 1001, expires the session,
refuses the key on the way back, or goes away for good."""

import json
import time

import pytest

from conftest import one_line
from test_voice import read_wav, silence, write_wav

CUT = "This answer will be cut off halfway through."


def sessions(m):
    """The client events of each session the mock accepted, in order."""
    found = []
    for record in m.records():
        if "connect" in record:
            found.append([])
        elif record.get("dir") == "in":
            found[-1].append(record["event"])
    return found


def items(events):
    return [e["item"] for e in events if e["type"] == "conversation.item.create"]


def test_a_connection_dropped_mid_answer_goes_on_where_it_stopped(mock, run):
    m = mock()
    r = run(["--text", "--url", m.url()], input="mock:drop\nand then?\n")
    assert r.returncode == 0, r.stderr
    # Nothing is written twice: the rest of the answer follows what was written before the drop.
    assert r.stdout == CUT + "\nYou said: and then?\n"
    lines = r.stderr.splitlines()
    assert len(lines) == 2, r.stderr
    assert lines[0].startswith("voxterm: the connection was lost; reconnecting in ")
    assert lines[0].endswith("(try 1 of 5)\u2026")
    assert lines[1] == "voxterm: reconnected"
    first, second = sessions(m)
    # The new session is set up again, given the conversation so far, and asked to go on.
    assert second[0]["type"] == "session.update"
    replayed = items(second)[:2]
    assert replayed[0] == {"id": "voxterm_user_1", "type": "message", "role": "user",
                           "content": [{"type": "input_text", "text": "mock:drop"}]}
    assert replayed[1]["role"] == "assistant" and replayed[1]["status"] == "incomplete"
    assert CUT.startswith(replayed[1]["content"][0]["text"])
    creates = [e for e in second if e["type"] == "response.create"]
    assert "cut off by a lost connection" in creates[0]["response"]["instructions"]
    # The line was not sent again: the server had it.
    assert [i.get("content", [{}])[0].get("text") for i in items(second)].count("mock:drop") == 1
    assert m.violations() == [] and m.errors_sent() == []


def test_a_turn_whose_line_never_arrived_is_sent_again(mock, run):
    """The mock drops before it announces anything of an answer, but after the line: then
    closes 1001 (going away) on the next one."""
    m = mock()
    r = run(["--text", "--url", m.url()], input="hello\nmock:close 1001\nagain\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "You said: hello\n" + CUT + "\nYou said: again\n"
    assert "the server closed the connection (code 1001: mock close 1001); reconnecting" in r.stderr
    first, second = sessions(m)
    texts = [i["content"][0]["text"] for i in items(second) if i["type"] == "message"]
    # The whole conversation so far, in order, then the next turn.
    assert texts[:3] == ["hello", "You said: hello", "mock:close 1001"]
    assert texts[-1] == "again"
    assert m.violations() == [] and m.errors_sent() == []


@pytest.mark.parametrize("code", [1012, 1013])
def test_a_service_restart_or_try_again_later_is_retried(mock, run, code):
    """1012 (service restart) and 1013 (try again later) are transient, as 1011 is, although
    libwebsockets 4.1 hands them to voxterm as 1002 (see docs/protocol.md)."""
    m = mock()
    r = run(["--text", "--url", m.url()], input="mock:close %d restart\nand then?\n" % code)
    assert r.returncode == 0, r.stderr
    assert r.stdout == CUT + "\nYou said: and then?\n"
    lines = r.stderr.splitlines()
    assert len(lines) == 2, r.stderr
    assert lines[0].startswith("voxterm: the server closed the connection (code 1002, which "
                               "libwebsockets also reports for 1012 to 1015: restart); "
                               "reconnecting in "), r.stderr
    assert lines[1] == "voxterm: reconnected"
    assert len(m.connects()) == 2
    assert m.violations() == [] and m.errors_sent() == []


def test_no_reconnect_when_told_not_to(mock, run):
    m = mock()
    r = run(["--text", "--url", m.url(), "--reconnect-tries", "0"], input="mock:close 1011\n")
    assert r.returncode == 1
    assert "closed the connection (code 1011: mock close 1011)" in one_line(r.stderr)
    assert len(m.connects()) == 1


def test_a_close_that_is_not_transient_is_not_retried(mock, run):
    m = mock()
    r = run(["--text", "--url", m.url()], input="mock:close 1008\n")
    assert r.returncode == 1
    assert "closed the connection (code 1008: mock close 1008)" in one_line(r.stderr)
    assert len(m.connects()) == 1


def test_a_key_refused_on_the_way_back_stops_at_once(mock, run):
    m = mock("--refuse-after", "1")
    r = run(["--text", "--url", m.url()], input="mock:drop\n")
    assert r.returncode == 3
    assert "reconnecting" in r.stderr
    assert "401" in r.stderr and "Incorrect API key" in r.stderr
    assert "reconnected" not in r.stderr


def test_giving_up_after_the_tries(mock, start):
    m = mock()
    p = start(["--text", "--url", m.url(), "--reconnect-tries", "2"])
    p.stdin.write("hello\n")
    p.stdin.flush()
    assert p.stdout.readline() == "You said: hello\n"
    m.stop()  # gone for good: every try is refused
    assert p.wait(20) == 3
    err = p.stderr.read()
    assert "try 1 of 2" in err and "try 2 of 2" in err
    assert "gave up after 2 tries to reconnect" in one_line(err.splitlines()[-1])


@pytest.mark.parametrize("dialect", ["ga", "beta"])
def test_the_session_limit(mock, start, dialect):
    """GA ends a session with a 1001 close, older servers with session_expired: either way the
    conversation goes on in a new session that has it all."""
    m = mock("--session-limit-ms", "1500")
    p = start(["--text", "--dialect", dialect, "--url", m.url(), "--renew-session-s", "0"])
    p.stdin.write("one\n")
    p.stdin.flush()
    assert p.stdout.readline() == "You said: one\n"
    time.sleep(2)
    p.stdin.write("two\n")
    p.stdin.close()
    assert p.stdout.read() == "You said: two\n"
    assert p.wait(20) == 0
    second = sessions(m)[1]
    assert [i["content"][0]["text"] for i in items(second)] == ["one", "You said: one", "two"]
    assert "session_expired" not in p.stderr.read()


def test_the_session_is_renewed_before_its_limit_at_a_quiet_moment(mock, start):
    m = mock()
    p = start(["--text", "--url", m.url(), "--renew-session-s", "1"])
    p.stdin.write("mock:slow 20 100\n")  # two seconds of answer: no renewal in the middle
    p.stdin.flush()
    assert p.stdout.readline() == "".join("word%d " % i for i in range(20)) + "\n"
    time.sleep(0.5)
    p.stdin.write("two\n")
    p.stdin.close()
    assert p.stdout.read() == "You said: two\n"
    assert p.wait(20) == 0
    assert p.stderr.read() == ""  # a planned renewal is not news
    found = sessions(m)
    assert len(found) >= 2
    # The slow answer was never cut: the first session asked once, and the renewal came after.
    assert [e["type"] for e in found[0]].count("response.create") == 1
    assert [d["code"] for d in m.disconnects()][0] == 1000


def test_a_tool_output_lost_with_the_connection_is_sent_again(mock, run, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"tools": [{
        "name": "lights", "parameters": {"type": "object", "properties": {}}, "shell": "echo on"}]}))
    m = mock("--drop-on-tool-output")
    r = run(["--text", "--config", str(config), "--url", m.url()], input="mock:call lights {}\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == 'Tool lights returned: {"exit_code":0,"stdout":"on\\n","stderr":""}\n'
    assert "reconnected" in r.stderr
    first, second = sessions(m)
    # The new session has the call from the replay, then the output again, then the follow-up.
    kinds = [(i["type"], i.get("call_id")) for i in items(second)]
    call_id = kinds[1][1]
    assert kinds == [("message", None), ("function_call", call_id), ("function_call_output", call_id)]
    assert [e["type"] for e in second][-1] == "response.create"
    assert m.violations() == [] and m.errors_sent() == []


def test_a_spoken_answer_cut_off_goes_on(mock, run, tmp_path):
    """Voice mode: the answer's audio plays out what arrived, then the rest of it follows."""
    mic = tmp_path / "quiet.wav"
    write_wav(mic, silence(4000))
    m = mock()
    out = tmp_path / "answer.wav"
    r = run(["--url", m.url(), "--input-file", str(mic), "--output-file", str(out)],
            input="mock:drop\n", timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("assistant: ") == 1, r.stdout
    assert ("assistant: " + CUT) in r.stdout
    assert "reconnected" in r.stderr
    first, second = sessions(m)
    # Audio said during the outage reached the new session.
    assert any(e["type"] == "input_audio_buffer.append" for e in second)
    assert len(read_wav(out)) > 0
    assert m.violations() == [] and m.errors_sent() == []


def test_a_connection_that_stalls_is_given_up_by_the_keep_alive(mock, run, tmp_path):
    """The mock stops reading and sending mid-answer: no close, no reset, no pong. The keep-alive
    ping goes unanswered, the connection counts as lost, and the answer goes on elsewhere."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"keepalive_s": 1}))
    m = mock()
    r = run(["--text", "--config", str(config), "--url", m.url()], input="mock:freeze\n", timeout=60)
    # Without the keep-alive the silent-server watchdog would end it with exit 1.
    assert r.returncode == 0, r.stderr
    assert r.stdout == CUT + "\n"
    assert "the connection was lost (no answer to a ping within 6 s); reconnecting" in r.stderr


def test_an_idle_connection_whose_pings_are_answered_stays_up(mock, start, tmp_path):
    """keepalive_s 1: a ping every second of an idle session, each answered by the mock's pong."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"keepalive_s": 1}))
    m = mock()
    p = start(["--text", "--config", str(config), "--url", m.url()])
    time.sleep(4.5)
    out, err = p.communicate("hello\n", timeout=60)
    assert p.returncode == 0, err
    assert out == "You said: hello\n"
    assert err == ""
    assert len(sessions(m)) == 1


def test_on_a_terminal_the_notice_does_not_land_inside_the_answer(mock, tmp_path):
    from test_tools import TextPty
    m = mock()
    t = TextPty(tmp_path, ["--url", m.url()])
    t.wait_for("> ")
    t.type("mock:drop\n")
    t.wait_for("cut off halfway through.\r\n")
    # The answer's line ends before the notice; the rest of the answer has a line of its own.
    assert b"This answer will be \r\nvoxterm: the connection was lost;" in t.out
    assert b"voxterm: reconnected\r\ncut off halfway through.\r\n" in t.out
    t.key(b"\x04")
    assert t.finish() == 0
