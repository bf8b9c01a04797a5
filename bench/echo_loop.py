#!/usr/bin/env python3
"""Echo control through a real loop, over many trials: the benchmark behind the table in
docs/performance.md ("Echo control in a drifting room"). Each trial is one silent 10 s answer
(does it play to the end?) and one answer a user talks over a second in (how soon is the user
heard?), through the room of tests/integration/test_echo.py: PulseAudio's module-loopback from
the speaker's monitor into the microphone, adapting its rate every second (drift), 60 ms long,
at 0 dB or -6 dB of coupling, the machine idle or with two busy loops.

usage: bench/echo_loop.py [--bin build/voxterm] [--trials 5] [--echo aec]
Needs what the integration tests need (scripts/install-deps)."""

import argparse
import os
import pathlib
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=os.path.join(HERE, "..", "build", "voxterm"))
    parser.add_argument("--trials", type=int, default=5, help="per condition")
    parser.add_argument("--echo", default="aec")
    args = parser.parse_args()
    os.environ["VOXTERM_BIN"] = os.path.abspath(args.bin)
    import conftest  # noqa: E402  (reads VOXTERM_BIN)
    import test_echo
    from pulse_env import Pulse

    base = pathlib.Path(tempfile.mkdtemp(prefix="echo_loop"))
    voices_dir = str(base / "voices")
    os.makedirs(voices_dir)
    answer = test_echo.espeak(voices_dir, "answer", test_echo.ANSWER, "en-us", raw=True)
    user = test_echo.espeak(voices_dir, "user", "Stop, stop. I need to ask you something else.", "en-gb+f3")

    def trial(n, coupling_db, busy, user_after_s):
        d = base / ("t%d" % n)
        d.mkdir()
        pulse = Pulse(str(d / "pulse"))
        mocks = []

        def mock(*a):
            m = conftest.Mock(str(d), a)
            mocks.append(m)
            return m

        loops = [subprocess.Popen(["/bin/sh", "-c", "while :; do :; done"]) for _ in range(2)] if busy else []
        try:
            return test_echo.converse(d, pulse, mock, (answer, user), ["-v", "--echo", args.echo],
                                      user_after_s=user_after_s, drift=True, coupling_db=coupling_db,
                                      latency_ms=60)
        finally:
            for p in loops:
                p.kill()
                p.wait()
            for m in mocks:
                m.stop()
            pulse.stop()

    print("| --echo %s, drifting loop | trials | answers cut short | user heard after (max) | user not heard "
          "in 0.8 s | ERLE (mean) | device underruns |" % args.echo)
    print("|---|---|---|---|---|---|---|")
    n = 0
    for coupling_db in (0, -6):
        for busy in (False, True):
            cut, late, heard, erle, xruns = 0, 0, [], [], 0
            for _ in range(args.trials):
                n += 1
                silent = trial(n, coupling_db, busy, None)
                if silent.speech_starts() or silent.played_s < 7:
                    cut += 1
                m = re.search(r"took the microphone (-?\d+) dB down", silent.stderr)
                if m:
                    erle.append(int(m.group(1)))
                # The device's underruns: as -v reports them, or (before voxterm counted them)
                # as ALSA printed them.
                xruns += sum(int(x) for x in re.findall(r"reported (\d+) underruns", silent.stderr))
                xruns += silent.stderr.count("underrun occurred")
                n += 1
                talk = trial(n, coupling_db, busy, 1)
                if talk.heard_after_s is None or not 0 < talk.heard_after_s < 0.8:
                    late += 1
                heard.append(talk.heard_after_s if talk.heard_after_s is not None else float("inf"))
            print("| %+d dB, %s | %d | %d | %.2f s | %d | %s | %d |" % (
                coupling_db, "CPU busy" if busy else "idle", args.trials, cut, max(heard), late,
                "%.0f dB" % (sum(erle) / len(erle)) if erle else "-", xruns), flush=True)


if __name__ == "__main__":
    main()
