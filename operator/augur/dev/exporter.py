"""The shop's load served over HTTP on 127.0.0.1 (`augur.dev.load`), for `augur dev up`.

`GET /metrics` serves the series as they are now; `POST /inject` with a JSON body
`{"kind": "errors"|"latency", "service": …, "seconds": …, "amount": …}` starts an injection
and answers the running injections; `GET /injections` lists them. Started as
`python -m augur.dev.exporter --port P [--history-file F --history SECONDS]`, it first writes
the series of the last SECONDS into F (OpenMetrics, for the live Prometheus' backfill), then
serves, continuing those counters.

`inject` and `load_url` are the client side (`augur dev inject`).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

from augur.dev import processes
from augur.dev.load import Injection, Kind, Load, check_injection, exposition, history
from augur.dev.processes import ClusterError, Process, free_port

HISTORY_STEP = 60.0
STATE_FILE = "load.json"
"""In a `augur dev up` run folder: where its exporter listens (`{"url": …}`)."""
JOB = "augur-dev-load"
"""The scrape job the live stack adds for the exporter."""
SCRAPE_INTERVAL = "10s"


class LoadError(RuntimeError):
    """The exporter cannot be reached or refused a request; the message says why."""


class Exporter:
    """The load and the lock that serialises its use by the server's threads."""

    def __init__(self, load: Load) -> None:
        self.load = load
        self.lock = threading.Lock()

    def metrics(self, now: float) -> bytes:
        with self.lock:
            self.load.advance(now)
            return exposition(self.load).encode()

    def inject(self, request: dict[str, Any], now: float) -> tuple[int, dict[str, Any]]:
        try:
            kind, service = str(request["kind"]), str(request["service"])
            seconds, amount = float(request["seconds"]), float(request["amount"])
        except (KeyError, TypeError, ValueError):
            return 400, {"error": "give kind, service, seconds and amount"}
        problem = check_injection(kind, service, amount)
        if problem is None and seconds <= 0:
            problem = f"an injection lasts a positive number of seconds, not {seconds}"
        if problem is not None:
            return 400, {"error": problem}
        with self.lock:
            self.load.advance(now)
            self.load.inject(Injection(cast(Kind, kind), service, now + seconds, amount))
        return 200, self.injections(now)

    def injections(self, now: float) -> dict[str, Any]:
        with self.lock:
            running = [i for i in self.load.injections if i.until > now]
        return {
            "injections": [
                {
                    "kind": i.kind,
                    "service": i.service,
                    "amount": i.amount,
                    "seconds_left": round(i.until - now),
                }
                for i in running
            ]
        }


def _handler(exporter: Exporter) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/metrics":
                self._reply(200, exporter.metrics(time.time()), "text/plain; version=0.0.4")
            elif self.path == "/injections":
                self._json(200, exporter.injections(time.time()))
            else:
                self._reply(404, b"", "text/plain")

        def do_POST(self) -> None:
            if self.path != "/inject":
                self._reply(404, b"", "text/plain")
                return
            length = int(self.headers.get("Content-Length") or 0)
            try:
                request = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                self._json(400, {"error": "the body is not JSON"})
                return
            self._json(*exporter.inject(request if isinstance(request, dict) else {}, time.time()))

        def _json(self, status: int, body: dict[str, Any]) -> None:
            self._reply(status, json.dumps(body).encode(), "application/json")

        def _reply(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def serve(port: int, load: Load) -> ThreadingHTTPServer:
    """A server for `load` on 127.0.0.1:`port` (call serve_forever)."""
    return ThreadingHTTPServer(("127.0.0.1", port), _handler(Exporter(load)))


def write_history(load: Load, path: Path, seconds: float, step: float = HISTORY_STEP) -> None:
    """The series of the last `seconds` into `path` (OpenMetrics), leaving `load` at its end."""
    end = load.now
    load.now = end - seconds
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w") as out:
        out.writelines(history(load, end, step))
    temporary.replace(path)


@dataclass
class RunningExporter:
    """An exporter process started by `start_exporter`."""

    process: Process
    url: str
    history: Path
    state: Path

    def scrape_job(self) -> dict[str, Any]:
        """The static scrape job a live stack adds for it."""
        return {
            "job_name": JOB,
            "scrape_interval": SCRAPE_INTERVAL,
            "static_configs": [{"targets": [self.url.removeprefix("http://")]}],
        }

    def stop(self) -> None:
        """Stop the process (its group) and forget its URL."""
        proc = self.process
        children = {proc.pid: proc.popen} if proc.popen is not None else {}
        processes.stop({proc.name: proc.pid}, children=children)
        self.state.unlink(missing_ok=True)
        self.history.unlink(missing_ok=True)


def start_exporter(run_dir: Path, history_seconds: float = 0.0) -> RunningExporter:
    """Start the exporter in its own process group, killed when this process ends; return once
    it serves (after writing `history_seconds` of history into `.history`, if asked). Its URL
    is kept in `run_dir`'s load.json, where `augur dev inject` finds it."""
    port = free_port()
    history_file = run_dir / "load-history.om"
    history_file.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "augur.dev.exporter", "--port", str(port)]
    if history_seconds > 0:
        argv += ["--history-file", str(history_file), "--history", str(history_seconds)]
    proc = processes.start("load-exporter", argv, run_dir / "logs", die_with_parent=True)
    url = f"http://127.0.0.1:{port}"
    running = RunningExporter(proc, url, history_file, run_dir / STATE_FILE)

    def serving() -> bool:
        with urllib.request.urlopen(f"{url}/injections", timeout=2) as response:
            return int(response.status) == 200

    try:
        processes.wait_until(serving, proc, "serving", timeout=120)
    except ClusterError:
        running.stop()
        raise
    running.state.write_text(json.dumps({"url": url}))
    return running


def load_url(run_dir: Path) -> str:
    """Where the exporter of the `augur dev up` running from `run_dir` listens."""
    try:
        return str(json.loads((run_dir / STATE_FILE).read_text())["url"])
    except (OSError, ValueError, KeyError):
        raise LoadError(f"no load exporter runs from {run_dir}: start `augur dev up`") from None


def inject(url: str, kind: str, service: str, seconds: float, amount: float) -> dict[str, Any]:
    """Ask the exporter at `url` for an injection; its answer (the running injections)."""
    body = json.dumps(
        {"kind": kind, "service": service, "seconds": seconds, "amount": amount}
    ).encode()
    request = urllib.request.Request(
        f"{url}/inject", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            answer: dict[str, Any] = json.loads(response.read())
            return answer
    except urllib.error.HTTPError as error:
        try:
            message = json.loads(error.read())["error"]
        except (ValueError, KeyError):
            message = str(error)
        raise LoadError(str(message)) from None
    except OSError as error:
        raise LoadError(f"cannot reach the load exporter at {url}: {error}") from None


def main(argv: list[str] | None = None) -> None:
    """Write the history (if asked), then serve until killed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--history-file", type=Path)
    parser.add_argument("--history", type=float, default=0.0, help="seconds of history")
    args = parser.parse_args(argv)
    load = Load(now=time.time())
    if args.history_file is not None and args.history > 0:
        write_history(load, args.history_file, args.history)
    server = serve(args.port, load)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
