"""The toy cloud: a few plants whose batteries charge and discharge on simulated time (vendors.simkit).

Its protocol, invented for the test suite and kept small (every interface is ``POST /v1/<name>``, JSON in,
``{"code": "0" | <refusal>, "message", "data"}`` out, the account's key in the ``X-Api-Key`` header):

- ``plants/claim`` ``{"codes": [...]}``: bind the plants with these authorisation codes to the account
- ``plants/list`` ``{}``: the account's plants; ``devices`` ``{"plant_ids": [...]}``: their devices
- ``realtime`` ``{"plant_ids": [...]}``: state of charge and powers, at most ``MAX_PLANTS`` a call
- ``battery/command`` ``{"request_id", "plant_ids", "mode": charge|discharge|stop, "duration_min",
  "target_soc", "power_w"}``: one task per plant (a stop ends the running one); a ``request_id`` seen
  before gets the first answer again, marked ``"duplicate": true``
- ``battery/tasks`` ``{"task_ids": [...]}``: each task's ``state`` (running, done, failed) and its energy

HTTP 401 for an unknown key, 429 ``code "rate_limited"`` past ``LIMITS`` (per account and interface).
The common ``/_sim/`` control plane (simkit), plus ``GET /_sim/plants`` (SimControl.plants) and
``GET /_sim/accounts``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from aiohttp import web

from vendors import simkit

MAX_PLANTS = 50
# (calls, window vendor seconds) per account and interface: the numbers tests/toyvendor/spec.py declares.
LIMITS = {"command": (10, 60.0), "status": (30, 60.0), "read": (10, 60.0)}
INTERFACES = {
    "plants/claim": "read",
    "plants/list": "read",
    "devices": "read",
    "realtime": "read",
    "battery/command": "command",
    "battery/tasks": "status",
}
MIN_SOC = 10.0  # a discharge stops at the reserve


@dataclass
class Plant:
    plant_id: str
    name: str
    auth_code: str
    capacity_kwh: float
    max_power_w: float
    soc: float
    account: str | None = None  # the key it is bound to; None: waiting to be claimed
    updated_at: float = 0.0
    task_id: str | None = None  # the running task


@dataclass
class Task:
    task_id: str
    plant_id: str
    mode: str
    power_w: float
    target_soc: float
    ends_at: float | None
    started_at: float
    state: str = "running"
    energy_wh: float = 0.0
    ended_at: float | None = None


@dataclass
class World:
    core: simkit.SimCore
    args: object
    plants: dict[str, Plant] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    answers: dict[tuple[str, str], dict] = field(default_factory=dict)  # (account, request_id) -> answer

    @property
    def keys(self) -> list[str]:
        return [f"toy-key-{i}" for i in range(1, self.args.accounts + 1)]

    def rebuild(self) -> None:
        rng = random.Random(self.args.seed)
        now = self.core.clock.now()
        self.plants.clear()
        self.tasks.clear()
        self.answers.clear()
        for n in range(1, self.args.plants + self.args.unenrolled + 1):
            bound = n <= self.args.plants
            plant = Plant(
                plant_id=f"TOY-{n:04d}",
                name=f"Toy plant {n}",
                auth_code=f"TOYAC{n:04d}",
                capacity_kwh=rng.choice([5.0, 10.0, 13.5]),
                max_power_w=5000.0,
                soc=round(rng.uniform(20, 60), 1),
                account=self.keys[(n - 1) % len(self.keys)] if bound else None,
                updated_at=now,
            )
            self.plants[plant.plant_id] = plant

    # --- the batteries' physics ---------------------------------------------------------------------

    def settle(self, plant: Plant) -> None:
        """Move the battery to now: energy at the task's power until its target, its end or now."""
        now = self.core.clock.now()
        task = self.tasks.get(plant.task_id or "")
        if task is not None and task.state == "running":
            sign = 1.0 if task.mode == "charge" else -1.0
            kwh_to_target = max(0.0, sign * (task.target_soc - plant.soc)) / 100 * plant.capacity_kwh
            s_to_target = kwh_to_target / (task.power_w / 1000) * 3600
            s_to_end = (task.ends_at - plant.updated_at) if task.ends_at is not None else float("inf")
            step = max(0.0, min(now - plant.updated_at, s_to_target, s_to_end))
            energy_wh = task.power_w * step / 3600
            plant.soc = min(100.0, max(0.0, plant.soc + sign * energy_wh / 1000 / plant.capacity_kwh * 100))
            task.energy_wh += energy_wh
            if step >= min(s_to_target, s_to_end):
                self.end(plant, task, at=plant.updated_at + step)
        plant.updated_at = now

    def end(self, plant: Plant, task: Task, *, at: float, state: str = "done") -> None:
        task.state, task.ended_at = state, at
        plant.task_id = None

    def power_w(self, plant: Plant) -> float:
        task = self.tasks.get(plant.task_id or "")
        if task is None or task.state != "running":
            return 0.0
        return task.power_w if task.mode == "charge" else -task.power_w

    def account_of(self, request: web.Request) -> str | None:
        key = request.headers.get("X-Api-Key")
        return key if key in self.keys else None


def _answer(data, code: str = "0", message: str = "", status: int = 200) -> web.Response:
    return web.json_response({"code": code, "message": message, "data": data}, status=status)


def build_app(args) -> web.Application:
    core = simkit.core_from_args(args)
    world = World(core, args)
    world.rebuild()
    app = simkit.make_app(core, on_reset=world.rebuild, account_of=world.account_of)

    def mine(account: str, ids) -> list[Plant | None]:
        found = [world.plants.get(str(i)) for i in ids]
        return [p if p is not None and p.account == account else None for p in found]

    async def claim(account: str, body: dict) -> web.Response:
        by_code = {p.auth_code: p for p in world.plants.values()}
        out = []
        for code in body.get("codes") or []:
            plant = by_code.get(code)
            if plant is None or plant.account not in (None, account):
                out.append({"code": code, "ok": False, "error": "unknown authorisation code"})
                continue
            plant.account = account  # a repeat by the same account is answered the same way
            out.append({"code": code, "ok": True, "plant_id": plant.plant_id, "name": plant.name})
        return _answer(out)

    async def plant_list(account: str, body: dict) -> web.Response:
        plants = [p for p in world.plants.values() if p.account == account]
        return _answer(
            [
                {"plant_id": p.plant_id, "name": p.name, "timezone": "UTC", "capacity_kwh": p.capacity_kwh,
                 "max_power_w": p.max_power_w}
                for p in plants
            ]
        )  # fmt: skip

    async def devices(account: str, body: dict) -> web.Response:
        out = []
        for plant in filter(None, mine(account, body.get("plant_ids") or [])):
            out.append({"plant_id": plant.plant_id, "sn": f"{plant.plant_id}-INV", "type": "inverter",
                        "rated_w": plant.max_power_w})  # fmt: skip
            out.append({"plant_id": plant.plant_id, "sn": f"{plant.plant_id}-BAT", "type": "battery",
                        "rated_w": plant.max_power_w})  # fmt: skip
        return _answer(out)

    async def realtime(account: str, body: dict) -> web.Response:
        ids = body.get("plant_ids") or []
        if len(ids) > MAX_PLANTS:
            return _answer(None, "too_many_plants", f"at most {MAX_PLANTS} plants a call")
        out = []
        for plant in filter(None, mine(account, ids)):
            world.settle(plant)
            soc, power_w = round(plant.soc, 2), world.power_w(plant)
            out.append(
                {"plant_id": plant.plant_id, "soc": soc, "battery_w": power_w, "time": core.clock.now()}
            )
        return _answer(out)

    async def command(account: str, body: dict) -> web.Response:
        request_id = str(body.get("request_id") or "")
        if not request_id:
            return _answer(None, "bad_request", "request_id is required")
        if (account, request_id) in world.answers:
            return _answer({**world.answers[(account, request_id)], "duplicate": True})
        ids = body.get("plant_ids") or []
        mode = body.get("mode")
        if mode not in ("charge", "discharge", "stop") or not 0 < len(ids) <= MAX_PLANTS:
            return _answer(None, "bad_request", f"mode charge|discharge|stop, 1 to {MAX_PLANTS} plants")
        now = core.clock.now()
        results = []
        for plant_id, plant in zip(ids, mine(account, ids), strict=True):
            if plant is None:
                results.append({"plant_id": plant_id, "ok": False, "error": "not_your_plant"})
                continue
            world.settle(plant)
            running = world.tasks.get(plant.task_id or "")
            if running is not None:
                world.end(plant, running, at=now, state="done" if mode == "stop" else "failed")
            if mode == "stop":
                results.append({"plant_id": plant_id, "ok": True, "task_id": None})
                continue
            duration = body.get("duration_min")
            target = body.get("target_soc")
            task = Task(
                task_id=f"T{len(world.tasks) + 1}",
                plant_id=plant.plant_id,
                mode=mode,
                power_w=min(float(body.get("power_w") or plant.max_power_w), plant.max_power_w),
                target_soc=float(target) if target is not None else (100.0 if mode == "charge" else MIN_SOC),
                ends_at=now + float(duration) * 60 if duration else None,
                started_at=now,
            )
            world.tasks[task.task_id] = task
            plant.task_id = task.task_id
            results.append({"plant_id": plant_id, "ok": True, "task_id": task.task_id})
        core.commands.append(account=account, endpoint="battery/command", request_id=request_id,
                             targets=[r["plant_id"] for r in results if r["ok"]], params=body)  # fmt: skip
        world.answers[(account, request_id)] = {"results": results}
        return _answer({"results": results})

    async def tasks(account: str, body: dict) -> web.Response:
        out = []
        for task_id in body.get("task_ids") or []:
            task = world.tasks.get(str(task_id))
            if task is None or world.plants[task.plant_id].account != account:
                out.append({"task_id": task_id, "state": "failed", "error": "unknown task"})
                continue
            if task.state == "running":
                world.settle(world.plants[task.plant_id])
            energy = {"charged_wh" if task.mode == "charge" else "discharged_wh": round(task.energy_wh, 1)}
            out.append({"task_id": task.task_id, "plant_id": task.plant_id, "state": task.state,
                        "started": task.started_at, "ended": task.ended_at, **energy})  # fmt: skip
        return _answer(out)

    handlers = {
        "plants/claim": claim,
        "plants/list": plant_list,
        "devices": devices,
        "realtime": realtime,
        "battery/command": command,
        "battery/tasks": tasks,
    }

    def route(name: str, handler):
        async def serve(request: web.Request) -> web.Response:
            account = world.account_of(request)
            if account is None:
                return _answer(None, "auth", "unknown API key", status=401)
            limit, window_s = LIMITS[INTERFACES[name]]
            if not core.limiter.check((account, INTERFACES[name]), limit, window_s):
                core.stats.rate_limited(account, request.path)
                return _answer(None, "rate_limited", f"at most {limit} calls in {window_s:g} s", status=429)
            return await handler(account, await simkit.read_json(request))

        return serve

    for name, handler in handlers.items():
        app.router.add_post(f"/v1/{name}", route(name, handler))

    async def sim_plants(request: web.Request) -> web.Response:
        enrolled = request.query.get("enrolled")
        account = request.query.get("account")
        limit, offset = int(request.query.get("limit", "100")), int(request.query.get("offset", "0"))
        out = []
        for plant in world.plants.values():
            if enrolled is not None and (plant.account is not None) != (enrolled == "1"):
                continue
            if account is not None and plant.account != account:
                continue
            world.settle(plant)
            out.append({"plant_id": plant.plant_id, "auth_code": plant.auth_code, "account": plant.account,
                        "soc": plant.soc, "capacity_kwh": plant.capacity_kwh})  # fmt: skip
        return web.json_response({"plants": out[offset : offset + limit]})

    async def sim_accounts(request: web.Request) -> web.Response:
        return web.json_response({"accounts": world.keys})

    app.router.add_get("/_sim/plants", sim_plants)
    app.router.add_get("/_sim/accounts", sim_accounts)
    return app


def parser():
    p = simkit.common_parser("python -m tests.toyvendor.simulator", "Toy vendor cloud simulator")
    p.add_argument("--accounts", type=int, default=1)
    p.add_argument("--unenrolled", type=int, default=3, help="plants waiting to be claimed by code")
    return p
