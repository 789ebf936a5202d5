"""/healthz and /metrics of the operator process."""

from __future__ import annotations

from aiohttp import web

from augur.controllers.state import OperatorState


def endpoints_app(state: OperatorState) -> web.Application:
    """The probe and metrics endpoints."""

    async def healthz(_: web.Request) -> web.Response:
        if state.catalog is None:
            return web.Response(status=503, text="starting\n")
        return web.Response(text="ok\n")

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(
            body=state.metrics.exposition(),
            headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
        )

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


async def serve(state: OperatorState, host: str, port: int) -> web.AppRunner:
    """Start serving; the caller cleans the runner up."""
    runner = web.AppRunner(endpoints_app(state), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
