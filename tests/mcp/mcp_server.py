#!/usr/bin/env python3
"""A small MCP server for the tests, written from the specification (2025-11-25): the stdio
transport (one JSON-RPC 2.0 message per line on stdin and stdout, logging on stderr), the
lifecycle (initialize, notifications/initialized) and the tools (tools/list, tools/call,
notifications/tools/list_changed). Python 3 standard library only.

Usage: mcp_server.py [MODE ...] [--log FILE]
Modes that misbehave, for the tests:
  crash          exit 3 at once, before reading anything (with a line on stderr)
  hang           read requests, never answer
  garbage        answer initialize with lines that are not JSON-RPC first
  huge           answer initialize with one line of 8 MiB first
  many-tools     list 1000 tools
  bad-names      list tools whose names the API would refuse, next to a good one
  bad-version    answer initialize with protocol version 1999-01-01
  error-init     answer initialize with a JSON-RPC error
  exit-after-init  exit after the tools/list answer
  crash-on-call  exit 5 on any tools/call, before answering (with a line on stderr)
  paged          list the tools three to a page, with nextCursor
  endless        list one tool per page, and always another cursor
  mutate=SEED    answer tools/list with its JSON text damaged at random (seeded): bytes
                 changed, dropped or repeated
  linger         ignore SIGTERM, start a grandchild (`sleep 300`, its pid in --child-pid FILE),
                 and stay after the end of stdin
--log FILE: every message received is appended to FILE, one JSON line each (the tests read which
arguments reached the server). --pid FILE: the server's pid is written there.

Tools:
  echo(text: string)           text content: the text
  add(a: integer, b: integer)  text content: the sum
  fail()                       a result with isError: true
  picture()                    an image content item and a text item
  sleep(ms: integer)           answers after ms milliseconds
  shout()                      answers with 1 MiB of text content
  change()                     sends notifications/tools/list_changed, then adds tool "late"
"""

import json
import os
import random
import signal
import subprocess
import sys
import time

PROTOCOL_VERSION = "2025-11-25"

TOOLS = [
    {"name": "echo", "title": "Echo", "description": "Says the text back.",
     "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}},
    {"name": "add", "description": "Adds two whole numbers.",
     "inputSchema": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                     "required": ["a", "b"]}},
    {"name": "fail", "description": "Always fails.", "inputSchema": {"type": "object"}},
    {"name": "picture", "description": "Returns a picture.", "inputSchema": {"type": "object", "properties": {}}},
    {"name": "sleep", "description": "Waits.",
     "inputSchema": {"type": "object", "properties": {"ms": {"type": "integer"}}}},
    {"name": "shout", "description": "Says a lot.", "inputSchema": {"type": "object", "properties": {}}},
    {"name": "change", "description": "Changes the tool list.", "inputSchema": {"type": "object", "properties": {}}},
]


def send(message):
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def result(request_id, value):
    send({"jsonrpc": "2.0", "id": request_id, "result": value})


def error(request_id, code, message):
    send({"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}})


def text(t):
    return {"content": [{"type": "text", "text": t}], "isError": False}


def damaged(text, seed):
    """text with a few random bytes changed, dropped or repeated; never a newline inside."""
    rng = random.Random(seed)
    data = bytearray(text.encode())
    for _ in range(rng.randint(1, 8)):
        at = rng.randrange(len(data))
        what = rng.randrange(3)
        if what == 0:
            data[at] = rng.choice(b'{}[]",:\\0123456789eE.-+ntfu\x00\x7f\xc3\xff')
        elif what == 1:
            del data[at]
        else:
            data[at:at] = data[at:at + rng.randint(1, 64)]
    return data.replace(b"\n", b" ")


def call(name, args, tools):
    if name == "echo":
        return text(str(args.get("text", "")))
    if name == "add":
        return text(str(args["a"] + args["b"]))
    if name == "fail":
        return {"content": [{"type": "text", "text": "it failed"}], "isError": True}
    if name == "picture":
        return {"content": [{"type": "image", "data": "iVBORw0KGgo=", "mimeType": "image/png"},
                            {"type": "text", "text": "a picture"}]}
    if name == "sleep":
        time.sleep(args.get("ms", 0) / 1000)
        return text("slept")
    if name == "shout":
        return text("A" * (1 << 20))
    if name == "change":
        send({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
        tools.append({"name": "late", "description": "Came later.", "inputSchema": {"type": "object"}})
        return text("changed")
    if name == "late":
        return text("late")
    return None


def main():
    args = sys.argv[1:]
    modes = set()
    log = None
    child_pid_file = None
    i = 0
    while i < len(args):
        if args[i] in ("--log", "--pid", "--child-pid"):
            if args[i] == "--log":
                log = args[i + 1]
            elif args[i] == "--pid":
                with open(args[i + 1], "w") as f:
                    f.write(str(os.getpid()))
            else:
                child_pid_file = args[i + 1]
            i += 2
            continue
        modes.add(args[i])
        i += 1
    sys.stderr.write("test server: started\n")
    sys.stderr.flush()
    if "crash" in modes:
        sys.stderr.write("test server: crashing as asked\n")
        sys.exit(3)
    if "linger" in modes:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        grandchild = subprocess.Popen(["sleep", "300"], stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if child_pid_file:
            with open(child_pid_file, "w") as f:
                f.write(str(grandchild.pid))
    tools = [dict(t) for t in TOOLS]
    if "many-tools" in modes:
        tools = [{"name": "t%d" % n, "inputSchema": {"type": "object"}} for n in range(1000)]
    if "bad-names" in modes:
        tools = [{"name": "has space", "inputSchema": {"type": "object"}},
                 {"name": "x" * 65, "inputSchema": {"type": "object"}},
                 {"name": "no_schema"},
                 {"name": "bad_schema", "inputSchema": {"type": "string"}},
                 {"name": 7, "inputSchema": {"type": "object"}},
                 {"name": "pick", "inputSchema": {"type": "object", "properties": {"x": {"const": 1}}}},
                 "not an object",
                 {"name": "echo", "description": "Says the text back.",
                  "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}}},
                 {"name": "echo", "inputSchema": {"type": "object"}}]
    for line in sys.stdin:
        try:
            message = json.loads(line)
        except ValueError:
            error(None, -32700, "Parse error")
            continue
        if log:
            with open(log, "a") as f:
                f.write(json.dumps(message) + "\n")
        if "hang" in modes:
            continue
        method = message.get("method")
        request_id = message.get("id")
        if method == "initialize":
            if "garbage" in modes:
                sys.stdout.write("not json\n{\"jsonrpc\": \"2.0\"}\n[1,2]\n\"\\ud800\"\n\n")
            if "huge" in modes:
                sys.stdout.write("x" * (8 << 20) + "\n")
            if "error-init" in modes:
                error(request_id, -32602, "Unsupported protocol version")
                continue
            version = "1999-01-01" if "bad-version" in modes else PROTOCOL_VERSION
            result(request_id, {"protocolVersion": version, "capabilities": {"tools": {"listChanged": True}},
                                "serverInfo": {"name": "voxterm-test-server", "version": "1.0"}})
        elif method == "notifications/initialized":
            pass
        elif method == "tools/list":
            seeds = [m.split("=", 1)[1] for m in modes if m.startswith("mutate=")]
            if seeds:
                sys.stdout.flush()
                sys.stdout.buffer.write(damaged(json.dumps({"jsonrpc": "2.0", "id": request_id,
                                                            "result": {"tools": tools}}), int(seeds[0])) + b"\n")
                sys.stdout.buffer.flush()
                continue
            cursor = (message.get("params") or {}).get("cursor")
            if "paged" in modes:
                start = int(cursor or 0)
                page = {"tools": tools[start:start + 3]}
                if start + 3 < len(tools):
                    page["nextCursor"] = str(start + 3)
                result(request_id, page)
                continue
            if "endless" in modes:
                n = int(cursor or 0)
                result(request_id, {"tools": [{"name": "t%d" % n, "inputSchema": {"type": "object"}}],
                                    "nextCursor": str(n + 1)})
                continue
            result(request_id, {"tools": tools})
            if "exit-after-init" in modes:
                sys.exit(0)
        elif method == "tools/call":
            params = message.get("params", {})
            if "crash-on-call" in modes:
                sys.stderr.write("test server: crashing in a call\n")
                sys.stderr.flush()
                sys.exit(5)
            answer = call(params.get("name"), params.get("arguments", {}), tools)
            if answer is None:
                error(request_id, -32602, "Unknown tool: %s" % params.get("name"))
            else:
                result(request_id, answer)
        elif method == "ping":
            result(request_id, {})
        elif request_id is not None:
            error(request_id, -32601, "Method not found")
    if "linger" in modes:
        time.sleep(300)


if __name__ == "__main__":
    main()
