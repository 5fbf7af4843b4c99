"""Benchmarks run against the vendor simulators (plain http on 127.0.0.1) on the demo's embedded keys:
both are allowed only with these flags (vendors/egress.py, vpp/settings.py), set before anything reads them
and inherited by the worker processes a bench starts."""

import os

os.environ.setdefault("VENDOR_URL_ALLOW_PRIVATE", "1")
os.environ.setdefault("VPP_DEMO", "1")
