"""Loaded with `-p` (pyproject addopts) before Django's settings: what every test process, and the worker
and server processes it starts, needs in its environment.

The vendor simulators run plain http on 127.0.0.1, which vendor URLs may reach only with
VENDOR_URL_ALLOW_PRIVATE=1 (vendors/egress.py); the tests that show the refusal turn it off for themselves.
The embedded default keys are allowed in the demo only (VPP_DEMO=1, vpp/settings.py).
"""

import os

os.environ.setdefault("VENDOR_URL_ALLOW_PRIVATE", "1")
os.environ.setdefault("VPP_DEMO", "1")
