"""Fixtures for the integration tests: the real voxterm binary, the mock server, a throw-away CA.

ctest sets VOXTERM_BIN (and VOXTERM_DUMP_EVENTS); every process a test starts has a hard
timeout, and every mock it starts is stopped at teardown.
"""

import codecs
import json
import os
import select
import signal
import subprocess
import sys
import time
import unicodedata

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
MOCK = os.path.join(HERE, "..", "mock", "realtime_mock.py")
BIN = os.environ.get("VOXTERM_BIN", os.path.join(HERE, "..", "..", "build", "voxterm"))
TEST_KEY = "sk-test-DO-NOT-LEAK-7f3a9c"


class Mock:
    """One mock server process on an ephemeral port."""

    def __init__(self, directory, args, tls=None):
        """tls: a (certificate, key) pair to serve wss:// with."""
        self.record = os.path.join(directory, "mock-%d.jsonl" % id(self))
        cmd = ["/usr/bin/python3", MOCK, "--record", self.record] + list(args)
        if tls:
            cmd += ["--tls-cert", tls[0], "--tls-key", tls[1]]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 20)
        line = self.proc.stdout.readline() if ready else ""
        if not line.startswith("PORT "):
            self.proc.kill()
            raise RuntimeError("mock did not start: %r %s" % (line, self.proc.stderr.read()))
        self.port = int(line.split()[1])

    def url(self, scheme="ws", host="127.0.0.1", path="/v1/realtime"):
        return "%s://%s:%d%s" % (scheme, host, self.port, path)

    def raw_records(self):
        if not os.path.exists(self.record):
            return []
        with open(self.record) as f:
            return [json.loads(line) for line in f if line.strip()]

    def records(self, timeout=5):
        """What the mock recorded, once every session it accepted has ended: the mock may still
        be handling queued messages after answering the client's close, and so after the client
        has exited. Sessions still open when the timeout passes are returned as they are."""
        deadline = time.time() + timeout
        while True:
            found = self.raw_records()
            opened = sum(1 for r in found if "connect" in r)
            closed = sum(1 for r in found if "disconnect" in r)
            if closed >= opened or time.time() > deadline:
                return found
            time.sleep(0.02)

    def settle(self):
        """Waits until every session has ended and the mock has written its files."""
        self.records()

    def events(self, settle=True):
        """The client events the mock received, in order. settle=False: as they are now, for
        polling while a session is still open."""
        found = self.records() if settle else self.raw_records()
        return [r["event"] for r in found if r.get("dir") == "in"]

    def errors_sent(self):
        """The error events the mock answered with (code, message)."""
        return [(r["error_sent"]["code"], r["error_sent"]["message"]) for r in self.records()
                if "error_sent" in r]

    def violations(self):
        return [r["violation"] for r in self.records() if "violation" in r]

    def disconnects(self):
        return [r["disconnect"] for r in self.records() if "disconnect" in r]

    def connects(self):
        return [r["connect"] for r in self.records() if "connect" in r]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def mock(tmp_path):
    """mock(*args, tls=None) starts a mock server; all are stopped after the test."""
    started = []

    def start(*args, tls=None):
        m = Mock(str(tmp_path), args, tls)
        started.append(m)
        return m

    yield start
    for m in started:
        m.stop()


def clean_env(tmp_path, key=TEST_KEY, extra=None):
    """An environment with no user config and no stray keys."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "XDG_CONFIG_HOME", "NO_COLOR")}
    env["HOME"] = str(tmp_path)
    if key is not None:
        env["OPENAI_API_KEY"] = key
    env.update(extra or {})
    return env


@pytest.fixture
def run(tmp_path):
    """run(args, input=..., key=..., env=..., timeout=...) runs voxterm to completion."""

    def go(args, input="", key=TEST_KEY, env=None, timeout=60):
        return subprocess.run([BIN] + list(args), input=input, capture_output=True, text=True,
                              env=clean_env(tmp_path, key, env), timeout=timeout)

    return go


@pytest.fixture
def start(tmp_path):
    """start(args, key=...) starts voxterm with piped stdio; killed after the test if still alive."""
    procs = []

    def go(args, key=TEST_KEY, env=None):
        p = subprocess.Popen([BIN] + list(args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=clean_env(tmp_path, key, env))
        procs.append(p)
        return p

    yield go
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()


class Tls:
    def __init__(self, directory):
        self.dir = directory
        self.ca = os.path.join(directory, "ca.pem")
        # For 127.0.0.1 (and localhost), so no name resolution is needed.
        self.cert = os.path.join(directory, "server.pem")
        self.key = os.path.join(directory, "server.key")
        # Signed by the same CA, but for another host only.
        self.other_cert = os.path.join(directory, "other.pem")
        self.other_key = os.path.join(directory, "other.key")


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    """A throw-away CA and two certificates signed by it."""
    d = str(tmp_path_factory.mktemp("tls"))
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=voxterm test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    for name, san in (("server", "IP:127.0.0.1,DNS:localhost"), ("other", "DNS:other.example")):
        openssl("req", *ec, "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name,
                cwd=d)
        with open(os.path.join(d, name + ".cnf"), "w") as f:
            f.write("subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n" % san)
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", name + ".cnf", cwd=d)
    return Tls(d)


def peak_rss_kb(pid):
    """A live process's own high-water mark. (wait4's ru_maxrss would include what the forking
    Python process had resident before exec.)"""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def one_line(stderr):
    """The single diagnostic line a failure must print."""
    lines = [l for l in stderr.splitlines() if l.strip()]
    assert len(lines) == 1, "expected one line on stderr, got: %r" % stderr
    return lines[0]


class Vt:
    """Enough of a terminal to read back what voxterm drew on a pty: characters with autowrap
    (deferred at the last column), CR, LF, and the CSI sequences voxterm writes (cursor up,
    down, forward, back, to a column; erase line and screen); modes and colours are ignored.
    The screen never scrolls away: every line written stays, so a test reads the whole
    session."""

    def __init__(self, columns=80):
        self.columns = columns
        self.lines = [[]]
        self.wrapped = set()  # rows that go on in the next (an autowrap, not a newline)
        self.row = self.col = 0
        self.pending = False
        self.held = ""
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def feed(self, data):
        text = self.held + self.decoder.decode(data)
        self.held = ""
        i = 0
        while i < len(text):
            ch = text[i]
            if ch == "\x1b":
                if i + 1 >= len(text):
                    self.held = text[i:]
                    return
                if text[i + 1] != "[":
                    i += 2  # ESC and one character (ESC 7, ESC 8 and the like): nothing of ours
                    continue
                j = i + 2
                while j < len(text) and not ("\x40" <= text[j] <= "\x7e"):
                    j += 1
                if j >= len(text):
                    self.held = text[i:]
                    return
                self.csi(text[i + 2:j], text[j])
                i = j + 1
                continue
            if ch == "\r":
                self.col, self.pending = 0, False
            elif ch == "\n":
                self.down()
            elif ch == "\b":
                self.col = max(0, self.col - 1)
            elif ch >= " ":
                self.put(ch)
            i += 1

    def down(self):
        self.row += 1
        self.pending = False
        while len(self.lines) <= self.row:
            self.lines.append([])

    def put(self, ch):
        width = 0 if unicodedata.combining(ch) else (
            2 if unicodedata.east_asian_width(ch) in "WF" else 1)
        line = self.lines[self.row]
        if width == 0:
            if self.col > 0 and self.col - 1 < len(line):
                line[self.col - 1] += ch
            return
        if self.pending or self.col + width > self.columns:
            self.wrapped.add(self.row)
            self.col = 0
            self.down()
            line = self.lines[self.row]
        while len(line) < self.col + width:
            line.append(" ")
        line[self.col] = ch
        if width == 2:
            line[self.col + 1] = ""
        self.col += width
        if self.col >= self.columns:
            self.col, self.pending = self.columns - 1, True

    def csi(self, params, final):
        try:
            n = int(params) if params and params.isdigit() else 1
        except ValueError:
            n = 1
        self.pending = False
        if final == "A":
            self.row = max(0, self.row - n)
        elif final == "B":
            for _ in range(n):
                self.down()
        elif final == "C":
            self.col = min(self.columns - 1, self.col + n)
        elif final == "D":
            self.col = max(0, self.col - n)
        elif final == "G":
            self.col = min(self.columns - 1, n - 1)
        elif final == "K":
            del self.lines[self.row][self.col:]
            self.wrapped.discard(self.row)
        elif final == "J":
            del self.lines[self.row][self.col:]
            del self.lines[self.row + 1:]
            self.wrapped = {r for r in self.wrapped if r < self.row}

    def text(self):
        """The screen, a line a row (a line the terminal wrapped is one), blanks at the ends of
        lines and at the end dropped."""
        out = ""
        for i, line in enumerate(self.lines):
            text = "".join(line)
            out += text if i in self.wrapped else text.rstrip() + "\n"
        return out.rstrip("\n")


class Pty:
    """A process on a terminal of its own (pid, and fd of the pty's controller side), read and
    typed at as a user would. Subclasses fork it. out: the bytes it wrote; screen(): what a
    terminal shows of them."""

    pid = 0
    fd = -1
    out = b""
    vt = None

    def read(self, seconds=0.2):
        deadline = time.time() + seconds
        if self.vt is None:
            self.vt = Vt()
        while time.time() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:
                    return
                self.out += data
                self.vt.feed(data)

    def screen(self):
        self.read(0)
        return self.vt.text()

    def wait_for_screen(self, text, timeout=15):
        """True once text is on the screen (lines joined by newlines)."""
        self.read(0)
        return self.until(lambda: text in self.vt.text(), timeout)

    def wait_for(self, needle, timeout=15):
        """True once needle (bytes) has appeared in the output, or on the screen (where text
        written around voxterm's rows is whole again, and a line's trailing blanks are not)."""
        shown = needle.decode("utf-8", "replace").replace("\r\n", "\n").rstrip(" ")

        def seen():
            return needle in self.out or (self.vt is not None and shown in self.vt.text())
        deadline = time.time() + timeout
        while not seen() and time.time() < deadline:
            self.read(0.1)
        return seen()

    def until(self, predicate, timeout=10):
        """Waits for predicate while reading the pty, as a terminal would: output that nobody
        reads would block the process."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate():
                return True
            self.read(0.05)
        return predicate()

    def pause(self, seconds):
        self.read(seconds)

    def key(self, data):
        os.write(self.fd, data)

    def finish(self, timeout=10):
        """The exit code; the process is killed (and the test fails) if it does not exit."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.read(0.05)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        raise AssertionError("voxterm did not exit: %r" % self.out[-500:])
