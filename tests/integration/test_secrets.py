"""The API key never reaches output, logs, the event log or the process arguments."""

import base64
import hashlib
import json
import os
import pathlib
import pty
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import BIN, TEST_KEY, Pty, clean_env, one_line


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


# --- A tool cannot read the key -------------------------------------------------------------

def pieces(key, size=8):
    """Every run of size characters of key: voxterm masks any of them in what the server sends."""
    return {key[i:i + size] for i in range(len(key) - size + 1)}


def assert_hidden(text, key=TEST_KEY):
    shown = sorted(p for p in pieces(key) if p in text)
    assert not shown, "pieces of the key shown: %r in %r" % (shown, text[-2000:])


def tool_config(path, tool):
    path.write_text(json.dumps({"tools": [dict({"name": "peek", "parameters": {"type": "object"}}, **tool)]}))
    return str(path)


def tool_outputs(m):
    return [json.loads(e["item"]["output"]) for e in m.events()
            if e["type"] == "conversation.item.create" and e["item"]["type"] == "function_call_output"]


def test_a_tool_cannot_read_the_key_from_voxterms_environment(mock, run, tmp_path):
    # Root may read any process's /proc/PID/environ: the key must not be there any more.
    config = tool_config(tmp_path / "c.json", {"shell": "tr '\\0' '\\n' < /proc/$PPID/environ"})
    m = mock()
    # Both variables set (neither may stay), then the Azure one alone.
    for flags, key in (([], TEST_KEY), (["--azure"], None)):
        r = run(["--text", "--config", config, "--url", m.url()] + flags, input="mock:call peek {}\n", key=key,
                env={"AZURE_OPENAI_API_KEY": TEST_KEY})
        assert r.returncode == 0, r.stderr
    outputs = tool_outputs(m)
    assert len(outputs) == 2
    for output in outputs:
        assert output["exit_code"] == 0 and "HOME=" in output["stdout"], output  # it did read it
        assert_hidden(output["stdout"])


# Reads voxterm's environment and memory as a process of the same user would; prints what it got.
PEEK = r"""
import os, sys
ppid, key = os.getppid(), sys.argv[1].encode()
def attempt(what, read):
    try:
        print(what, "key" if key in read() else "no key")
    except OSError as e:
        print(what, "denied", e.errno)
def memory():
    data = b""
    with open("/proc/%d/maps" % ppid) as maps, open("/proc/%d/mem" % ppid, "rb", 0) as mem:
        for line in maps:
            span, perms = line.split()[:2]
            if perms.startswith("rw"):
                start, end = (int(x, 16) for x in span.split("-"))
                try:
                    mem.seek(start)
                    data += mem.read(min(end - start, 64 << 20))
                except OSError:
                    pass
    return data
attempt("environ", lambda: open("/proc/%d/environ" % ppid, "rb").read())
attempt("memory", memory)
"""


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv")
def test_a_tool_of_the_same_user_cannot_read_voxterms_memory(mock, tmp_path):
    # voxterm and its tool run as nobody: same user, no privilege, as a user's tools run.
    home = pathlib.Path(tempfile.mkdtemp(prefix="voxterm-nobody-"))  # tmp_path is root's alone
    home.chmod(0o755)
    try:
        peek_as_nobody(mock, home)
    finally:
        shutil.rmtree(home)


def peek_as_nobody(mock, home):
    script = home / "peek.py"
    script.write_text(PEEK)
    config = tool_config(home / "c.json", {"command": ["/usr/bin/python3", str(script), TEST_KEY]})
    for path in (script, home / "c.json"):
        path.chmod(0o644)
    m = mock()
    env = clean_env(home)
    r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", BIN, "--text",
                        "--config", config, "--url", m.url()], input="mock:call peek {}\n", capture_output=True,
                       text=True, env=env, cwd=str(home), timeout=60)
    assert r.returncode == 0, r.stderr
    (output,) = tool_outputs(m)
    assert output["stdout"].split("\n")[0] == "environ denied 13", output
    assert output["stdout"].split("\n")[1] == "memory denied 13", output


# --- A key the server echoes is masked ------------------------------------------------------

def escaped(text):
    """text as JSON \\u escapes, as a server could send it to get past a plain search."""
    return "".join("\\u%04x" % ord(c) for c in text)


class HostileServer:
    """A WebSocket server on loopback that echoes the key it was sent, every way it can: in the
    body of a 401, in `error` events, in an answer (plain and as JSON escapes) and in its close
    reason. Each connection is served by handler(server, conn, key) in a thread; every socket has
    a timeout, so nothing outlives the test for long."""

    def __init__(self, handler):
        self.handler = handler
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(30)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def url(self):
        return "ws://127.0.0.1:%d/v1/realtime" % self.port

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.settimeout(10)
            threading.Thread(target=self.connection, args=(conn,), daemon=True).start()

    def connection(self, conn):
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            lines = head.decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, v in
                       (line.split(":", 1) for line in lines[1:] if ":" in line)}
            key = headers.get("authorization", "")[len("Bearer "):]
            self.handler(self, conn, headers, key)
        except OSError:
            pass
        finally:
            conn.close()

    @staticmethod
    def accept(conn, headers):
        accept = base64.b64encode(hashlib.sha1((headers["sec-websocket-key"] +
                                                "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")

    @staticmethod
    def frame(conn, payload, opcode=0x1):
        payload = payload.encode() if isinstance(payload, str) else payload
        n = len(payload)
        size = bytes([n]) if n < 126 else bytes([126]) + struct.pack(">H", n) if n < 65536 else \
            bytes([127]) + struct.pack(">Q", n)
        conn.sendall(bytes([0x80 | opcode]) + size + payload)

    @staticmethod
    def read_frames(conn, until):
        """Reads client frames (masked) until one contains until."""
        buffered = b""
        while True:
            while len(buffered) < 2 or len(buffered) < HostileServer.frame_size(buffered):
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buffered += chunk
            n = HostileServer.frame_size(buffered)
            frame, buffered = buffered[:n], buffered[n:]
            length = frame[1] & 0x7F
            offset = 2 + (2 if length == 126 else 8 if length == 127 else 0)
            mask = frame[offset:offset + 4]
            body = bytes(b ^ mask[i % 4] for i, b in enumerate(frame[offset + 4:]))
            if until.encode() in body:
                return

    @staticmethod
    def frame_size(data):
        length = data[1] & 0x7F
        if length == 126:
            return 8 + struct.unpack(">H", data[2:4])[0] if len(data) >= 4 else 1 << 30
        if length == 127:
            return 14 + struct.unpack(">Q", data[2:10])[0] if len(data) >= 10 else 1 << 30
        return 6 + length

    def close(self):
        self.sock.close()


def echo_everywhere(key):
    return "Incorrect API key provided: %s (you sent %s...; as JSON %s)" % (key, key[:12], escaped(key))


def refuse_with_the_key(server, conn, headers, key):
    body = json.dumps({"error": {"message": echo_everywhere(key), "type": "invalid_request_error",
                                 "code": "invalid_api_key", "param": None}})
    body = body.replace(json.dumps(escaped(key))[1:-1], escaped(key))  # the escapes as escapes
    conn.sendall(("HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                  "Connection: close\r\n\r\n%s" % (len(body), body)).encode())


def converse_with_the_key(server, conn, headers, key):
    server.accept(conn, headers)
    plain = lambda **fields: server.frame(conn, json.dumps(fields))
    # JSON with the key in \u escapes: a plain search of the frame would not find it.
    raw = lambda text: server.frame(conn, text)
    plain(type="session.created", event_id="e0", session={"id": "s", "model": key})
    server.read_frames(conn, "response.create")
    plain(type="error", event_id="e1", error={"type": "invalid_request_error", "code": "bad_" + key,
                                              "message": echo_everywhere(key), "param": key})
    raw('{"type":"error","event_id":"e2","error":{"type":"x","code":"c","message":"%s"}}' % escaped(key))
    plain(type="response.created", event_id="e3", response={"id": "r1", "status": "in_progress", "output": []})
    plain(type="response.output_text.delta", event_id="e4", response_id="r1", item_id="i1", output_index=0,
          content_index=0, delta="plain " + key + " ")
    raw('{"type":"response.output_text.delta","event_id":"e5","response_id":"r1","item_id":"i1",'
        '"output_index":0,"content_index":0,"delta":"escaped %s"}' % escaped(key))
    # The account error before the answer ends: after it, with stdin at its end, voxterm may
    # already be closing, and a run that got its answer ends 0 (under ASan it did, once).
    plain(type="error", event_id="e6", error={"type": "invalid_request_error", "code": "invalid_api_key",
                                              "message": echo_everywhere(key)})
    plain(type="response.done", event_id="e7", response={"id": "r1", "status": "completed", "output": []})
    # The close reason: a close frame's payload is at most 125 bytes.
    server.frame(conn, struct.pack(">H", 1008) + key.encode()[:100], opcode=0x8)
    time.sleep(1)


@pytest.mark.parametrize("handler", [refuse_with_the_key, converse_with_the_key])
def test_a_key_the_server_echoes_is_shown_nowhere(run, tmp_path, handler):
    server = HostileServer(handler)
    log = tmp_path / "events.jsonl"
    try:
        r = run(["--text", "-vv", "--log-events", str(log), "--url", server.url(), "--reconnect-tries", "0"],
                input="hello\n", timeout=30)
    finally:
        server.close()
    assert_hidden(r.stdout)
    assert_hidden(r.stderr)
    assert_hidden(log.read_text() if log.exists() else "")
    assert r.returncode == 3, r.stderr
    if handler is refuse_with_the_key:
        assert "server answered HTTP 401 Unauthorized: Incorrect API key provided: ****" in r.stderr
    else:
        assert "escaped ******" in r.stdout  # the answer arrived, the key masked
        assert "the server refused the session: invalid_api_key" in r.stderr


def split_key(key, size=5):
    """key in pieces shorter than the mask's 8 characters: no one message holds a maskable run."""
    return [key[i:i + size] for i in range(0, len(key), size)]


def answer_begun(server, conn, headers):
    """Accepts the session, waits for the user's turn and begins answer r1; a sender of events."""
    server.accept(conn, headers)
    plain = lambda **fields: server.frame(conn, json.dumps(fields))
    plain(type="session.created", event_id="e0", session={"id": "s", "model": "gpt-realtime-2.1"})
    server.read_frames(conn, "response.create")
    plain(type="response.created", event_id="e1", response={"id": "r1", "status": "in_progress", "output": []})
    return plain


def converse_with_the_key_in_pieces(server, conn, headers, key):
    plain = answer_begun(server, conn, headers)
    delta = lambda n, text: plain(type="response.output_text.delta", event_id="d%d" % n, response_id="r1",
                                  item_id="i1", output_index=0, content_index=0, delta=text)
    for n, text in enumerate(["Your key is "] + split_key(key) + [" and that is all."]):
        delta(n, text)
    plain(type="response.output_text.done", event_id="e2", response_id="r1", item_id="i1", output_index=0,
          content_index=0, text="Your key is %s and that is all." % key)
    plain(type="response.done", event_id="e3", response={"id": "r1", "status": "completed", "output": []})
    server.read_frames(conn, "never")  # until voxterm closes


def interleave_the_key_with_another_message(server, conn, headers, key):
    plain = answer_begun(server, conn, headers)
    for n, piece in enumerate(split_key(key, 3)):  # each piece ends its line: another item's words come
        for item, text in (("i1", piece), ("i2", "x")):
            plain(type="response.output_text.delta", event_id="d%d%s" % (n, item), response_id="r1",
                  item_id=item, output_index=0 if item == "i1" else 1, content_index=0, delta=text)
    plain(type="response.done", event_id="e3", response={"id": "r1", "status": "completed", "output": []})
    server.read_frames(conn, "never")


def test_a_key_interleaved_with_another_message_is_shown_nowhere(run, tmp_path):
    server = HostileServer(interleave_the_key_with_another_message)
    transcript = tmp_path / "talk.txt"
    try:
        r = run(["--text", "--transcript", str(transcript), "--url", server.url(), "--reconnect-tries", "0"],
                input="hello\n", timeout=30)
    finally:
        server.close()
    assert r.returncode == 0, r.stderr
    for text in (r.stdout, transcript.read_text()):
        # Put back together, the lines of the key's message show no run of it.
        assert_hidden("".join(line for line in text.splitlines() if "x" not in line))
        assert "sk-" not in text


def test_a_key_the_server_sends_in_pieces_is_shown_nowhere(run, tmp_path):
    """A key split across deltas, each piece too short to mask on its own, is masked as a whole
    where the pieces meet: on stdout and in the transcript."""
    server = HostileServer(converse_with_the_key_in_pieces)
    transcript, log = tmp_path / "talk.txt", tmp_path / "events.jsonl"
    try:
        r = run(["--text", "--transcript", str(transcript), "--log-events", str(log), "--url", server.url(),
                 "--reconnect-tries", "0"], input="hello\n", timeout=30)
    finally:
        server.close()
    assert r.returncode == 0, r.stderr
    assert_hidden(r.stdout)
    assert_hidden(transcript.read_text())
    # The rest of the answer is all there, the key's place masked character for character.
    assert r.stdout == "Your key is %s and that is all.\n" % ("*" * len(TEST_KEY))
    assert "*" * len(TEST_KEY) + " and that is all." in transcript.read_text()
    # The event log cannot wait for the next line: each delta is masked with the ones before it,
    # so put back together they show no more of the key than the first piece.
    logged = [json.loads(line)["event"] for line in log.read_text().splitlines()]
    joined = "".join(e["delta"] for e in logged if e.get("type") == "response.output_text.delta")
    assert_hidden(joined)
    assert joined.startswith("Your key is " + split_key(TEST_KEY)[0] + "*")


# --- api_key_command ------------------------------------------------------------------------

def key_command_config(tmp_path, command, url, **extra):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(dict({"api_key_command": command, "url": url}, **extra)))
    return str(path)


def test_api_key_command_has_a_time_limit(run, tmp_path):
    config = key_command_config(tmp_path, "sleep 30", "ws://127.0.0.1:1/", api_key_command_timeout_s=1)
    started = time.monotonic()
    r = run(["--text", "--config", config], input="hi\n", key=None, timeout=25)
    assert time.monotonic() - started < 10
    assert r.returncode == 2
    assert one_line(r.stderr) == "voxterm: error: api_key_command did not finish within 1 s"


def test_api_key_command_does_not_wait_for_its_background_children(mock, run, tmp_path):
    m = mock("--key", TEST_KEY)
    pid_file = tmp_path / "sleeper"
    # The background sleep keeps the command's stdout open: the command itself has exited.
    config = key_command_config(tmp_path, "sleep 20 2>/dev/null & echo $! > %s; echo %s" % (pid_file, TEST_KEY),
                                m.url())
    started = time.monotonic()
    try:
        r = run(["--text", "--config", config], input="hi\n", key=None, timeout=40)
    finally:
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "You said: hi\n"
    assert time.monotonic() - started < 10


def test_api_key_command_does_not_read_the_users_input(mock, run, tmp_path):
    m = mock("--key", TEST_KEY)
    config = key_command_config(tmp_path, "read line; cat > /dev/null; echo %s" % TEST_KEY, m.url())
    r = run(["--text", "--config", config], input="first\nsecond\n", key=None, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "You said: first\nYou said: second\n"


class KeyPromptPty(Pty):
    def __init__(self, args, env):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(BIN, [BIN] + args, env)


def test_api_key_command_can_still_ask_on_the_terminal(mock, tmp_path):
    # A password manager asks on the terminal: the command has it while it runs, then voxterm.
    m = mock("--key", TEST_KEY)
    config = key_command_config(tmp_path, 'printf "passphrase: " > /dev/tty; read word < /dev/tty; '
                                          '[ "$word" = open ] && echo %s' % TEST_KEY, m.url())
    p = KeyPromptPty(["--text", "--config", config], clean_env(tmp_path, key=None))
    assert p.wait_for(b"passphrase: ")
    p.key(b"open\n")
    assert p.wait_for(b"> ")
    p.key(b"hi\n")
    assert p.wait_for(b"You said: hi")
    p.key(b"\x04")
    assert p.finish() == 0
