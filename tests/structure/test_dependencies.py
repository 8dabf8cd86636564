"""pyproject.toml declares what the code imports at run time, and nothing it does not import.

Every third-party module imported by `crawler/`, `spiders/` or `archive/` (also inside
functions) belongs to a distribution named in `dependencies`, or in the optional extra whose
feature imports it (`redis`, `export`). Every declared run-time dependency is imported
somewhere, except `lxml_html_clean`, which trafilatura imports (see the comment there).
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OURS = {"crawler", "spiders", "archive"}
NOT_IMPORTED_ON_PURPOSE = {"lxml-html-clean"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


def project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def imported_distributions() -> dict[str, set[str]]:
    """distribution name -> the files importing it."""
    owners = packages_distributions()
    found: dict[str, set[str]] = {}
    for top in OURS:
        for path in (REPO / top).rglob("*.py"):
            if "site" in path.relative_to(REPO).parts[2:3]:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    root = module.split(".")[0]
                    if root in OURS or root in sys.stdlib_module_names:
                        continue
                    for dist in owners.get(root, [root]):
                        found.setdefault(dist.lower().replace("_", "-"), set()).add(str(path.relative_to(REPO)))
    return found


def test_every_import_is_declared() -> None:
    meta = project()
    declared = {_name(r) for r in meta["dependencies"]}
    extras = {_name(r) for extra in ("redis", "export") for r in meta["optional-dependencies"][extra]}
    missing = {dist: sorted(files)[:3] for dist, files in imported_distributions().items()
               if dist not in declared | extras}
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


def test_every_runtime_dependency_is_imported() -> None:
    imported = set(imported_distributions())
    unused = {_name(r) for r in project()["dependencies"]} - imported - NOT_IMPORTED_ON_PURPOSE
    assert not unused, f"declared but never imported (move to an extra or drop): {sorted(unused)}"
