"""A loopback proxy between the operator and the API server that a test switches into failing
modes: pass (TLS passed through untouched), refuse (connections closed at once), stall
(connections accepted, never answered: the client times out) and 503 (TLS ended here with the
API server's own serving certificate, every request answered 503 as an overloaded API server
does)."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import yaml

MODES = ("pass", "refuse", "stall", "503")
_STATUS_503 = json.dumps(
    {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": "the server is currently unable to handle the request",
        "reason": "ServiceUnavailable",
        "code": 503,
    }
).encode()


class FaultProxy:
    """Listens on 127.0.0.1; forwards to `upstream` (host, port) in mode `pass`."""

    def __init__(self, upstream: tuple[str, int], serving_cert: Path, serving_key: Path) -> None:
        self.upstream = upstream
        self.mode = "pass"
        self.counts: Counter[str] = Counter()
        """Connections accepted per mode, and `requests-503`: requests answered 503."""
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._tls.load_cert_chain(str(serving_cert), str(serving_key))
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._server.getsockname()[1]
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def switch(self, mode: str) -> None:
        """Change the mode; open connections are cut (a client sees its streams break)."""
        assert mode in MODES
        with self._lock:
            self.mode = mode
            sockets = list(self._open)
            self._open.clear()
        # Only shut down here: each socket is closed by the thread that uses it, so no
        # thread ever writes to a file descriptor number another socket or pipe reuses.
        for sock in sockets:
            _shutdown(sock)

    def count(self, key: str) -> int:
        with self._lock:
            return self.counts[key]

    def close(self) -> None:
        self._stopped.set()
        _shutdown(self._server)
        self.switch("pass")
        self._thread.join(timeout=5)
        _close(self._server)

    def _track(self, *sockets: socket.socket) -> None:
        with self._lock:
            self._open.update(sockets)

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                mode = self.mode
                self.counts[mode] += 1
            if mode == "refuse":
                _close(client)
                continue
            handler = {"pass": self._pass, "stall": self._stall, "503": self._unavailable}[mode]
            threading.Thread(target=handler, args=(client,), daemon=True).start()

    def _pass(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            _close(client)
            return
        upstream.settimeout(None)
        self._track(client, upstream)
        back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
        back.start()
        _pipe(client, upstream)
        back.join()
        _close(client)
        _close(upstream)

    def _stall(self, client: socket.socket) -> None:
        self._track(client)
        with contextlib.suppress(OSError):
            while client.recv(65536):
                pass
        _close(client)

    def _unavailable(self, client: socket.socket) -> None:
        self._track(client)
        try:
            tls = self._tls.wrap_socket(client, server_side=True)
        except (OSError, ssl.SSLError):
            _close(client)
            return
        self._track(tls)
        with contextlib.suppress(OSError, ssl.SSLError):
            for _ in _requests(tls):
                with self._lock:
                    self.counts["requests-503"] += 1
                tls.sendall(
                    b"HTTP/1.1 503 Service Unavailable\r\n"
                    b"Content-Type: application/json\r\n"
                    b"Retry-After: 1\r\n"
                    + f"Content-Length: {len(_STATUS_503)}\r\n\r\n".encode()
                    + _STATUS_503
                )
        _close(tls)


def _requests(sock: ssl.SSLSocket) -> Iterator[bytes]:
    """Each HTTP/1.1 request read from `sock` (head, then a Content-Length body)."""
    buffer = b""
    while True:
        while b"\r\n\r\n" not in buffer:
            chunk = sock.recv(65536)
            if not chunk:
                return
            buffer += chunk
        head, _, buffer = buffer.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(buffer) < length:
            chunk = sock.recv(65536)
            if not chunk:
                return
            buffer += chunk
        buffer = buffer[length:]
        yield head


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    """Copy until either side ends, then end both (the caller closes them)."""
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    _shutdown(source)
    _shutdown(sink)


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _close(sock: socket.socket) -> None:
    _shutdown(sock)
    with contextlib.suppress(OSError):
        sock.close()


def proxied_kubeconfig(kubeconfig: Path, proxy: FaultProxy, out: Path) -> Path:
    """A copy of `kubeconfig` whose server is the proxy; the serving certificate's names
    (127.0.0.1) still match, so the client verifies the API server as before."""
    config = yaml.safe_load(kubeconfig.read_text())
    for cluster in config["clusters"]:
        cluster["cluster"]["server"] = proxy.url
    out.write_text(yaml.safe_dump(config))
    out.chmod(0o600)
    return out


def serving_pair(kubeconfig: Path) -> tuple[Path, Path]:
    """The API server's serving certificate and key of a local control plane (beside the CA
    its kubeconfig names)."""
    config = yaml.safe_load(kubeconfig.read_text())
    pki = Path(config["clusters"][0]["cluster"]["certificate-authority"]).parent
    return pki / "apiserver.crt", pki / "apiserver.key"
