"""The design's import rules (``docs/design.md``), read from the code itself with ``ast``.

Every import counts, at the top of a module or inside a function. A second test plants a
violation in a copy of the tree and checks that the rules catch it, so this test can fail.
"""

import ast
import shutil
from pathlib import Path

from tests.conftest import PROJECT_ROOT

PARTS = ("common", "traffic", "verification", "hostile", "monitors", "reports", "refserver", "ctxload")

# part -> the other parts (and outside packages, marked) it must never import
FORBIDDEN = {
    "common": {"traffic", "verification", "hostile", "monitors", "reports", "refserver", "ctxload"},
    "traffic": {"monitors", "hostile", "reports", "refserver", "ctxload"},
    "verification": {"traffic", "monitors", "hostile", "reports", "refserver", "ctxload"},
    "hostile": {"monitors", "reports", "refserver", "ctxload"},
    "monitors": {"traffic", "verification", "hostile", "reports", "refserver", "ctxload"},
    "reports": {"common", "traffic", "verification", "hostile", "monitors", "refserver", "ctxload", "locust"},
    "refserver": {"common", "traffic", "verification", "hostile", "monitors", "reports", "ctxload", "locust"},
}


# The one module of another part that a part may import all the same: the way every part writes an output file
# (stdlib only), which reports and monitors alike must use.
EXCEPTIONS = {"reports": {"common.output_files"}}


def imported_modules(path: Path) -> set[str]:
    """The modules a module imports, dotted (``from a import b`` counts as ``a.b``; relative: its own package)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module if node.level == 0 and node.module else path.parts[-2]
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def violations(root: Path) -> list[str]:
    broken = []
    for part, forbidden in FORBIDDEN.items():
        for module in sorted((root / part).rglob("*.py")):
            for name in sorted(imported_modules(module)):
                package = name.split(".")[0]
                allowed = any(name == e or name.startswith(e + ".") for e in EXCEPTIONS.get(part, ()))
                if package in forbidden and not allowed:
                    broken.append(f"{module.relative_to(root)} imports {package}")
    return sorted(set(broken))


def test_the_code_keeps_the_import_rules():
    assert all((PROJECT_ROOT / part).is_dir() for part in PARTS)
    assert violations(PROJECT_ROOT) == []


def test_a_planted_violation_is_caught(tmp_path):
    for part in PARTS:
        shutil.copytree(PROJECT_ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    assert violations(tmp_path) == []
    (tmp_path / "monitors" / "planted.py").write_text("def late():\n    from traffic.base import ContextUser\n")
    (tmp_path / "reports" / "planted.py").write_text("import locust.stats\nfrom common import output_files, names\n")
    (tmp_path / "verification" / "planted.py").write_text("from traffic import catalog\n")
    assert set(violations(tmp_path)) == {
        "monitors/planted.py imports traffic",
        "verification/planted.py imports traffic",
        "reports/planted.py imports locust",
        "reports/planted.py imports common",  # names, not the output files
    }
