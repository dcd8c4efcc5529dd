"""The vector engine's modules import in any order: each one, imported first and alone in a
fresh interpreter, works. Module-level imports inside vector/ form no cycle, and no module takes
a private name (one starting with `_`) from another."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted(
    ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    for path in (ROOT / "vector").rglob("*.py")
)


def test_every_module_imports_first_and_alone():
    # One fresh interpreter per module, all started at once so the test takes seconds.
    runs = {
        name: subprocess.Popen(
            [sys.executable, "-c", f"import {name}"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in MODULES
    }
    failed = {}
    for name, run in runs.items():
        _, err = run.communicate(timeout=120)
        if run.returncode != 0:
            failed[name] = err.strip().splitlines()[-1]
    assert not failed, f"modules that fail when imported first: {failed}"
    assert "vector.autograd" in runs and "vector.ops.fused" in runs


def _top_level_imports(name: str) -> list[tuple[str, list[str]]]:
    """(module imported, names taken from it) for each import at the top of `name`'s file
    (inside `if TYPE_CHECKING:` blocks excluded: they never run)."""
    path = ROOT / Path(*name.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    found = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def test_module_level_imports_form_no_cycle():
    graph: dict[str, set[str]] = {}
    for name in MODULES:
        targets = set()
        for module, names in _top_level_imports(name):
            # `from vector import deferred` depends on vector.deferred, not on the package's
            # __init__ (which Python runs first for any submodule anyway).
            submodules = {f"{module}.{n}" for n in names} & set(MODULES)
            wanted = submodules if submodules and len(submodules) == len(names) else {module}
            targets |= {t for t in wanted | submodules if t in MODULES and t != name}
        graph[name] = targets

    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycle = [*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt]
                pytest.fail(f"import cycle: {' → '.join(cycle)}")
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = "done"

    for name in MODULES:
        if name not in state:
            visit(name, [name])


def test_no_module_imports_a_private_name_of_another():
    offences = [
        f"{name} takes {taken} from {module}"
        for name in MODULES
        for module, names in _top_level_imports(name)
        for taken in names
        if module.split(".")[0] == "vector" and taken.startswith("_") and taken != "__all__"
    ]
    assert not offences, offences
