"""Our own import graph, read with `ast`: modules, layers, circles and deferred imports.

`python tools/import_graph.py` prints the figures docs/ARCHITECTURE.md quotes;
tests/test_layers.py uses `graph()` to keep the layers honest.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "webhooks")


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    deferred: bool  # inside a function body (or under `if TYPE_CHECKING`)


@dataclass
class Graph:
    modules: list[str]
    edges: list[Edge] = field(default_factory=list)

    def targets(self, module: str, *, deferred: bool = True) -> set[str]:
        return {
            e.target for e in self.edges if e.source == module and (deferred or not e.deferred)
        }


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(node: ast.AST, here: str, is_package: bool, known: set[str]) -> list[str]:
    """The modules of ours that an import statement names (a `from pkg import mod` is mod)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    assert isinstance(node, ast.ImportFrom)
    base = node.module or ""
    if node.level:
        anchor = here.split(".") if is_package else here.split(".")[:-1]
        anchor = anchor[: len(anchor) - node.level + 1]
        base = ".".join([*anchor, base] if base else anchor)
    names = [f"{base}.{a.name}" for a in node.names]
    return [n for n in names if n in known] or [base]


def _own(name: str, known: set[str]) -> str | None:
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def _under_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(tree: ast.AST) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import with whether it is deferred (in a def, or for the type checker only)."""

    def visit(node: ast.AST, deferred: bool) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
        for child in ast.iter_child_nodes(node):
            inner = deferred or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.If) and _under_type_checking(child):
                inner = True
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, deferred
            yield from visit(child, inner)

    yield from visit(tree, False)


def graph(root: Path = ROOT) -> Graph:
    paths = [p for pkg in PACKAGES for p in sorted((root / pkg).rglob("*.py"))]
    files = {module_name(p, root): p for p in paths}
    known = set(files)
    result = Graph(sorted(files))
    for name, path in sorted(files.items()):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node, deferred in _walk(tree):
            for imported in _imported(node, name, path.name == "__init__.py", known):
                target = _own(imported, known)
                if target and target != name and not name.startswith(target + "."):
                    result.edges.append(Edge(name, target, node.lineno, deferred))
    return result


def circles(g: Graph, *, deferred: bool = True) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(g.targets(v, deferred=deferred)):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in g.modules:
        if v not in index:
            connect(v)
    return sorted(found)


def depth(g: Graph) -> int:
    """Layers: the longest chain of top-level imports, circles counted as one module."""
    merged = {m: m for m in g.modules}
    for component in circles(g, deferred=False):
        for m in component:
            merged[m] = component[0]
    memo: dict[str, int] = {}

    def level(v: str) -> int:
        if v not in memo:
            members = [m for m in g.modules if merged[m] == v]
            below = {merged[t] for m in members for t in g.targets(m, deferred=False)} - {v}
            memo[v] = 1 + max((level(t) for t in below), default=0)
        return memo[v]

    return max(level(merged[m]) for m in g.modules)


def report(g: Graph) -> str:
    deferred = [e for e in g.edges if e.deferred]
    lines = [
        f"modules: {len(g.modules)}",
        f"imports between them: {len({(e.source, e.target) for e in g.edges})}",
        f"layers (longest chain of top-level imports): {depth(g)}",
        f"circles (top-level imports): {len(circles(g, deferred=False))}",
        f"circles (counting deferred imports): {len(circles(g))}",
    ]
    lines += [f"  circle: {' <-> '.join(c)}" for c in circles(g)]
    lines.append(f"deferred imports of our modules: {len(deferred)}")
    lines += [f"  {e.source}:{e.line} -> {e.target}" for e in deferred]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(graph(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT)))
