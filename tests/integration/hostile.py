"""A hand-written WebSocket server for the connection attacks: it does, byte for byte, what a
hostile server might (redirect the upgrade, never answer it, drip it, drop every session, freeze),
where the mock follows the protocol. Loopback only; every socket has a timeout and the server
stops by itself after `lifetime` seconds."""

import base64
import hashlib
import json
import socket
import ssl
import struct
import threading
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Conn:
    """One accepted connection, as the handler sees it."""

    def __init__(self, sock, server):
        self.sock = sock
        self.server = server
        self.buffer = b""

    def read_request(self, timeout=10):
        """The request head (bytes up to the blank line), also recorded on the server; b"" if
        the client sent none."""
        self.sock.settimeout(timeout)
        while b"\r\n\r\n" not in self.buffer:
            try:
                data = self.sock.recv(65536)
            except (OSError, socket.timeout):
                return b""
            if not data:
                return b""
            self.buffer += data
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        with self.server.lock:
            self.server.requests.append(head)
        return head

    def send(self, data):
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def accept_upgrade(self, head):
        key = b""
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"sec-websocket-key:"):
                key = line.split(b":", 1)[1].strip()
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        return self.send(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                         b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")

    def upgrade(self):
        """Reads the request and accepts it; False if the client never asked."""
        head = self.read_request()
        return bool(head) and self.accept_upgrade(head)

    def frame(self, opcode, payload, fin=True, rsv=0, mask=False):
        first = (0x80 if fin else 0) | (rsv << 4) | opcode
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", first, (0x80 if mask else 0) | n)
        elif n < 65536:
            header = struct.pack("!BBH", first, (0x80 if mask else 0) | 126, n)
        else:
            header = struct.pack("!BBQ", first, (0x80 if mask else 0) | 127, n)
        if mask:
            key = b"\x01\x02\x03\x04"
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
            header += key
        return self.send(header + payload)

    def event(self, obj):
        return self.frame(0x1, json.dumps(obj).encode())

    def session_created(self, n=0):
        return self.event({"type": "session.created", "event_id": "ev_%d" % n,
                           "session": {"id": "sess_%d" % n, "object": "realtime.session"}})

    def read_frame(self, timeout=10):
        """(opcode, payload) of the client's next frame, or None when it is gone or silent."""
        self.sock.settimeout(timeout)
        deadline = time.time() + timeout
        while True:
            parsed = self._parse()
            if parsed:
                return parsed
            if time.time() > deadline:
                return None
            try:
                data = self.sock.recv(65536)
            except (OSError, socket.timeout):
                return None
            if not data:
                return None
            self.buffer += data

    def _parse(self):
        b = self.buffer
        if len(b) < 2:
            return None
        opcode, n, at = b[0] & 0x0F, b[1] & 0x7F, 2
        if n == 126:
            if len(b) < 4:
                return None
            n, at = struct.unpack("!H", b[2:4])[0], 4
        elif n == 127:
            if len(b) < 10:
                return None
            n, at = struct.unpack("!Q", b[2:10])[0], 10
        masked = b[1] & 0x80
        key = b[at:at + 4] if masked else b""
        at += 4 if masked else 0
        if len(b) < at + n:
            return None
        payload = b[at:at + n]
        if masked:
            payload = bytes(c ^ key[i % 4] for i, c in enumerate(payload))
        self.buffer = b[at + n:]
        return opcode, payload

    def read_event(self, timeout=10):
        """The client's next JSON event (pings answered, a close frame or silence: None)."""
        while True:
            frame = self.read_frame(timeout)
            if frame is None or frame[0] == 0x8:
                return None
            if frame[0] == 0x9:
                self.frame(0xA, frame[1])
                continue
            if frame[0] == 0x1:
                return json.loads(frame[1])

    def wait_for(self, kind, timeout=10):
        """Reads events until one of this type; None if the client went away first."""
        while True:
            event = self.read_event(timeout)
            if event is None or event.get("type") == kind:
                return event

    def answer(self, n, text):
        """A whole text answer: response.created, one delta, response.done."""
        rid = "resp_%d" % n
        self.event({"type": "response.created", "event_id": "ev_c%d" % n,
                    "response": {"id": rid, "object": "realtime.response", "status": "in_progress"}})
        self.event({"type": "response.output_text.delta", "event_id": "ev_d%d" % n, "response_id": rid,
                    "item_id": "item_%d" % n, "output_index": 0, "content_index": 0, "delta": text})
        self.event({"type": "response.done", "event_id": "ev_e%d" % n,
                    "response": {"id": rid, "object": "realtime.response", "status": "completed",
                                 "output": []}})

    def drop(self):
        """Gone without a close frame: the client sees 1006."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class Hostile:
    """A server on 127.0.0.1 that runs handler(conn) for each connection, each in a thread of its
    own. Counts connections and records request heads; tls: (certificate, key) to serve wss://."""

    def __init__(self, handler=None, tls=None, lifetime=90):
        self.handler = handler
        self.lock = threading.Lock()
        self.connections = 0
        self.requests = []
        self.context = None
        if tls:
            self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.context.load_cert_chain(tls[0], tls[1])
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stopped = threading.Event()
        self.deadline = time.time() + lifetime
        self.open = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def url(self, scheme="ws", path="/v1/realtime"):
        return "%s://127.0.0.1:%d%s" % (scheme, self.port, path)

    def alive(self):
        return not self.stopped.is_set() and time.time() < self.deadline

    def _serve(self):
        while self.alive():
            try:
                sock, _ = self.sock.accept()
            except (OSError, socket.timeout):
                continue
            with self.lock:
                self.connections += 1
                self.open.append(sock)
            threading.Thread(target=self._handle, args=(sock,), daemon=True).start()
        self.sock.close()

    def _handle(self, sock):
        try:
            if self.context:
                sock.settimeout(10)
                sock = self.context.wrap_socket(sock, server_side=True)
                with self.lock:
                    self.open.append(sock)
            if self.handler:
                self.handler(Conn(sock, self))
            else:
                Conn(sock, self).read_request()  # a listener that only records
        except (OSError, ssl.SSLError, ValueError):
            pass

    def stop(self):
        self.stopped.set()
        self.thread.join(5)
        with self.lock:
            for sock in self.open:
                try:
                    sock.close()
                except OSError:
                    pass
