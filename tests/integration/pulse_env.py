"""A private PulseAudio with null sinks, and ALSA's file plugin over it, so that real PortAudio
runs without a sound card (../shared/TESTING.md): what is captured and played are bit-exact raw
files, paced in real time as a sound card would pace them. Used by test_portaudio.py and by the
benchmarks (bench/bench.py)."""

import os
import signal
import subprocess
import time


class Pulse:
    def __init__(self, directory):
        self.dir = directory
        self.runtime = os.path.join(directory, "run")
        os.makedirs(self.runtime)
        self.socket = os.path.join(self.runtime, "native")
        self.env = {"XDG_RUNTIME_DIR": self.runtime, "PULSE_SERVER": "unix:" + self.socket,
                    "ALSA_CONFIG_PATH": os.path.join(directory, "asound.conf"),
                    "JACK_NO_START_SERVER": "1"}
        env = dict(os.environ, **self.env, HOME=directory)
        subprocess.run(
            ["pulseaudio", "-n", "--daemonize=yes", "--exit-idle-time=-1", "--disallow-exit",
             "--disable-shm=yes", "--log-target=file:" + os.path.join(directory, "pulse.log"),
             "-L", "module-native-protocol-unix socket=%s auth-anonymous=1" % self.socket,
             # norewinds=1: without it the first 10-100 ms of each stream are lost.
             "-L", "module-null-sink sink_name=speaker rate=24000 channels=1 format=s16le norewinds=1",
             "-L", "module-null-sink sink_name=mic rate=24000 channels=1 format=s16le norewinds=1"],
            env=env, check=True, timeout=30, capture_output=True)
        for command in (["set-default-sink", "speaker"], ["set-default-source", "mic.monitor"]):
            subprocess.run(["pactl"] + command, env=env, check=True, timeout=10)

    def devices(self, capture_from, play_to):
        """Points ALSA's default devices at raw files, bit for bit."""
        with open(self.env["ALSA_CONFIG_PATH"], "w") as f:
            f.write('pcm.rt_play { type file; slave.pcm { type pulse }; file "%s"; format "raw" }\n'
                    'pcm.rt_capture { type file; slave.pcm { type pulse }; file "/dev/null"; '
                    'infile "%s"; format "raw" }\n'
                    'pcm.!default { type asym; playback.pcm "rt_play"; capture.pcm "rt_capture" }\n'
                    'ctl.!default { type pulse }\n' % (play_to, capture_from))

    def live(self, play_to):
        """ALSA's default devices on live streams: playback into the `speaker` sink (and, bit for
        bit, into play_to); capture from the default source, the `mic` sink's monitor."""
        with open(self.env["ALSA_CONFIG_PATH"], "w") as f:
            f.write('pcm.rt_play { type file; slave.pcm { type pulse }; file "%s"; format "raw" }\n'
                    'pcm.rt_live { type pulse }\n'
                    'pcm.!default { type asym; playback.pcm "rt_play"; capture.pcm "rt_live" }\n'
                    'ctl.!default { type pulse }\n' % play_to)

    def pactl(self, *args):
        env = dict(os.environ, **self.env, HOME=self.dir)
        return subprocess.run(["pactl"] + list(args), env=env, check=True, timeout=10,
                              capture_output=True, text=True).stdout.strip()

    def loop_speaker_into_mic(self, latency_ms=30, drift=False, coupling_db=0):
        """A room with nobody in it: what the speaker plays reaches the microphone, coupling_db
        louder (0: as loud as it was played). Without drift the loop keeps its latency, as a
        laptop's own speaker and microphone share one clock; with it, module-loopback resamples
        every second to hold its latency, as two devices with clocks of their own drift apart
        (tens to hundreds of ppm here, more on a busy machine)."""
        module = self.pactl("load-module", "module-loopback", "source=speaker.monitor", "sink=mic",
                            "latency_msec=%d" % latency_ms, "adjust_time=%d" % (1 if drift else 0))
        if coupling_db:
            for line in self.pactl("list", "short", "sink-inputs").splitlines():
                fields = line.split()
                if len(fields) > 2 and fields[2] == module:
                    self.pactl("set-sink-input-volume", fields[0], "%+.1fdB" % coupling_db)

    def say_into_mic(self, raw):
        """A user in that room: plays raw (24 kHz mono s16le) into the microphone, mixed with what
        the loop brings. Returns when its first sample went into the microphone
        (time.monotonic_ns(), within the 20 ms of pacat's buffer), once it has all been played:
        the player's start-up, slow on a busy machine, is not counted."""
        env = dict(os.environ, **self.env, HOME=self.dir)
        with open(raw, "rb") as f:
            data = f.read()
        p = subprocess.Popen(["pacat", "-v", "--playback", "--device=mic", "--raw", "--format=s16le",
                              "--rate=24000", "--channels=1", "--latency-msec=20"],
                             stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        for line in p.stderr:
            if b"Stream successfully created" in line:
                break
        started_ns = time.monotonic_ns()
        p.stdin.write(data)
        p.stdin.close()
        p.wait(30)
        p.stderr.close()
        return started_ns

    def stop(self):
        pid_file = os.path.join(self.runtime, "pulse", "pid")
        if os.path.exists(pid_file):
            with open(pid_file) as f:
                pid = int(f.read().split()[0])
            os.kill(pid, signal.SIGTERM)  # --disallow-exit refuses `pactl exit`
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
