"""No import circles among our packages (issue 13).

The graph is read from the source, not from the interpreter: every ``.py`` under our packages is parsed
and each ``import x`` / ``from x import y`` naming one of our modules is an edge. Imports inside functions
and under ``if TYPE_CHECKING:`` count too: they only hide a circle from Python at start-up, while the two
modules still depend on each other (the issue's ``kick.py`` <-> ``tasks.py`` was one such). ``from pkg
import name`` is an edge to ``pkg.name`` when that is a module, else to ``pkg``. An import of a package
is an edge to its ``__init__`` only, so a package whose modules import each other through it is fine as
long as the modules themselves form no circle.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("vpp", "fleets", "dispatch", "vendors", "console", "webhooks")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            found[_module_name(path)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    base = name.split(".") if is_package else name.split(".")[:-1]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - (node.level - 1)]
                origin = ".".join([*anchor, *(node.module.split(".") if node.module else [])])
            else:
                origin = node.module or ""
            targets = [f"{origin}.{alias.name}" for alias in node.names]
            targets = [t if t in modules else origin for t in targets]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # "a.b.c" names attribute c of module a.b
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def import_graph() -> dict[str, set[str]]:
    """Each of our modules and the modules of ours it imports."""
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import circles, each as the modules along it, until none is left: each one found is named, then
    broken (one edge taken out) so the next one shows."""
    graph = {name: set(targets) for name, targets in graph.items()}
    found = []
    while True:
        try:
            graphlib.TopologicalSorter(graph).prepare()
        except graphlib.CycleError as exc:
            cycle = exc.args[1]  # [a, b, ..., a]: each one is imported by the one before it
            found.append(cycle)
            graph[cycle[1]].discard(cycle[0])
        else:
            return found


def test_the_graph_sees_the_imports_it_is_about():
    graph = import_graph()

    assert "vendors.huawei.calls" in graph["vendors.huawei.adapter"]  # absolute
    assert "vendors.growatt.discovery" in graph["vendors.growatt.adapter"]  # from . import discovery
    assert "vendors.growatt.client" in graph["vendors.growatt.calls"]  # from .client import ...
    assert "vendors.errors" in graph["vendors.http"]
    assert len(graph) > 100


def test_a_circle_is_found_and_named():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}

    (circle,) = circles(graph)

    assert set(circle) == {"a", "b", "c"} and circle[0] == circle[-1]


def test_no_module_of_ours_imports_itself_through_others():
    found = [" <- ".join(cycle) for cycle in circles(import_graph())]

    assert found == [], "import circles (each module is imported by the one after it):\n" + "\n".join(found)
