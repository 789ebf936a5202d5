"""/healthz and /metrics of the operator process."""

from __future__ import annotations

from aiohttp import web

from augur.handlers.runtime import Runtime


def endpoints_app(runtime: Runtime) -> web.Application:
    """The probe and metrics endpoints."""

    async def healthz(_: web.Request) -> web.Response:
        if runtime.catalog is None:
            return web.Response(status=503, text="starting\n")
        return web.Response(text="ok\n")

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(
            body=runtime.metrics.exposition(),
            headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
        )

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


async def serve(runtime: Runtime, host: str, port: int) -> web.AppRunner:
    """Start serving; the caller cleans the runner up."""
    runner = web.AppRunner(endpoints_app(runtime), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
