"""The imports point one way: analysis → ingest and query → engine and cluster → CLI and web."""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A module's layer by its name's prefix (the longest that matches); the data's path.
LAYERS = {
    "search": 0,  # analysis: text, morph, analysis, lemma_table, schema, …
    "search.ingest": 1,
    "search.query": 1,
    "search.engine": 2,
    "search.cluster": 2,
    "search.cli": 3,
    "search.cli_cache": 3,
    "search.cli_progress": 3,
    "search.__main__": 3,
    "web": 3,
}


def modules() -> dict[str, Path]:
    """Every module of search/ and web/ by its dotted name."""
    found = {}
    for path in [*ROOT.glob("search/**/*.py"), *ROOT.glob("web/**/*.py")]:
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    """Each module's imports of other modules of the project (lazy ones too), and of flask."""
    graph = defaultdict(set)
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                # `from pkg import submodule` depends on the submodule, not on pkg's other names
                subs = [f"{base}.{a.name}" for a in node.names]
                targets = [s for s in subs if s in mods] or [base]
            else:
                continue
            graph[name].update(t for t in targets if t != name and
                               (t in mods or t.split(".")[0] == "flask"))
    return graph


def layer(name: str) -> int:
    """The layer of a module of the project."""
    prefixes = [p for p in LAYERS if name == p or name.startswith(p + ".")]
    return LAYERS[max(prefixes, key=len)]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while (w := stack.pop()) != v:
                on.discard(w)
                group.append(w)
            on.discard(v)
            if group:
                found.append(sorted([v, *group]))

    for v in list(graph):
        if v not in index:
            visit(v)
    return found


MODS = modules()
GRAPH = imports(MODS)


def test_the_project_is_found():
    assert {"search.morph", "search.ingest.segment", "search.engine.engine", "web"} <= set(MODS)
    assert "search.engine.arrays" in GRAPH["search.engine.view"]


def test_no_import_cycles():
    assert cycles(GRAPH) == []


def test_search_never_imports_flask_or_web():
    bad = [(m, t) for m, ts in GRAPH.items() if m.startswith("search")
           for t in ts if t.split(".")[0] in ("flask", "web")]
    assert bad == []


def test_imports_follow_the_datas_path():
    upward = [(m, t) for m, ts in GRAPH.items() for t in ts
              if t in MODS and layer(t) > layer(m)]
    assert upward == []


@pytest.mark.parametrize(("graph", "expected"), [
    ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ({"a": {"b"}, "b": set()}, []),
])
def test_cycles_are_found(graph, expected):
    assert cycles(graph) == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("search.text", 0), ("search.ingest.segment", 1), ("search.query.plan", 1),
    ("search.cluster.store", 2), ("search.cli", 3), ("web.api", 3), ("search.cli_cache", 3),
])
def test_layers(name, expected):
    assert layer(name) == expected
