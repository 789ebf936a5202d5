"""A stand-in API server over HTTPS for the client's tests: it records each request and answers
with what the test's `respond` returns."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from augur.dev.certs import ClusterCertificates


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    client_subject: str
    """The client certificate's common name, "" without one."""


Respond = Callable[[Request], tuple[int, Any]]


def ok(request: Request) -> tuple[int, Any]:
    return 200, {"kind": "Status", "path": request.path}


@dataclass
class Stub:
    server: str
    requests: list[Request] = field(default_factory=list)
    respond: Respond = ok


@contextmanager
def apiserver(certs: ClusterCertificates, *, require_client_cert: bool = False) -> Iterator[Stub]:
    """An HTTPS server on 127.0.0.1 with the serving certificate of `certs` (it names localhost,
    127.0.0.1 and kubernetes.default.svc), asking for a client certificate of its client CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certs.serving.cert, certs.serving.key)
    context.load_verify_locations(cafile=str(certs.client_ca.cert))
    context.verify_mode = ssl.CERT_REQUIRED if require_client_cert else ssl.CERT_OPTIONAL
    stub = Stub("")

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            peer = (
                self.connection.getpeercert()
                if isinstance(self.connection, ssl.SSLSocket)
                else None
            )
            subject = ""
            for rdn in (peer or {}).get("subject", ()):
                for key, value in rdn:
                    if key == "commonName":
                        subject = value
            request = Request(
                self.command,
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length),
                subject,
            )
            stub.requests.append(request)
            status, body = stub.respond(request)
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    stub.server = f"https://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def pem(path: Path) -> bytes:
    return path.read_bytes()
