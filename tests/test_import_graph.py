"""The project's import graph has no cycle between modules (grimp, as import-linter builds
it): a cycle is a wall with a hole in it, and function-level imports that only dodge one
hide it from readers."""

from __future__ import annotations

import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "miauflix", "flows", "warehouse", "serve", "engine", "sandbox")


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    modules = sorted(graph.modules)
    edges = {module: sorted(graph.find_modules_directly_imported_by(module)) for module in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in modules:
        if start in index:
            continue
        work = [(start, iter(edges[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges.get(child, []))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _describe(graph: grimp.ImportGraph, component: list[str]) -> str:
    members = set(component)
    lines = [f"cycle among {len(component)} modules:"]
    for module in component:
        for imported in sorted(graph.find_modules_directly_imported_by(module) & members):
            details = graph.get_import_details(importer=module, imported=imported)
            where = ", ".join(f"line {d['line_number']}" for d in details) or "?"
            lines.append(f"  {module} -> {imported} ({where})")
    return "\n".join(lines)


def test_serve_modules_import_each_other_without_a_cycle() -> None:
    _assert_acyclic("serve")


def test_the_project_has_no_import_cycle() -> None:
    _assert_acyclic(*PACKAGES)


def _assert_acyclic(*packages: str) -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph(*packages, cache_dir=None)
    cycles = [c for c in _cycles(graph) if c[0].split(".")[0] in packages]
    assert cycles == [], "\n\n".join(_describe(graph, cycle) for cycle in cycles)
