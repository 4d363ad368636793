"""A real webhook receiver on 127.0.0.1: verifies signatures and deduplicates on webhook-id."""

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    webhook_id: str
    body: bytes
    headers: dict[str, str]
    at: float
    verified: bool | None = None
    status: int = 200


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    # Seconds to wait before answering, after the effect is applied (a slow receiver).
    delay: float = 0.0


def _event_of(received: Received) -> str:
    """The event a message carries (its sequence), or the message itself when it names none."""
    try:
        data = json.loads(received.body)["data"]
    except (ValueError, KeyError, TypeError):
        return received.webhook_id
    return str(data.get("sequence") or received.webhook_id)


class WebhookReceiver:
    """Applies each message's effect once per ``webhook-id``, as a partner system should.

    ``reply(received, seen_before)`` decides the answer; the default is 200 at once. With a
    ``secret``, a message whose signature does not verify is answered 401 and has no effect.
    """

    def __init__(self, *, secret: str | None = None, reply=None):
        self.secret = secret
        self.reply = reply or (lambda received, seen_before: Reply())
        self.received: list[Received] = []
        self.effects: dict[str, bytes] = {}
        # Effects per event: a second one means the event came again under another webhook-id,
        # which deduplicating on webhook-id cannot catch.
        self.effects_per_event: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/hooks"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def figures(self) -> dict[str, int]:
        """Requests seen, distinct messages with effect, duplicates seen and with effect."""
        with self._lock:
            counts = Counter(r.webhook_id for r in self.received if r.verified is not False)
            return {
                "requests": len(self.received),
                "effects": len(self.effects),
                "duplicates_seen": sum(n - 1 for n in counts.values()),
                "duplicates_with_effect": sum(n - 1 for n in self.effects_per_event.values()),
            }

    def wait_for(self, condition, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if condition(self):
                    return True
            time.sleep(0.05)
        return False

    def _verify(self, body: bytes, headers: dict[str, str]) -> bool | None:
        if self.secret is None:
            return None
        try:
            Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            return False
        return True

    def _receive(self, body: bytes, headers: dict[str, str]) -> Reply:
        received = Received(
            webhook_id=headers.get("webhook-id", ""),
            body=body,
            headers=headers,
            at=time.monotonic(),
            verified=self._verify(body, headers),
        )
        with self._lock:
            seen_before = received.webhook_id in self.effects
            if received.verified is not False and not seen_before:
                self.effects[received.webhook_id] = body
                self.effects_per_event[_event_of(received)] += 1
            self.received.append(received)
        if received.verified is False:
            return Reply(status=401)
        answer = self.reply(received, seen_before)
        received.status = answer.status
        return answer

    def _handler_class(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                answer = receiver._receive(body, headers)
                if answer.delay:
                    time.sleep(answer.delay)
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sender went away (a killed worker): nothing to answer

            def log_message(self, *args):
                pass

        return Handler
