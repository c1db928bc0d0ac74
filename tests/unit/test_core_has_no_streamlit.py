"""The house rule: core is plain Python + torch; importing it never imports Streamlit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def core_modules() -> list[str]:
    return sorted(
        "core." + ".".join(p.relative_to(ROOT / "core").with_suffix("").parts)
        for p in (ROOT / "core").rglob("*.py")
        if p.name != "__init__.py" and p.name != "__main__.py"
    )


def test_importing_every_core_module_does_not_import_streamlit():
    modules = core_modules()
    assert "core.devices" in modules and "core.data" in modules
    code = "import importlib, sys\n"
    code += "".join(f"importlib.import_module({m!r})\n" for m in modules)
    code += "assert 'streamlit' not in sys.modules, 'core imported streamlit'\n"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)
