"""What the mock's two APIs share: account errors, token counts, the mock's voice, the record.

realtime_mock.py (the Realtime API) and live_session.py (GPT-Live) both use these; neither imports
the other's protocol.
"""

import json
import math
import struct
import time

SAMPLE_RATE = 24000

# Account and model errors as OpenAI sends them: code -> (HTTP status of a refused upgrade, error
# type, message; %s is the model). A 429 with insufficient_quota is not a rate limit.
FATAL_ERRORS = {
    "invalid_api_key": (401, "invalid_request_error",
                        "Incorrect API key provided. You can find your API key at "
                        "https://platform.openai.com/account/api-keys."),
    "insufficient_quota": (429, "insufficient_quota",
                           "You exceeded your current quota, please check your plan and billing details."),
    "account_deactivated": (401, "invalid_request_error",
                            "This key is associated with a deactivated account. If you feel this is an "
                            "error, contact us through our help center at help.openai.com."),
    "billing_hard_limit_reached": (400, "invalid_request_error", "Billing hard limit has been reached."),
    "credit_balance_exhausted": (429, "insufficient_quota",
                                 "Your credit balance is too low to access the API. Please go to Plans & "
                                 "Billing to purchase credits."),
    "model_not_found": (404, "invalid_request_error",
                        "The model `%s` does not exist or you do not have access to it."),
    "invalid_model": (400, "invalid_request_error", "Invalid model: '%s' is not a realtime model."),
}


def fatal_error(code, model):
    """The `error` object of FATAL_ERRORS[code] (any other code: a generic one), and its status."""
    status, kind, message = FATAL_ERRORS.get(code, (400, "invalid_request_error", "The mock refuses: %s."))
    message = message % model if "%s" in message else message
    return status, {"message": message, "type": kind, "code": code,
                    "param": "model" if code in ("model_not_found", "invalid_model") else None}


def shape_error(error, shape):
    """--error-shape: "type-only" leaves the code null with CODE as the type (OpenAI sends such
    bodies); "padded" adds 20 KB of "detail" after the message, as a verbose proxy or a future
    API might; "" leaves the error as it is."""
    if shape == "type-only":
        error = dict(error, type=error["code"], code=None)
    elif shape == "padded":
        error = dict(error, detail="x" * 20000)
    return error


def text_tokens(text):
    """About four characters a token, as OpenAI's tokenizers average for English."""
    return (len(text or "") + 3) // 4


def tone_second():
    """One second of the mock's voice: a 440 Hz tone under a slow 3 Hz swell, never silent for
    long. Both periods divide a second, so the waveform repeats every SAMPLE_RATE samples."""
    out = bytearray()
    for n in range(SAMPLE_RATE):
        t = n / SAMPLE_RATE
        amp = 6000 + 4000 * math.sin(2 * math.pi * 3 * t)
        out += struct.pack("<h", int(amp * math.sin(2 * math.pi * 440 * t)))
    return bytes(out * 2)  # two seconds, so any chunk up to a second is one slice


TONE = tone_second()


def mock_audio(samples, start=0):
    """Deterministic PCM16 LE, samples start..start+samples of the endless tone; as fast as a
    slice, so a ten-minute answer costs the mock nothing (the benchmarks)."""
    out = bytearray()
    while samples > 0:
        offset = start % SAMPLE_RATE
        n = min(samples, SAMPLE_RATE)
        out += TONE[2 * offset:2 * (offset + n)]
        start += n
        samples -= n
    return bytes(out)


class Recorder:
    def __init__(self, path, timestamps=False):
        self.file = open(path, "a", buffering=1) if path else None
        self.timestamps = timestamps

    def write(self, record):
        if self.file:
            if self.timestamps:
                record["mono_ns"] = time.monotonic_ns()  # CLOCK_MONOTONIC, as other processes see it
            self.file.write(json.dumps(record) + "\n")


IMAGE_MAGIC = (
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", b"\xff\xd8\xff"),
    ("image/gif", b"GIF87a"),
    ("image/gif", b"GIF89a"),
)


def image_type(data):
    """The MIME type of image bytes by their first bytes (PNG, JPEG, GIF, WebP), or None."""
    for mime, magic in IMAGE_MAGIC:
        if data.startswith(magic):
            return mime
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def decode_image_url(url):
    """(mime, bytes) of an input_image's data: URL, or raises ValueError saying what is wrong:
    not a data: URL of an image type in base64, base64 that does not decode strictly, or bytes
    that are not the image type the URL names."""
    import base64
    import binascii
    import re as _re
    match = _re.fullmatch(r"data:(image/(?:png|jpeg|webp|gif));base64,([A-Za-z0-9+/]*={0,2})", url, _re.S)
    if not match:
        raise ValueError("image_url is not a data:image/(png|jpeg|webp|gif);base64, URL")
    try:
        data = base64.b64decode(match.group(2), validate=True)
    except binascii.Error as e:
        raise ValueError("image_url's base64 does not decode: %s" % e)
    found = image_type(data)
    if found != match.group(1):
        raise ValueError("image_url says %s but holds %s" % (match.group(1), found or "no image"))
    return match.group(1), data


def redact(event):
    """A copy of a client event with audio payloads replaced by their decoded length, and an
    image's data: URL by its type and length."""
    out = json.loads(json.dumps(event))

    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                if k == "audio" and isinstance(x, str):
                    v[k] = "<audio: %d bytes>" % (len(x) * 3 // 4 - x[-2:].count("="))
                elif k == "image_url" and isinstance(x, str) and x.startswith("data:") \
                        and ";base64," in x:
                    head, _, b64 = x.partition(";base64,")
                    v[k] = "<image: %s, %d bytes>" % (head[5:45], len(b64) * 3 // 4 - b64[-2:].count("="))
                else:
                    walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(out)
    return out
