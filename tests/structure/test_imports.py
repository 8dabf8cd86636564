"""The import structure: arrows point one way (runs → Scrapy components → page core → base),
with no module importing one above it and no circle — counting imports inside functions too.

Layers, lowest first; a module may import its own layer or lower ones only. `archive/` is a
library of its own and imports nothing from `crawler/` or `spiders/`.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

LAYERS: list[tuple[str, ...]] = [
    ("archive",),
    ("crawler", "crawler.settings", "crawler.exceptions", "crawler.items", "crawler.urls", "crawler.security",
     "crawler.store.jsonl"),
    ("crawler.tags", "crawler.extract"),
    ("crawler.dedup",),
    ("crawler.pages", "crawler.store"),
    ("crawler.report",),
    ("crawler.distributed", "crawler.extensions", "crawler.middlewares", "crawler.pipelines"),
    ("spiders",),
    ("crawler.demo",),
    ("crawler.runs", "crawler.api"),
]


def layer_of(module: str) -> int:
    best, found = -1, -1
    for number, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), number
    assert found >= 0, f"{module} is in no layer: add it to LAYERS"
    return found


def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for top in ("crawler", "spiders", "archive"):
        for path in (REPO / top).rglob("*.py"):
            if "site" in path.relative_to(REPO).parts[2:3]:
                continue
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports_of(path: Path, name: str, known: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in names:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                targets.add(target)
    return targets


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(path, name, known) for name, path in known.items()}


def test_no_module_imports_one_above_it() -> None:
    wrong = [f"{source} (layer {layer_of(source)}) imports {target} (layer {layer_of(target)})"
             for source, targets in graph().items() for target in sorted(targets)
             if layer_of(target) > layer_of(source)]
    assert not wrong, "\n".join(wrong)


def test_archive_imports_nothing_from_crawler_or_spiders() -> None:
    wrong = [f"{source} imports {target}" for source, targets in graph().items() if source.startswith("archive")
             for target in targets if not target.startswith("archive")]
    assert not wrong, "\n".join(wrong)


def test_no_import_circle() -> None:
    edges = graph()
    # a package's __init__ re-exporting its own modules is not a circle of the design
    for name in edges:
        edges[name] = {t for t in edges[name] if not (name.startswith(t + ".") and t in edges)}
    state: dict[str, int] = {}
    stack: list[str] = []
    circles: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                circles.append(" -> ".join(stack[stack.index(target):] + [target]))
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert not circles, "\n".join(circles)
