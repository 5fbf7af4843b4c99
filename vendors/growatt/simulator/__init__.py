"""Growatt OpenAPI v1 cloud simulator (document: ../shared/vendor-docs/growatt-openapi-v1.txt, 4.2, 4.3).

Run: ``python -m vendors.growatt.simulator --port 0 --plants 100 --speed 600 --seed 1 --accounts 3
--unenrolled 20``; it prints ``LISTENING http://HOST:PORT`` (simkit runner flags also apply:
``--latency-ms --error-rate --drop-rate --no-rate-limits --start-epoch``).

Tokens: ``--accounts K`` API accounts named ``account-1..K`` with tokens ``growatt-token-1..K`` sent in
the ``token`` header (# Growatt 3.1); a missing or unknown token answers error_code 10011 (# Growatt 5).
Account k's end user is ``c_user_id`` 1000+k, user name ``vpp-user-k``. Plant i (1-based) belongs to
account ((i-1) mod K)+1. ``POST /_sim/expire-sessions`` rotates tokens to ``growatt-token-k-rN``
(Growatt tokens are permanent until the authorisation is cancelled, # Growatt 2.1); ``/_sim/reset``
restores the originals; ``GET /_sim/tokens`` shows the current ones.

Each plant has one unit: a datalogger (``JPC…``, 10 characters, with a check code), a PV inverter
(``TZA…``, type 1) and a storage machine (``SPB…``, type 2, SP2000 or SP3000 with a 5-15 kWh battery).
See README.md for the endpoints, the storageSet window rules and the ``/_sim/`` routes.
"""

from .app import build_app

DEMO_ARGS = ("--families", "storage,tlx,mix,spa")
"""What ``make run`` (vpp/devserver.py) adds for the demo: its fleet mixes SP machines and MIN/SPH/SPA
hybrids (FIELD_NOTES "Hybrid families")."""

__all__ = ["DEMO_ARGS", "build_app"]
