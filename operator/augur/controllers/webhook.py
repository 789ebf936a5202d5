"""The validating admission webhook: the API server asks, `admission_problems` answers.

Every replica serves it (a standby one too: admission needs no lease), over TLS from a
certificate and key read from files. Nothing here writes the webhook's configuration: the
Helm chart owns the ValidatingWebhookConfiguration and the certificate Secret, so replicas
never fight over `caBundle`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from augur.api.admission import admission_problems, denial_message
from augur.api.resources import Problem

logger = logging.getLogger("augur.webhook")

VALIDATE_PATH = "/validate"
CHECKED_OPERATIONS = frozenset({"CREATE", "UPDATE"})
# An AdmissionReview of an UPDATE holds the object twice; an AlertPolicy may come near
# etcd's 1.5 MiB limit.
MAX_REVIEW_BYTES = 8 * 1024 * 1024
RELOAD_INTERVAL = 30.0


def review_response(review: dict[str, Any]) -> dict[str, Any]:
    """The admission.k8s.io/v1 AdmissionReview answering `review`: allowed, or denied with
    `augur validate`'s words for the object. Only CREATE and UPDATE of an object itself are
    checked; DELETE, CONNECT and subresources (status) are always allowed."""
    request = review.get("request") or {}
    operation = str(request.get("operation") or "")
    obj = request.get("object") or {}
    namespace = str(request.get("namespace") or "")
    problems: list[Problem] = []
    if operation in CHECKED_OPERATIONS and not request.get("subResource"):
        old = request.get("oldObject") if operation == "UPDATE" else None
        problems = admission_problems(obj, old=old, namespace=namespace or None)
    response: dict[str, Any] = {"uid": request.get("uid", ""), "allowed": not problems}
    if problems:
        response["status"] = {
            "code": 422,
            "reason": "Invalid",
            "message": denial_message(obj, problems, namespace),
        }
    return {
        "apiVersion": str(review.get("apiVersion") or "admission.k8s.io/v1"),
        "kind": "AdmissionReview",
        "response": response,
    }


def webhook_app() -> web.Application:
    """POST /validate: an AdmissionReview in, its answer out (the checks run in a thread:
    parsing PromQL is CPU work and must not stall the operator's event loop)."""

    async def validate(request: web.Request) -> web.Response:
        try:
            review = await request.json()
        except (ValueError, RecursionError):  # deep nesting fails by recursion
            return web.json_response({"message": "not a JSON AdmissionReview"}, status=400)
        if not isinstance(review, dict) or not isinstance(review.get("request"), dict):
            return web.json_response({"message": "not an AdmissionReview"}, status=400)
        return web.json_response(await asyncio.to_thread(review_response, review))

    app = web.Application(client_max_size=MAX_REVIEW_BYTES)
    app.router.add_post(VALIDATE_PATH, validate)
    return app


@dataclass(frozen=True)
class ServingCertificate:
    """The webhook's certificate and key files (a mounted kubernetes.io/tls Secret)."""

    cert: Path
    key: Path

    def stamp(self) -> tuple[float, float]:
        """When the files last changed."""
        return (self.cert.stat().st_mtime, self.key.stat().st_mtime)

    def context(self) -> ssl.SSLContext:
        """A server TLS context holding the certificate."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert, self.key)
        return context


async def _reload_when_changed(
    files: ServingCertificate, context: ssl.SSLContext, interval: float
) -> None:
    """Load the certificate again into the live context when its files change (a Secret
    replaced to rotate it): new connections get the new one, no restart needed."""
    seen = files.stamp()
    while True:
        await asyncio.sleep(interval)
        try:
            stamp = files.stamp()
            if stamp != seen:
                context.load_cert_chain(files.cert, files.key)
                seen = stamp
                logger.info("webhook certificate reloaded from %s", files.cert)
        except (OSError, ssl.SSLError) as error:  # half-written during a Secret update
            logger.warning("webhook certificate not reloaded: %s", error)


@contextlib.asynccontextmanager
async def serving_webhook(
    host: str, port: int, files: ServingCertificate, *, reload_interval: float = RELOAD_INTERVAL
) -> AsyncIterator[None]:
    """Serve the webhook over TLS on host:port while the context is open."""
    context = files.context()
    runner = web.AppRunner(webhook_app(), access_log=None)
    await runner.setup()
    reloader = asyncio.create_task(_reload_when_changed(files, context, reload_interval))
    try:
        await web.TCPSite(runner, host, port, ssl_context=context).start()
        yield
    finally:
        reloader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reloader
        await runner.cleanup()
