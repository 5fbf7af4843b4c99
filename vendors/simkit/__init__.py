"""simkit: the small toolkit every vendor-cloud simulator in this project is built from.

A simulator is a standalone aiohttp process (no Django) that speaks one vendor's protocol. simkit gives
it simulated time, rate limits counted in that time, injected faults, a log of accepted commands, request
statistics, a common ``/_sim/`` control plane, a ``__main__`` runner, a process launcher for fixtures and
a control client. Vendor code keeps its own world (plants, sessions, tasks) and its own routes.

Building a simulator (``vendors/<vendor>/simulator/__main__.py``)::

    from vendors import simkit

    def build_app(args) -> web.Application:
        core = simkit.core_from_args(args)                 # clock, limiter, log, stats, faults
        world = MyWorld(core, args)                        # vendor state, built from args.seed
        app = simkit.make_app(core, on_reset=world.rebuild, account_of=world.account_of)
        app.router.add_post("/vendor/path", handler)       # vendor routes
        return app

    parser = simkit.common_parser("python -m vendors.x.simulator", "X cloud simulator")
    parser.add_argument("--accounts", type=int, default=2)  # vendor flags
    simkit.run(build_app, parser)                           # prints "LISTENING http://HOST:PORT"

Inside a handler:

- ``core.clock.now()`` is simulated Unix seconds (``now_ms()`` for ms). Never use ``time.time()``.
- ``core.limiter.check((account, endpoint), limit, window_s)`` -> bool; records a hit only when allowed.
  ``check_all([(key, limit, window_s), ...])`` for several windows on one call (10/min AND 1000/day).
  When it is False answer the vendor's own refusal and call ``core.stats.rate_limited(account, path)``.
- ``core.commands.append(account=, endpoint=, request_id=, targets=[...], params={...})`` for every
  command the vendor ACCEPTED (after validation), so tests can prove nothing was sent twice.
- ``request[simkit.ACCOUNT_KEY] = account`` when the account is only known inside the handler (login),
  so ``/_sim/stats`` counts the request under it; otherwise ``account_of(request)`` decides.
- ``simkit.read_json(request)`` gives the body as a dict ({} if empty; 400 if not a JSON object).

Common flags (``common_parser``): ``--host`` (127.0.0.1), ``--port`` (0 = ephemeral), ``--plants N``,
``--speed X`` (simulated s per real s), ``--seed S``, ``--start-epoch``, ``--latency-ms``,
``--error-rate`` (503), ``--drop-rate`` (connection closed unanswered), ``--no-rate-limits``.

Control plane (same shapes in every simulator; see ``routes.py``): ``POST /_sim/reset``,
``GET /_sim/commands?since=N``, ``GET /_sim/stats``, ``GET|POST /_sim/faults`` (``{}`` clears),
``GET /_sim/clock``, ``POST /_sim/clock/advance {"seconds": N}``, ``POST /_sim/clock/speed {"speed": X}``
(0 pauses the clock so window edges are exact; reset restores the start-up speed),
``GET|POST /_sim/rate-limits {"enabled": bool}``. ``/_sim/`` paths are never faulted, rate-limited or
counted.

Faults (``FaultConfig``): ``latency_ms``, ``error_5xx_rate`` (HTTP 503), ``drop_rate`` (close before
handling), ``drop_after_rate`` (handle, then close: the command took effect but the client never
heard), ``paths`` (substrings; empty = all vendor paths), ``max_faults`` (cap, for "fail the next call"),
``hold`` (matching requests wait before they are handled until faults are set again without it).
Draws come from ``random.Random(seed)``, restarted whenever faults are set.

Tests and benchmarks::

    from vendors.simkit.launcher import start_simulator, stop_simulator
    from vendors.simkit.control import SimControl   # httpx; kept out of this module's imports

    proc, base_url = start_simulator("vendors.huawei.simulator", "--plants", "50", "--speed", "600")
    ctl = SimControl(base_url); ctl.reset(); ctl.advance(3600); ctl.commands(); ctl.stats()
    ctl.set_faults(drop_after_rate=1.0, paths=["chargeAndDischarge"], max_faults=1)
    stop_simulator(proc)
"""

from .clock import SimClock
from .core import ACCOUNT_KEY, SimCore, sim_middleware
from .faults import FaultConfig, FaultInjector
from .launcher import SimulatorStartError, start_simulator, stop_simulator
from .limiter import SlidingWindowLimiter
from .records import CommandLog, Stats
from .routes import CORE_KEY, bad_request, make_app, read_json
from .runner import LISTENING_PREFIX, common_parser, core_from_args, run

__all__ = [
    "ACCOUNT_KEY",
    "CORE_KEY",
    "LISTENING_PREFIX",
    "CommandLog",
    "FaultConfig",
    "FaultInjector",
    "SimClock",
    "SimCore",
    "SimulatorStartError",
    "SlidingWindowLimiter",
    "Stats",
    "bad_request",
    "common_parser",
    "core_from_args",
    "make_app",
    "read_json",
    "run",
    "sim_middleware",
    "start_simulator",
    "stop_simulator",
]
