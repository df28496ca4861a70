"""A tiny threaded HTTP server on 127.0.0.1 (ephemeral port) for fakes of external services.

A fake subclasses `FakeServer` and implements `handle(request) -> Reply`. Every request is
recorded, and tests can queue canned failures (`fail_next`) ahead of the normal answers.
"""

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list → JSON, bytes/str → sent as is
    headers: dict[str, str] = field(default_factory=dict)


class FakeServer:
    def __init__(self, port: int = 0) -> None:
        self.requests: list[Request] = []
        self._canned: deque[tuple[str | None, Reply]] = deque()
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                reply = fake._dispatch(request)
                body = reply.body
                if isinstance(body, (dict, list)):
                    payload = json.dumps(body).encode()
                    content_type = "application/json"
                elif isinstance(body, str):
                    payload, content_type = body.encode(), "text/plain"
                else:
                    payload, content_type = body or b"", "application/octet-stream"
                self.send_response(reply.status)
                headers = {"Content-Type": content_type, **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def fail_next(self, reply: Reply, *, times: int = 1, path_contains: str | None = None) -> None:
        """Answer the next `times` matching requests with `reply` instead of the normal answer."""
        with self._lock:
            for _ in range(times):
                self._canned.append((path_contains, reply))

    def _dispatch(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            for index, (needle, reply) in enumerate(self._canned):
                if needle is None or needle in request.path + "?" + str(request.query):
                    del self._canned[index]
                    return reply
        try:
            return self.handle(request)
        except Exception as exc:  # a bug in a fake must show in the test, not hang it
            return Reply(599, {"fake_error": repr(exc)})

    def handle(self, request: Request) -> Reply:
        raise NotImplementedError


class FakeSubscriber(FakeServer):
    """A webhook receiver: answers 200 unless told otherwise (see `fail_next`)."""

    def handle(self, request: Request) -> Reply:
        return Reply(200, {"ok": True})
