"""Loaded with `-p` (pyproject addopts) before Django's settings: what every test process, and the worker
and server processes it starts, needs in its environment.

The vendor simulators run plain http on 127.0.0.1, which vendor URLs may reach only with
VENDOR_URL_ALLOW_PRIVATE=1 (vendors/egress.py); the tests that show the refusal turn it off for themselves.
The embedded default keys are allowed in the demo only (VPP_DEMO=1, vpp/settings.py). The registry lists
one more vendor for the suite (VPP_EXTRA_VENDORS, vendors/registry.py): its one registration line.
"""

import os

os.environ.setdefault("VENDOR_URL_ALLOW_PRIVATE", "1")
os.environ.setdefault("VPP_DEMO", "1")
os.environ.setdefault("VPP_EXTRA_VENDORS", "tests.toyvendor.spec")  # the toy vendor (CONTRIBUTING.md)

# Hypothesis fails an example that runs longer than 200 ms by default: a wall-clock timing assertion, which a
# busy machine trips without anything being wrong (issue 13). No deadline for any property test of the
# suite; speed is measured in bench/, not asserted in tests.
from hypothesis import settings as hypothesis_settings  # noqa: E402

hypothesis_settings.register_profile("vpp", deadline=None)
hypothesis_settings.load_profile("vpp")
