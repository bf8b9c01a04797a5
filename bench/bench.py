#!/usr/bin/python3
"""voxterm's benchmarks (issue 7), run by scripts/bench: every workload against the local mock
over wss:// on loopback, for voxterm, for the floor (bench/floor.cpp: the same library, the same
bytes, nothing parsed) and for OpenAI's Node SDK (bench/node/realtime.mjs). Prints Markdown
tables: docs/performance.md holds what it printed, with the machine.

  a  text    one answer of 100,000 text deltas, --text
  b  audio   a 10-minute spoken answer, --text --speak --output-file, sent at 100x real time
  u  unpaced the same answer sent as fast as the mock can
  c  start   process start to session.update at the server (median of 10 starts)
  d  voice   60 s of duplex conversation on real PortAudio (ALSA over a private PulseAudio),
             barge-ins included
  e  latency --stats of (d): capture to send, first audio delta to heard, speech_started to
             silence
  f  echo    each --echo mode in a simulated room (bench/echo_bench.cpp): the VAD on the echo,
             the user talking over it, the canceller's ERLE, CPU
  i  idle    a spoken conversation in which nobody talks and nothing plays (30 s on real
             PortAudio, a microphone that hears a quiet room), per echo mode: CPU and wake-ups
             per second, per thread

CPU is user+sys of the whole process (wait4), memory its peak resident set. The numbers are one
run each on a shared machine, not a timed test: --smoke runs every workload small, once, and
fails only when a client fails or its output is wrong (CI runs that).
"""

import argparse
import json
import os
import platform
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import math
import random

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MOCK = os.path.join(ROOT, "tests", "mock", "realtime_mock.py")
NODE_DIR = os.path.join(HERE, "node")
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from pulse_env import Pulse  # noqa: E402

RATE = 24000


class Failure(Exception):
    pass


class Mock:
    def __init__(self, work, tls, *args):
        self.record = os.path.join(work, "mock-%d.jsonl" % time.monotonic_ns())
        cmd = ["/usr/bin/python3", MOCK, "--record", self.record, "--timestamps",
               "--tls-cert", tls.cert, "--tls-key", tls.key] + list(args)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            raise Failure("the mock did not start: %s" % self.proc.stderr.read())
        self.port = int(line.split()[1])

    def url(self):
        return "wss://127.0.0.1:%d/v1/realtime" % self.port

    def records(self):
        with open(self.record) as f:
            return [json.loads(line) for line in f if line.strip()]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


class Tls:
    """A throw-away CA and a certificate for 127.0.0.1 signed by it."""

    def __init__(self, work):
        def openssl(*args):
            subprocess.run(["openssl"] + list(args), cwd=work, check=True, capture_output=True, timeout=60)
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                "-subj", "/CN=voxterm bench CA", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
        with open(os.path.join(work, "server.cnf"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "server.pem", "-days", "2", "-extfile", "server.cnf")
        self.ca = os.path.join(work, "ca.pem")
        self.cert = os.path.join(work, "server.pem")
        self.key = os.path.join(work, "server.key")


def base_env(work):
    """What a Debian machine starts with: no CA overrides, no user config, a dummy key; and
    the sanitizers' settings, when the smoke pass runs under them."""
    keep = ("PATH", "LANG", "LC_ALL", "TERM", "ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS", "LSAN_OPTIONS")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(HOME=work, OPENAI_API_KEY="sk-bench")
    return env


def measure(cmd, env, stdin=None, stdout=subprocess.DEVNULL, timeout=600, stop_after=None):
    """Runs cmd to its end (or SIGINT after stop_after seconds); returns wall, cpu, rss, the
    voluntary context switches (every thread's sleeps: its wake-ups), the same per thread as
    last sampled from /proc (every 2 ms, so the last 2 ms of a thread may be missed) and the
    start time (CLOCK_MONOTONIC ns).

    The peak RSS comes from GNU time, not from wait4 here: Linux carries a process's peak over
    exec, so a child forked from this Python would report Python's 13 MB as its own."""
    rss_file = os.path.join(tempfile.gettempdir(), "bench-rss-%d" % time.monotonic_ns())
    stdin_file = open(stdin) if stdin else None
    started = time.monotonic_ns()
    proc = subprocess.Popen(["/usr/bin/time", "-f", "%M %w", "-o", rss_file] + cmd, env=env,
                            stdin=stdin_file or subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE)
    if stdin_file:
        stdin_file.close()
    deadline = time.monotonic() + (stop_after if stop_after else timeout)
    threads = {}  # tid: (the client's main thread?, name, voluntary switches, CPU seconds)
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        for child in children(proc.pid):
            sample_threads(child, threads)
        if time.monotonic() > deadline:
            # To the client itself: GNU time ignores SIGINT while it waits.
            for child in children(proc.pid):
                os.kill(child, signal.SIGINT if stop_after else signal.SIGKILL)
            deadline = time.monotonic() + 15
            stop_after = None
        time.sleep(0.002)
    wall = (time.monotonic_ns() - started) / 1e9
    code = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    with open(rss_file) as f:
        lines = f.read().split()
    os.unlink(rss_file)
    # "Command exited with non-zero status N" may come first; then "%M %w".
    by_thread = {}
    cpu_by_thread = {}
    for main, name, count, cpu in threads.values():
        key = "main" if main else name
        by_thread[key] = by_thread.get(key, 0) + count
        cpu_by_thread[key] = cpu_by_thread.get(key, 0) + cpu
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": int(lines[-2]) / 1024,
            "sleeps": int(lines[-1]), "thread_sleeps": by_thread, "thread_cpu": cpu_by_thread,
            "code": code, "stderr": err, "started_ns": started}


def sample_threads(pid, threads):
    """Each thread of pid's voluntary context switches and CPU time, into threads (see
    measure)."""
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                stat = f.read().rsplit(")", 1)[1].split()  # after the name, which may hold spaces
        except OSError:
            continue
        cpu = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
        threads[int(tid)] = (int(tid) == pid, fields["Name"].strip(), int(fields["voluntary_ctxt_switches"]), cpu)


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def check(result, what, codes=(0,)):
    if result["code"] not in codes:
        raise Failure("%s exited %s: %s" % (what, result["code"], result["stderr"].strip()[-500:]))
    return result


class Bench:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.tls = Tls(work)
        self.voxterm = os.path.join(args.build_dir, "voxterm")
        self.floor = os.path.join(args.build_dir, "voxterm_floor")
        self.node = args.node and shutil.which("node") and os.path.isdir(os.path.join(NODE_DIR, "node_modules"))
        self.rows = []       # (workload, client, result)
        self.latencies = None
        self.notes = []
        self.echo_table = ""
        self.idle_rows = []

    def env(self):
        return base_env(self.work)

    def node_env(self, mock):
        return dict(self.env(), OPENAI_BASE_URL="https://127.0.0.1:%d/v1" % mock.port,
                    NODE_EXTRA_CA_CERTS=self.tls.ca)

    def voxterm_cmd(self, mock, *args):
        return [self.voxterm, "--url", mock.url(), "--ca-file", self.tls.ca] + list(args)

    def floor_cmd(self, mock, say, *args):
        return [self.floor, "--url", mock.url(), "--ca-file", self.tls.ca, "--say", say] + list(args)

    def add(self, workload, client, result):
        self.rows.append((workload, client, result))

    def text(self):
        n = 2000 if self.args.smoke else 100000
        say = "mock:long %d" % n
        expected = sum(len("word%d " % i) for i in range(n))
        mock = Mock(self.work, self.tls)
        try:
            out = os.path.join(self.work, "text.out")
            with open(out, "wb") as f:
                r = check(measure(self.voxterm_cmd(mock, "--text"), self.env(), stdin=self.stdin(say), stdout=f), "voxterm")
            if os.path.getsize(out) < expected:
                raise Failure("voxterm printed %d bytes of a %d-byte answer" % (os.path.getsize(out), expected))
            self.add("a", "voxterm", r)
            self.add("a", "floor", check(measure(self.floor_cmd(mock, say), self.env()), "floor"))
            if self.node:
                self.add("a", "node", check(measure(["node", os.path.join(NODE_DIR, "realtime.mjs"), "text", say],
                                                    self.node_env(mock)), "node"))
        finally:
            mock.stop()

    def audio(self, pace="100", workload="b"):
        ms = 10000 if self.args.smoke else 600000
        say = "mock:audio %d" % ms
        # "b": 100 times real time: faster than any real server. "u": unpaced, the mock sends ten
        # minutes in a third of a second: the peak memory then shows what a client queues of
        # audio not yet written.
        mock = Mock(self.work, self.tls, *(["--audio-pace", pace] if pace else []))
        try:
            wav = os.path.join(self.work, "answer.wav")
            r = check(measure(self.voxterm_cmd(mock, "--text", "--speak", "--output-file", wav), self.env(),
                              stdin=self.stdin(say)), "voxterm")
            want = ms * RATE // 1000 * 2
            if os.path.getsize(wav) < want:
                raise Failure("voxterm wrote %d bytes of %d of audio" % (os.path.getsize(wav), want))
            self.add(workload, "voxterm", r)
            self.add(workload, "floor", check(measure(self.floor_cmd(mock, say, "--audio", "--decode"), self.env()),
                                              "floor"))
            if self.node:
                self.add(workload, "node", check(measure(["node", os.path.join(NODE_DIR, "realtime.mjs"), "audio", say,
                                                          os.path.join(self.work, "node.wav")], self.node_env(mock)),
                                                 "node"))
        finally:
            mock.stop()

    def audio_unpaced(self):
        self.audio(pace=None, workload="u")

    def start(self):
        runs = 2 if self.args.smoke else 10
        mock = Mock(self.work, self.tls)
        try:
            clients = [("voxterm", lambda: self.voxterm_cmd(mock, "--text"), self.env()),
                       ("floor", lambda: self.floor_cmd(mock, "", "--connect-only"), self.env())]
            if self.node:
                clients.append(("node", lambda: ["node", os.path.join(NODE_DIR, "realtime.mjs"), "startup"],
                                self.node_env(mock)))
            for name, cmd, env in clients:
                results = []
                for _ in range(runs):
                    seen = len(mock.records())
                    r = check(measure(cmd(), env), name)
                    # The mock may read what the client sent after the client has gone.
                    deadline = time.monotonic() + 10
                    while True:
                        updates = [x for x in mock.records()[seen:]
                                   if x.get("dir") == "in" and x["event"]["type"] == "session.update"]
                        if updates or time.monotonic() > deadline:
                            break
                        time.sleep(0.01)
                    if not updates:
                        raise Failure("%s sent no session.update" % name)
                    r["to_update"] = (updates[0]["mono_ns"] - r["started_ns"]) / 1e9
                    results.append(r)
                self.add("c", name, median(results))
        finally:
            mock.stop()

    def voice(self):
        seconds = 8 if self.args.smoke else 60
        if shutil.which("pulseaudio") is None:
            self.notes.append("(d) and (e) skipped: pulseaudio is not installed")
            return
        pulse = Pulse(os.path.join(self.work, "pulse"))
        # The user talks for 1.5 s every 4 s; each answer (2.5 s, sent at 1.5x real time) is
        # still playing when the next turn starts: every answer after the first is barged in on.
        mic = os.path.join(self.work, "mic.raw")
        period = tone(1500) + [0] * (RATE * 2500 // 1000)
        with open(mic, "wb") as f:
            f.write(struct.pack("<%dh" % len(period), *period) * (seconds // 4 + 2))
        pulse.devices(mic, os.devnull)
        mock = Mock(self.work, self.tls, "--answer-ms", "2500", "--audio-pace", "1.5")
        stats = os.path.join(self.work, "stats.json")
        try:
            r = measure(self.voxterm_cmd(mock, "--stats", stats), dict(self.env(), **pulse.env), stop_after=seconds)
            check(r, "voxterm", codes=(130,))  # ended by SIGINT, as a user's Ctrl-C
            r["share"] = r["cpu"] / r["wall"]
            self.add("d", "voxterm", r)
            with open(stats) as f:
                self.latencies = json.load(f)
            turns = sum(1 for x in mock.records() if x.get("dir") == "in"
                        and x["event"]["type"] == "conversation.item.truncate")
            if self.latencies["capture_to_send"]["count"] == 0 or self.latencies["first_audio"]["count"] == 0:
                raise Failure("the conversation measured nothing: %s" % self.latencies)
            self.notes.append("(d) %d s, %d answers heard, %d barge-ins (truncates)"
                              % (seconds, self.latencies["first_audio"]["count"], turns))
        finally:
            mock.stop()
            pulse.stop()

    def idle(self):
        """An open spoken conversation in which nobody talks and nothing plays, per echo mode:
        what a laptop pays for as long as a conversation is open."""
        seconds = 5 if self.args.smoke else 30
        if shutil.which("pulseaudio") is None:
            self.notes.append("(i) skipped: pulseaudio is not installed")
            return
        # A quiet room: noise some 60 dB under full scale, never exact zeros.
        rng = random.Random(7)
        room = [rng.randint(-30, 30) for _ in range(RATE * (seconds + 5))]
        mic = os.path.join(self.work, "quiet-room.raw")
        with open(mic, "wb") as f:
            f.write(struct.pack("<%dh" % len(room), *room))
        for mode in ("aec", "headphones", "gate"):
            pulse = Pulse(os.path.join(self.work, "pulse-idle-" + mode))
            pulse.devices(mic, os.devnull)
            mock = Mock(self.work, self.tls)
            flag = ["--headphones"] if mode == "headphones" else ["--echo", mode]
            try:
                r = measure(self.voxterm_cmd(mock, *flag), dict(self.env(), **pulse.env), stop_after=seconds)
                check(r, "voxterm --echo %s" % mode, codes=(130,))
                if any(x.get("dir") == "in" and x["event"]["type"] == "response.create" for x in mock.records()):
                    raise Failure("(i) the quiet room was taken for speech")
                r["share"] = r["cpu"] / r["wall"]
                r["mode"] = mode
                self.idle_rows.append(r)
            finally:
                mock.stop()
                pulse.stop()

    def echo(self):
        binary = os.path.join(self.args.build_dir, "voxterm_echo_bench")
        r = subprocess.run([binary] + (["--smoke"] if self.args.smoke else []), capture_output=True,
                           text=True, timeout=600)
        if r.returncode != 0:
            raise Failure("(f) echo: %s exited %d\n%s%s" % (binary, r.returncode, r.stdout, r.stderr))
        self.echo_table = r.stdout

    def stdin(self, line):
        """A file holding line, to give a client as its stdin (a pipe would need a writer)."""
        path = os.path.join(self.work, "stdin-%d.txt" % time.monotonic_ns())
        with open(path, "w") as f:
            f.write(line + "\n")
        return path


def tone(ms, hz=300, amplitude=8000):
    return [int(amplitude * math.sin(2 * math.pi * hz * n / RATE)) for n in range(RATE * ms // 1000)]


def median(results):
    out = {}
    for key in results[0]:
        if isinstance(results[0][key], dict):  # per thread: the middle run's
            out[key] = results[len(results) // 2][key]
            continue
        values = sorted(r[key] for r in results)
        out[key] = values[len(values) // 2]
    return out


def report(bench):
    rows = {(w, c): r for w, c, r in bench.rows}
    names = {"a": "(a) 100,000 text deltas", "b": "(b) 10-minute audio answer",
             "u": "(b) the same, unpaced", "c": "(c) start-up", "d": "(d) 60 s duplex voice"}
    if bench.args.smoke:
        names = {"a": "(a) 2,000 text deltas", "b": "(b) 10 s audio answer", "u": "(b) the same, unpaced",
                 "c": "(c) start-up", "d": "(d) 8 s duplex voice"}
    print("| workload | client | wall | CPU (user+sys) | peak RSS | sleeps | CPU / floor | Node / voxterm CPU "
          "| Node / voxterm RSS |")
    print("|---|---|---|---|---|---|---|---|---|")
    for w, c, r in bench.rows:
        floor = rows.get((w, "floor"))
        node = rows.get((w, "node"))
        wall = "%.3f s" % r["wall"]
        if w == "c":
            wall = "%.1f ms to session.update" % (r["to_update"] * 1000)
        cpu = "%.3f s" % r["cpu"]
        if w == "d":
            cpu += " (%.1f%% of a core)" % (100 * r["share"])
        ratio_floor = "%.2fx" % (r["cpu"] / floor["cpu"]) if floor and c == "voxterm" and floor["cpu"] > 0 else ""
        node_cpu = "%.1fx" % (node["cpu"] / r["cpu"]) if node and c == "voxterm" and r["cpu"] > 0 else ""
        node_rss = "%.1fx" % (node["rss_mb"] / r["rss_mb"]) if node and c == "voxterm" else ""
        sleeps = "%d" % r["sleeps"]
        if c == "voxterm" and isinstance(r.get("thread_sleeps"), dict):
            t = r["thread_sleeps"]
            sleeps += " (main %d, network %d)" % (t.get("main", 0), t.get("vt-network", 0))
        print("| %s | %s | %s | %s | %.1f MB | %s | %s | %s | %s |" % (names[w], c, wall, cpu, r["rss_mb"],
                                                                    sleeps, ratio_floor, node_cpu, node_rss))
    if bench.latencies:
        print()
        print("| (e) latency, voxterm | samples | p50 | p99 | max |")
        print("|---|---|---|---|---|")
        labels = {"capture_to_send": "capture callback to append handed to the network thread",
                  "send_queue": "network thread: handed over to written to the socket",
                  "first_audio": "first audio delta received to its first sample heard",
                  "barge_in": "speech_started received to silence heard",
                  "barge_in_voxterm": "speech_started received to the fade's end leaving the output callback"}
        for key, label in labels.items():
            s = bench.latencies[key]
            print("| %s | %d | %.1f ms | %.1f ms | %.1f ms |" % (label, s["count"], s["p50_us"] / 1000,
                                                                s["p99_us"] / 1000, s["max_us"] / 1000))
    if bench.idle_rows:
        print()
        print("| (i) idle conversation | CPU, share of a core | main thread | network thread | audio threads "
              "| wake-ups/s: main | network | audio threads | peak RSS |")
        print("|---|---|---|---|---|---|---|---|---|")
        for r in bench.idle_rows:
            cpu, sleeps, wall = r["thread_cpu"], r["thread_sleeps"], r["wall"]
            audio_cpu = sum(v for k, v in cpu.items() if k not in ("main", "vt-network"))
            audio_sleeps = sum(v for k, v in sleeps.items() if k not in ("main", "vt-network"))
            print("| %s | %.2f%% | %.2f%% | %.2f%% | %.2f%% | %.0f | %.0f | %.0f | %.1f MB |" % (
                r["mode"], 100 * r["share"], 100 * cpu.get("main", 0) / wall, 100 * cpu.get("vt-network", 0) / wall,
                100 * audio_cpu / wall, sleeps.get("main", 0) / wall, sleeps.get("vt-network", 0) / wall,
                audio_sleeps / wall, r["rss_mb"]))
    if bench.echo_table:
        print()
        print(bench.echo_table.rstrip())
    for note in bench.notes:
        print()
        print(note)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    parser.add_argument("--smoke", action="store_true", help="every workload small and once (CI)")
    parser.add_argument("--no-node", dest="node", action="store_false", help="skip OpenAI's Node SDK")
    parser.add_argument("--only", default="abucdfi", help="the workloads to run, e.g. ac")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="voxterm-bench-") as work:
        bench = Bench(args, work)
        print("voxterm benchmarks on %s, %d cores, %s; %s" % (
            platform.node() and cpu_model(), os.cpu_count(), platform.platform(terse=True),
            "smoke pass" if args.smoke else "full run"), flush=True)
        if args.node and not bench.node:
            bench.notes.append("Node SDK skipped: run `npm ci` in bench/node (scripts/bench does) and install node")
        steps = {"a": bench.text, "b": bench.audio, "u": bench.audio_unpaced, "c": bench.start, "d": bench.voice,
                 "f": bench.echo, "i": bench.idle}
        try:
            for w in args.only:
                steps[w]()
        except Failure as e:
            print("bench: %s" % e, file=sys.stderr)
            return 1
        print()
        report(bench)
    return 0


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main())
