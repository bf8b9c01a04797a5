"""What GPT-Live's session.start and session.update accept, as ../shared/protocol/LIVE.md section 2
says: the session object is strict (an unknown field anywhere is unknown_parameter, named in
`param`), and its values are checked. Each check raises Refusal, the `error` to answer with."""

from mock_common import SAMPLE_RATE, text_tokens

MODELS = ("gpt-live-1", "gpt-live-1.1")
# OAI-CONV's voices, then the SDK's extra names (LIVE.md section 2).
VOICES = {"marin", "quartz", "ripple", "vesper", "willow", "stone", "gleam", "meridian", "bossa",
          "tempo", "beacon", "delta", "cinder", "nuri", "juni", "flitz", "brise", "sillage", "nira",
          "harema", "shida", "noeul", "alloy", "ash", "aube", "ballad", "cedar", "coral", "echo",
          "sage", "shimmer", "shitan", "verse"}
FORMATS = {"audio/pcm": (16000, 24000), "audio/pcmu": (8000,), "audio/pcma": (8000,)}
PART_TYPES = {"developer": ("input_text",), "user": ("input_text",), "assistant": ("output_text", "text")}
RESPONSES_FIELDS = ("model", "instructions", "max_output_tokens", "parallel_tool_calls", "reasoning",
                    "service_tier", "text", "tool_choice", "tools")
MAX_INPUT_MESSAGES = 128
MAX_INPUT_TOKENS = 8192
MAX_INSTRUCTIONS_TOKENS = 16384
MAX_APPEND_TOKENS = 500


class Refusal(Exception):
    """A client event LIVE.md refuses: the `error` to answer with."""

    def __init__(self, code, message, param=None):
        super().__init__(message)
        self.code = code
        self.param = param


def unknown(obj, allowed, where):
    """Refuses the first field of obj that allowed does not list (LIVE.md 2: the object is strict)."""
    for key in obj:
        if key not in allowed:
            raise Refusal("unknown_parameter", "Unknown parameter: '%s.%s'." % (where, key),
                          "%s.%s" % (where, key))


def want(cond, message, param, code="invalid_value"):
    if not cond:
        raise Refusal(code, message, param)


def check_delegation(d, where):
    """The delegation object of session.start or session.update; returns it normalised."""
    if d is None:
        return {"type": "client"}
    want(isinstance(d, dict), "Invalid type for '%s': expected an object or null." % where, where,
         "invalid_type")
    unknown(d, ("type", "responses"), where)
    want(d.get("type") in ("client", "responses"),
         "Invalid value for '%s.type': expected 'client' or 'responses'." % where, where + ".type")
    if d["type"] == "client":
        want("responses" not in d, "'%s.responses' needs type 'responses'." % where, where + ".responses")
        return {"type": "client"}
    r = d.get("responses")
    want(isinstance(r, dict), "Missing required parameter: '%s.responses'." % where, where + ".responses",
         "missing_required_parameter")
    check_responses(r, where + ".responses", need_model=True)
    return {"type": "responses", "responses": dict(r)}


def check_responses(r, where, need_model):
    unknown(r, RESPONSES_FIELDS, where)
    if need_model or "model" in r:
        want(isinstance(r.get("model"), str) and r["model"],
             "Missing required parameter: '%s.model'." % where, where + ".model", "missing_required_parameter")
    if "max_output_tokens" in r:
        want(isinstance(r["max_output_tokens"], int) and r["max_output_tokens"] >= 16,
             "'%s.max_output_tokens' must be an integer of at least 16." % where, where + ".max_output_tokens")
    if "reasoning" in r:
        reasoning = r["reasoning"]
        want(isinstance(reasoning, dict), "'%s.reasoning' must be an object." % where, where + ".reasoning")
        unknown(reasoning, ("effort", "summary"), where + ".reasoning")
        want(reasoning.get("effort", "low") in ("none", "minimal", "low", "medium", "high", "xhigh"),
             "Invalid reasoning effort.", where + ".reasoning.effort")
        want(reasoning.get("summary", "auto") in ("concise", "detailed", "auto"),
             "Invalid reasoning summary.", where + ".reasoning.summary")
    want(isinstance(r.get("tools", []), list), "'%s.tools' must be an array." % where, where + ".tools",
         "invalid_type")
    for i, tool in enumerate(r.get("tools", [])):
        at = "%s.tools[%d]" % (where, i)
        want(isinstance(tool, dict) and isinstance(tool.get("type"), str), "Invalid tool.", at)
        if tool["type"] == "function":
            unknown(tool, ("type", "name", "description", "parameters", "strict"), at)
            want(isinstance(tool.get("name"), str) and tool["name"],
                 "Missing required parameter: '%s.name'." % at, at + ".name", "missing_required_parameter")


def check_input(items):
    """session.start's text-only history (LIVE.md 2)."""
    want(isinstance(items, list), "'session.input' must be an array.", "session.input", "invalid_type")
    want(len(items) <= MAX_INPUT_MESSAGES, "'session.input' has %d messages; at most %d are allowed."
         % (len(items), MAX_INPUT_MESSAGES), "session.input")
    tokens = 0
    for i, item in enumerate(items):
        at = "session.input[%d]" % i
        want(isinstance(item, dict), "'%s' must be an object." % at, at, "invalid_type")
        unknown(item, ("type", "role", "content", "id", "status"), at)
        want(item.get("type", "message") == "message", "'%s.type' must be 'message'." % at, at + ".type")
        want(item.get("role") in PART_TYPES, "'%s.role' must be developer, user or assistant." % at,
             at + ".role")
        content = item.get("content")
        want(isinstance(content, list) and len(content) == 1,
             "'%s.content' must hold exactly one part." % at, at + ".content")
        part = content[0]
        want(isinstance(part, dict), "'%s.content[0]' must be an object." % at, at + ".content[0]")
        unknown(part, ("type", "text"), at + ".content[0]")
        want(part.get("type") in PART_TYPES[item["role"]], "A %s message cannot hold a '%s' part."
             % (item["role"], part.get("type")), at + ".content[0].type")
        want(isinstance(part.get("text"), str), "'%s.content[0].text' must be a string." % at,
             at + ".content[0].text")
        tokens += text_tokens(part["text"])
    want(tokens <= MAX_INPUT_TOKENS, "'session.input' is %d tokens; at most %d are allowed."
         % (tokens, MAX_INPUT_TOKENS), "session.input")


def check_start(s, azure):
    """session.start's session object (LIVE.md 2); returns the session resource's settings."""
    want(isinstance(s, dict), "Missing required parameter: 'session'.", "session", "missing_required_parameter")
    unknown(s, ("model", "instructions", "input", "audio", "delegation", "store", "client"), "session")
    model = s.get("model")
    want(isinstance(model, str) and model, "Missing required parameter: 'session.model'.", "session.model",
         "missing_required_parameter")
    if not azure and model not in MODELS:
        raise Refusal("model_not_found" if model.startswith("gpt-live") else "invalid_model",
                      "The model '%s' is not a GPT-Live model (%s)." % (model, ", ".join(MODELS)),
                      "session.model")
    instructions = s.get("instructions")
    if instructions is not None:
        want(isinstance(instructions, str), "'session.instructions' must be a string.", "session.instructions",
             "invalid_type")
        want(text_tokens(instructions) <= MAX_INSTRUCTIONS_TOKENS, "'session.instructions' is too long.",
             "session.instructions")
    check_input(s.get("input", []))
    fmt, voice = check_audio(s.get("audio", {}))
    want(isinstance(s.get("store", False), bool), "'session.store' must be a boolean.", "session.store",
         "invalid_type")
    return {"model": model, "instructions": instructions, "input": s.get("input", []), "format": fmt,
            "voice": voice, "delegation": check_delegation(s.get("delegation"), "session.delegation"),
            "store": s.get("store", False)}


def check_audio(audio):
    want(isinstance(audio, dict), "'session.audio' must be an object.", "session.audio", "invalid_type")
    unknown(audio, ("format", "output"), "session.audio")
    fmt = audio.get("format", {"type": "audio/pcm", "rate": SAMPLE_RATE})
    want(isinstance(fmt, dict), "'session.audio.format' must be an object.", "session.audio.format",
         "invalid_type")
    unknown(fmt, ("type", "rate"), "session.audio.format")
    want(fmt.get("type") in FORMATS, "Unsupported audio format type %r." % fmt.get("type"),
         "session.audio.format.type")
    rates = FORMATS[fmt["type"]]
    fmt = {"type": fmt["type"], "rate": fmt.get("rate", rates[-1])}
    want(fmt["rate"] in rates, "%s takes a rate of %s." % (fmt["type"], " or ".join(map(str, rates))),
         "session.audio.format.rate")
    output = audio.get("output", {})
    want(isinstance(output, dict), "'session.audio.output' must be an object.", "session.audio.output",
         "invalid_type")
    unknown(output, ("voice",), "session.audio.output")
    voice = output.get("voice", "marin")
    if isinstance(voice, dict):
        unknown(voice, ("id",), "session.audio.output.voice")
        want(isinstance(voice.get("id"), str) and voice["id"].startswith("voice_"),
             "A custom voice is {\"id\": \"voice_...\"}.", "session.audio.output.voice.id")
    else:
        want(voice in VOICES, "Unknown voice %r." % (voice,), "session.audio.output.voice")
    return fmt, voice
