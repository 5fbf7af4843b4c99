"""``python -m vendors.growatt.simulator --port 0 --plants 100 --speed 600 --seed 1 --accounts 3``."""

from __future__ import annotations

import argparse

from vendors import simkit

from .app import build_app


def parser() -> argparse.ArgumentParser:
    p = simkit.common_parser("python -m vendors.growatt.simulator", "Growatt OpenAPI v1 cloud simulator")
    p.add_argument("--accounts", type=int, default=3, help="API accounts; tokens growatt-token-1..K")
    p.add_argument("--unenrolled", type=int, default=20, help="dataloggers not yet added to any plant")
    p.add_argument(
        "--profile",
        choices=("field", "document"),
        default="field",
        help="field: as the live cloud answers (FIELD_NOTES.md, default); document: as the document reads",
    )
    p.add_argument(
        "--families",
        type=lambda text: tuple(f.strip() for f in text.split(",") if f.strip()),
        default=("storage",),
        help="plant i is of families[(i-1) %% n]: storage (SP machine), tlx (MIN), mix (SPH), spa (SPA)",
    )
    return p


if __name__ == "__main__":
    simkit.run(build_app, parser())
