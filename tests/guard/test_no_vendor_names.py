"""Vendor knowledge lives in vendors/<vendor>/ and is reached through vendors.registry: no vendor's name
(any case) appears in the code of the apps above the vendors, migrations aside (they record history).

A vendor added to the registry is checked from then on. A failure names every file:line that breaks it.
"""

from __future__ import annotations

import re
from pathlib import Path

from vendors import registry

ROOT = Path(__file__).resolve().parents[2]
APPS = ("fleets", "dispatch", "vpp", "console", "webhooks")


def _words() -> re.Pattern:
    names = {w.lower() for spec in registry.specs() for w in (spec.name, spec.brand)}
    return re.compile("|".join(sorted(map(re.escape, names))), re.IGNORECASE)


def _app_sources():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts:
                yield path


def vendor_names_in(paths, words: re.Pattern, root: Path = ROOT) -> list[str]:
    """`file:line: text` for every line that names a vendor."""
    found = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if words.search(line):
                found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    return found


def test_the_scan_covers_every_app_and_the_registry_names_the_vendors():
    sources = list(_app_sources())
    for app in APPS:
        assert any(p.relative_to(ROOT).parts[0] == app for p in sources), app
    assert not any("migrations" in p.parts for p in sources)
    assert set(registry.names()) >= {"huawei", "growatt"}


def test_the_scan_finds_a_vendor_name_where_there_is_one(tmp_path):
    planted = ROOT / "fleets" / "models.py"  # read only: a copy with one vendor name added
    copy = tmp_path / "fleets" / "models.py"
    copy.parent.mkdir()
    text = planted.read_text(encoding="utf-8")
    copy.write_text(text + "# a GroWatt plant\n", encoding="utf-8")
    last = len(text.splitlines()) + 1
    found = vendor_names_in([copy], _words(), root=tmp_path)
    assert found == [f"fleets/models.py:{last}: # a GroWatt plant"]


def test_no_vendor_name_in_the_apps_outside_migrations():
    found = vendor_names_in(_app_sources(), _words())
    assert not found, "vendor names outside vendors/ (use vendors.registry):\n" + "\n".join(found)
