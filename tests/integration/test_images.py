"""Images in a turn (--image, /image): read by voxterm, checked by content, sent as data: URLs in
the turn's conversation.item.create, and checked by the mock byte for byte (it records the
SHA-256 of every image it decodes, and answers "I see a PNG image of N bytes.")."""

import hashlib
import random
import shutil
import struct
import zlib

import pytest

from conftest import clean_env, one_line
from test_terminal import terminal  # noqa: F401  (a fixture)

MAX_IMAGE_BYTES = 10 << 20  # util/image_file.h: kMaxImageBytes


def png(width=4, height=3, extra=b""):
    """A real PNG (RGB, a gradient), then extra bytes after its IEND, which decoders ignore."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\0" + b"".join(bytes((x * 60 % 256, y * 80 % 256, 128)) for x in range(width))
                   for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"") + extra)


def every_byte(n, seed=7):
    """n bytes with every value, so that base64's + and / and padding all occur."""
    rng = random.Random(seed)
    return bytes(range(256)) + rng.randbytes(max(0, n - 256))


def jpeg(extra=b""):
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + extra + b"\xff\xd9"


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def images_received(m):
    return [r["image"] for r in m.records() if "image" in r]


def item_creates(m):
    return [e for e in m.events() if e["type"] == "conversation.item.create"]


def test_image_goes_into_the_first_turn_byte_for_byte(mock, run, tmp_path):
    m = mock()
    first = png(extra=every_byte(5001))
    second = jpeg(every_byte(70001, seed=3))
    log = tmp_path / "events.jsonl"
    r = run(["--text", "--url", m.url(), "--image", write(tmp_path, "a.png", first),
             "--image", write(tmp_path, "b.jpg", second), "--log-events", str(log)],
            input="What is in these?\nAnd now?\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        'I see a PNG image of %d bytes and a JPEG image of %d bytes. You wrote: "What is in these?".'
        % (len(first), len(second)),
        "You said: And now?",
    ]
    assert r.stderr == ""
    # The mock decoded each part to exactly the file's bytes, in order.
    assert [(i["mime"], i["bytes"], i["sha256"]) for i in images_received(m)] == [
        ("image/png", len(first), hashlib.sha256(first).hexdigest()),
        ("image/jpeg", len(second), hashlib.sha256(second).hexdigest()),
    ]
    creates = item_creates(m)
    assert [c["type"] for c in creates[0]["item"]["content"]] == ["input_text", "input_image", "input_image"]
    assert creates[0]["item"]["content"][0] == {"type": "input_text", "text": "What is in these?"}
    assert creates[0]["item"]["content"][1]["detail"] == "auto"
    # Only the first turn carries them.
    assert creates[1]["item"]["content"] == [{"type": "input_text", "text": "And now?"}]
    assert m.violations() == []
    # --log-events keeps the image's type and size, not its bytes.
    logged = log.read_text()
    assert "<image: image/png, %d bytes>" % len(first) in logged
    assert "<image: image/jpeg, %d bytes>" % len(second) in logged
    assert "base64," not in logged


def test_the_type_comes_from_the_content_not_the_name(mock, run, tmp_path):
    m = mock()
    data = png()
    r = run(["--text", "--url", m.url(), "--image", write(tmp_path, "photo.jpg", data)],
            input="hi\n")
    assert r.returncode == 0, r.stderr
    assert images_received(m)[0]["mime"] == "image/png"
    assert r.stdout.startswith("I see a PNG image of %d bytes." % len(data))


def test_webp_and_gif_are_images_too(mock, run, tmp_path):
    m = mock()
    webp = b"RIFF\x24\x00\x00\x00WEBPVP8L" + every_byte(300)
    gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
    r = run(["--text", "--turn-per-input", "--url", m.url(), "--image", write(tmp_path, "x", webp),
             "--image", write(tmp_path, "y", gif)], input="two\nlines\n")
    assert r.returncode == 0, r.stderr
    assert [(i["mime"], i["sha256"]) for i in images_received(m)] == [
        ("image/webp", hashlib.sha256(webp).hexdigest()), ("image/gif", hashlib.sha256(gif).hexdigest())]
    (create,) = item_creates(m)
    assert create["item"]["content"][0] == {"type": "input_text", "text": "two\nlines"}


@pytest.mark.parametrize("case", ["not_an_image", "too_large", "missing", "directory", "together_too_large"])
def test_an_image_that_cannot_be_sent_stops_the_run_before_anything_is_sent(mock, run, tmp_path, case):
    m = mock()
    extra = []
    if case == "not_an_image":
        path = write(tmp_path, "notes.png", b"just some text, named .png\n")
        expected = "--image %s: not a PNG, JPEG, WebP or GIF image (by its content)" % path
    elif case == "too_large":
        path = write(tmp_path, "big.png", png() + b"\0" * (MAX_IMAGE_BYTES - len(png()) + 1))
        expected = "--image %s: larger than the 10 MiB an image may have" % path
    elif case == "missing":
        path = str(tmp_path / "nowhere.png")
        expected = "--image %s: No such file or directory" % path
    elif case == "directory":
        path = str(tmp_path)
        expected = "--image %s: not a regular file" % path
    else:
        half = png() + b"\0" * (MAX_IMAGE_BYTES // 2 + 1)
        path = write(tmp_path, "half1.png", half)
        extra = ["--image", write(tmp_path, "half2.png", half)]
        expected = "--image: the images come to more than the 10 MiB one turn may carry"
    r = run(["--text", "--url", m.url(), "--image", path] + extra, input="What is this?\n")
    assert r.returncode == 2, r.stderr
    line = one_line(r.stderr)
    assert line.startswith("voxterm: error: " + expected), line
    assert r.stdout == ""
    assert m.connects() == []  # nothing was sent: not even a connection


@pytest.mark.parametrize("args,expected", [
    (["--dialect", "beta"], "--image: the beta dialect has no image input; images need --dialect ga"),
    (["--model", "gpt-live-1.1"], "--image: GPT-Live takes no images (model \"gpt-live-1.1\")"),
])
def test_apis_without_image_input_refuse_image_at_start(mock, run, tmp_path, args, expected):
    m = mock()
    r = run(["--url", m.url(), "--image", write(tmp_path, "a.png", png())] + args, input="hi\n")
    assert r.returncode == 2, r.stderr
    assert one_line(r.stderr).startswith("voxterm: error: " + expected), r.stderr
    assert m.connects() == []


def test_images_with_no_turn_to_go_with_are_not_sent_and_it_says_so(mock, run, tmp_path):
    m = mock()
    r = run(["--text", "--url", m.url(), "--image", write(tmp_path, "a.png", png())], input="")
    assert r.returncode == 0, r.stderr
    assert "--image: no turn came to send the images with; they were not sent" in r.stderr
    assert item_creates(m) == []


def test_the_largest_image_goes_whole(mock, run, tmp_path):
    # 10 MiB, 13.3 MiB of base64: under the 15 MiB a message may have, and the mock's echo of it
    # (16 MiB is what voxterm takes in) is read back too.
    m = mock()
    data = png() + every_byte(MAX_IMAGE_BYTES - len(png()), seed=11)
    r = run(["--text", "--url", m.url(), "--image", write(tmp_path, "max.png", data)],
            input="big?\n", timeout=120)
    assert r.returncode == 0, r.stderr
    assert images_received(m)[0]["sha256"] == hashlib.sha256(data).hexdigest()
    assert r.stdout.startswith("I see a PNG image of %d bytes." % MAX_IMAGE_BYTES)


def env_for(tmp_path):
    return dict(clean_env(tmp_path, extra={"NO_COLOR": "1"}), TERM="xterm-256color")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_slash_image_sends_an_image_with_a_line_and_errors_are_one_line(mock, tmp_path, terminal):
    m = mock()
    data = png(extra=every_byte(1000))
    path = write(tmp_path, "cat.png", data)
    text_file = write(tmp_path, "notes.png", b"not a picture\n")
    t = terminal(env_for(tmp_path), ["--text", "--url", m.url()], width=120, height=30)
    assert t.wait_for(">"), t.screen()
    t.keys("/image %s what is it?" % path, "Enter")
    assert t.wait_for('I see a PNG image of %d bytes. You wrote: "what is it?".' % len(data)), t.screen()
    t.keys("/image %s" % text_file, "Enter")  # one line, and the conversation goes on
    assert t.wait_for("/image %s: not a PNG, JPEG, WebP or GIF image" % text_file), t.screen()
    t.keys("/image", "Enter")
    assert t.wait_for("/image PATH [TEXT]: which PATH?"), t.screen()
    t.keys("/image %s" % path, "Enter")  # an image alone
    assert t.wait_for("I see a PNG image of %d bytes.\n" % len(data)) or \
        t.wait_for("I see a PNG image of %d bytes." % len(data)), t.screen()
    t.keys("hello", "Enter")
    assert t.wait_for("You said: hello"), t.screen()
    t.keys("/quit", "Enter")
    assert t.wait_for("EXIT=0"), t.screen()
    received = images_received(m)
    assert [i["sha256"] for i in received] == [hashlib.sha256(data).hexdigest()] * 2
    contents = [[c["type"] for c in e["item"]["content"]] for e in item_creates(m)]
    assert contents == [["input_text", "input_image"], ["input_image"], ["input_text"]]
    assert m.violations() == []


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_slash_image_says_the_beta_dialect_has_none(mock, tmp_path, terminal):
    m = mock()
    path = write(tmp_path, "cat.png", png())
    t = terminal(env_for(tmp_path), ["--text", "--dialect", "beta", "--url", m.url()], width=120)
    assert t.wait_for(">"), t.screen()
    t.keys("/image %s look" % path, "Enter")
    assert t.wait_for("/image: the beta dialect has no image input; images need --dialect ga"), t.screen()
    t.keys("hello", "Enter")
    assert t.wait_for("You said: hello"), t.screen()
    t.keys("/quit", "Enter")
    assert t.wait_for("EXIT=0"), t.screen()
    assert images_received(m) == []


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_a_spoken_conversation_sends_images_with_typed_lines(mock, tmp_path, terminal):
    from test_voice import silence, write_wav
    mic = tmp_path / "mic.wav"
    write_wav(mic, silence(30000))
    first, second = png(extra=every_byte(400)), jpeg(every_byte(900, seed=5))
    m = mock()
    t = terminal(env_for(tmp_path), ["--url", m.url(), "--input-file", str(mic), "--output-file",
                                     str(tmp_path / "out.wav"), "--image",
                                     write(tmp_path, "first.png", first)], width=120, height=30)
    assert t.wait_for("listening"), t.screen()
    t.keys("what is this", "Enter")  # the first typed line takes --image's picture
    assert t.wait_for("you: what is this [image %s, %d bytes]" % (tmp_path / "first.png", len(first))), \
        t.screen()
    assert t.wait_for("I see a PNG image of %d bytes." % len(first)), t.screen()
    t.keys("/image %s and this?" % write(tmp_path, "second.jpg", second), "Enter")
    assert t.wait_for("I see a JPEG image of %d bytes." % len(second)), t.screen()
    assert [(i["mime"], i["sha256"]) for i in images_received(m)] == [
        ("image/png", hashlib.sha256(first).hexdigest()),
        ("image/jpeg", hashlib.sha256(second).hexdigest())]
    assert m.violations() == []


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_slash_image_says_gpt_live_takes_none(mock, tmp_path, terminal):
    from test_voice import silence, write_wav
    mic = tmp_path / "mic.wav"
    write_wav(mic, silence(30000))
    m = mock()
    t = terminal(env_for(tmp_path), ["--model", "gpt-live-1.1", "--url", m.url(path="/v1/live/sessions"),
                                     "--input-file", str(mic), "--output-file", str(tmp_path / "out.wav")],
                 width=160)
    assert t.wait_for("\u25cf"), t.screen()
    t.keys("/image %s look" % write(tmp_path, "cat.png", png()), "Enter")
    assert t.wait_for('/image: GPT-Live takes no images (model "gpt-live-1.1"); images are the '
                      "Realtime API's"), t.screen()
    t.keys("what time is it", "Enter")  # the conversation goes on
    assert t.wait_for("you: what time is it"), t.screen()
    assert [e for e in m.events() if e["type"] == "session.commentary.append"][0]["content"] \
        .endswith(": what time is it")
    assert m.violations() == []


def test_the_mock_refuses_an_image_that_is_not_what_it_says(mock):
    # The mock's own check, driven without voxterm: were it lenient, the byte-for-byte tests
    # above could pass on a broken encoder.
    import asyncio
    import base64
    import json

    import websockets
    m = mock()
    good = base64.b64encode(png()).decode()
    cases = [("data:image/jpeg;base64," + good, "says image/jpeg but holds image/png"),
             ("data:image/png;base64,@@@@", "is not a data:image/"),
             ("data:image/png;base64," + good[:-1], "base64 does not decode"),
             ("data:image/png;base64," + base64.b64encode(b"plain text").decode(), "holds no image"),
             ("https://example.com/cat.png", "is not a data:image/")]

    def create(url):
        return json.dumps({"type": "conversation.item.create", "item": {
            "type": "message", "role": "user",
            "content": [{"type": "input_image", "image_url": url, "detail": "auto"}]}})

    async def talk():
        answers = []
        async with websockets.connect(m.url()) as ws:
            assert json.loads(await ws.recv())["type"] == "session.created"
            for url, _ in cases + [("data:image/png;base64," + good, None)]:
                await ws.send(create(url))
                answers.append(json.loads(await ws.recv()))
        return answers

    answers = asyncio.run(asyncio.wait_for(talk(), 20))
    for (url, reason), answer in zip(cases, answers):
        assert answer["type"] == "error" and answer["error"]["code"] == "invalid_value", answer
        assert reason in answer["error"]["message"], (url[:40], answer)
        assert answer["error"]["param"] == "item.content[0].image_url"
    assert answers[-1]["type"] == "conversation.item.added"
    assert len(m.violations()) == len(cases)
    assert [i["sha256"] for i in images_received(m)] == [hashlib.sha256(png()).hexdigest()]
