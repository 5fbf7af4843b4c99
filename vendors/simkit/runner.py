"""Command-line entry shared by the simulators' ``__main__``.

Why the ``LISTENING`` line: simulators bind port 0 (an ephemeral port, so parallel test runs never
collide) and announce the real address as exactly one stdout line, ``LISTENING http://HOST:PORT``,
which ``launcher.start_simulator`` waits for. Everything else goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Callable, Sequence

from aiohttp import web

from .core import SimCore
from .faults import FaultConfig

LISTENING_PREFIX = "LISTENING "


def common_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """Flags every simulator accepts; a vendor adds its own (``--accounts`` ...) before parsing."""
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free one (default)")
    p.add_argument("--plants", type=int, default=100, help="number of enrolled plants")
    p.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second (0 pauses)")
    p.add_argument("--seed", type=int, default=1, help="seed for the world and the faults")
    p.add_argument("--start-epoch", type=float, default=None, help="simulated start (Unix s); default now")
    p.add_argument("--latency-ms", type=float, default=0.0, help="added latency per vendor request")
    p.add_argument("--error-rate", type=float, default=0.0, help="share of vendor requests answered 503")
    p.add_argument("--drop-rate", type=float, default=0.0, help="share of connections closed unanswered")
    p.add_argument("--no-rate-limits", action="store_true", help="never answer rate-limit errors")
    return p


def core_from_args(args: argparse.Namespace) -> SimCore:
    """A ``SimCore`` configured from the common flags."""
    faults = FaultConfig(latency_ms=args.latency_ms, error_5xx_rate=args.error_rate, drop_rate=args.drop_rate)
    faults.validate()
    return SimCore(
        seed=args.seed,
        speed=args.speed,
        start_epoch=args.start_epoch,
        faults=faults,
        rate_limits=not args.no_rate_limits,
    )


async def serve(app: web.Application, host: str, port: int) -> None:
    """Run ``app`` until SIGTERM or SIGINT, announcing the bound address on stdout."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_host, bound_port = runner.addresses[0][:2]
    sys.stdout.write(f"{LISTENING_PREFIX}http://{bound_host}:{bound_port}\n")
    sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def run(
    build_app: Callable[[argparse.Namespace], web.Application],
    parser: argparse.ArgumentParser,
    argv: Sequence[str] | None = None,
) -> None:
    """Parse flags, build the app (which may take a while for big worlds), then serve it."""
    args = parser.parse_args(argv)
    try:
        app = build_app(args)
    except ValueError as exc:
        parser.error(str(exc))
    asyncio.run(serve(app, args.host, args.port))
