"""The layering rules of ARCHITECTURE.md, read from the imports of every module under core/.

- a topic package imports only the engine and the small shared modules;
- the engine imports no topic, and each of its rooms imports only the rooms below it;
- no topic imports another;
- nothing under core/ imports streamlit (checked statically here and by a real import below).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "core"
SHARED = {"errors", "devices", "number_text", "links", "uploads"}  # core/<name>.py: for all
# The engine's rooms, lowest first: each imports only the rooms before it (and itself).
ROOMS = ("learning", "runs", "products", "looks")
ENGINE_TOP = {"cli"}  # core/engine/<name>.py: entry points, above every room
MAX_LINES = 400


def packages() -> list[str]:
    return sorted(p.name for p in CORE.iterdir() if (p / "__init__.py").exists())


def topics() -> list[str]:
    return [p for p in packages() if p != "engine"]


def core_files() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every module a file imports; `from core.x import y` gives both core.x and core.x.y."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: use absolute imports"
            names.add(node.module or "")
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def home(module: str) -> str | None:
    """The part of core a module belongs to: a package name, a shared module, or None (not core)."""
    parts = module.split(".")
    if parts[0] != "core" or len(parts) < 2:
        return None
    return parts[1]


def room(module: str) -> str | None:
    """The engine room of an engine module (`core.engine.runs.job` -> runs); the entry points
    above the rooms are their own; None for `core.engine` itself."""
    parts = module.split(".")
    return parts[2] if len(parts) > 2 else None


def room_breach(own: str, target: str) -> str | None:
    """Why engine module `own` may not import engine module `target`, or None."""
    mine, theirs = room(own), room(target)
    if theirs is None or mine == theirs or mine in ENGINE_TOP:
        return None
    if theirs in ENGINE_TOP:
        return f"{target} (a room never imports the engine's entry points)"
    if mine in ROOMS and theirs in ROOMS and ROOMS.index(theirs) > ROOMS.index(mine):
        return f"{target} (the {mine} room imports only the rooms below it: {ROOMS})"
    return None


def violations(path: Path, module: str | None = None) -> list[str]:
    module = module or module_name(path)
    own = home(module)
    found = []
    for name in imported(path):
        if name.split(".")[0] == "streamlit":
            found.append(f"{name} (core never imports streamlit)")
        target = home(name)
        if own == target == "engine" and (breach := room_breach(module, name)):
            found.append(breach)
        if target is None or target == own:
            continue
        if own in SHARED and target not in SHARED:
            found.append(f"{name} (a shared module imports only other shared modules)")
        elif own == "engine" and target not in SHARED:
            found.append(f"{name} (the engine imports no topic)")
        elif own in topics() and target not in SHARED | {"engine"}:
            found.append(f"{name} (a topic imports only the engine and the shared modules)")
    return sorted(found)


def test_the_tree_has_an_engine_and_topic_packages():
    assert "engine" in packages()
    assert {
        "tensors",
        "activations",
        "layers",
        "backprop",
        "optim2d",
        "experiments",
        "canvas",
    } <= set(topics())
    flat = {p.stem for p in CORE.glob("*.py")} - {"__init__"}
    assert flat <= SHARED, f"modules outside a package: {sorted(flat - SHARED)}"


def test_the_engine_is_its_rooms_and_its_entry_points():
    engine = CORE / "engine"
    rooms = {p.name for p in engine.iterdir() if (p / "__init__.py").exists()}
    assert rooms == set(ROOMS)
    flat = {p.stem for p in engine.glob("*.py")} - {"__init__"}
    assert flat == ENGINE_TOP
    for name in ROOMS:  # each room says what it offers
        assert ast.get_docstring(ast.parse((engine / name / "__init__.py").read_text()))


@pytest.mark.parametrize("path", core_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_layering(path):
    assert violations(path) == []


def test_the_check_sees_each_kind_of_breach(tmp_path):
    path = tmp_path / "probe.py"
    path.write_text(
        "import streamlit\nfrom core.tensors.base import make_base\n"
        "import core.engine.learning.data\n"
    )
    assert violations(path, "core.layers.probe") == [
        "core.tensors.base (a topic imports only the engine and the shared modules)",
        "core.tensors.base.make_base (a topic imports only the engine and the shared modules)",
        "streamlit (core never imports streamlit)",
    ]
    assert violations(path, "core.engine.probe") == [
        "core.tensors.base (the engine imports no topic)",
        "core.tensors.base.make_base (the engine imports no topic)",
        "streamlit (core never imports streamlit)",
    ]
    assert (
        "core.engine.learning.data (a shared module imports only other shared modules)"
        in violations(path, "core.errors")
    )
    rooms = tmp_path / "rooms.py"
    rooms.write_text("from core.engine.runs.job import Job\nfrom core.engine import cli\n")
    below = "the learning room imports only the rooms below it: " + str(ROOMS)
    assert violations(rooms, "core.engine.learning.probe") == [
        "core.engine.cli (a room never imports the engine's entry points)",
        f"core.engine.runs.job ({below})",
        f"core.engine.runs.job.Job ({below})",
    ]
    assert violations(rooms, "core.engine.products.probe") == [
        "core.engine.cli (a room never imports the engine's entry points)"
    ]


@pytest.mark.parametrize(
    "path", [*core_files(), *ROOT.glob("ui/*.py"), *ROOT.glob("views/**/*.py")], ids=str
)
def test_no_module_is_over_the_line_limit(path):
    assert len(path.read_text().splitlines()) <= MAX_LINES


def test_importing_every_core_module_does_not_import_streamlit():
    modules = [module_name(p) for p in core_files() if p.name != "__init__.py"]
    assert len(modules) > 40
    code = "import importlib, sys\n"
    code += "".join(f"importlib.import_module({m!r})\n" for m in modules)
    code += "assert 'streamlit' not in sys.modules, 'core imported streamlit'\n"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)
