"""Every environment variable vpp/settings.py reads is in the README's settings table and in .env.example
(the guard rails' own included: body limit, throttle rates, proxies)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_documented():
    source = (ROOT / "vpp" / "settings.py").read_text()
    names = set(re.findall(r'env_(?:str|int|float|bool|list|rate)\(\s*"([A-Z0-9_]+)"', source))
    assert {"VPP_MAX_BODY_BYTES", "API_THROTTLE_TOKEN_RATE", "API_THROTTLE_ANON_RATE"} <= names
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / ".env.example").read_text()
    assert sorted(n for n in names if f"`{n}`" not in readme) == [], "missing from the README table"
    assert sorted(n for n in names if not re.search(rf"^# {n}=", example, re.M)) == [], ".env.example"
