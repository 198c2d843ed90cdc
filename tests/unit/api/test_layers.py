"""The api has layers: no import loop among `grokpipe.api` modules nor its units; its units in the layers contract.

The graph is grimp's (the one import-linter checks), built from the installed namespace package; it counts every
import statement, inside functions and under TYPE_CHECKING too, so a loop cannot be hidden by moving an import.
A loop shows as a strongly connected component of more than one module (Tarjan's algorithm, iterative). Between
units (the api's top-level modules and packages), the layers contract of the root pyproject.toml (checked by
`lint-imports` in make lint) keeps wiring > features > kernel > leaf modules; this test holds it to every unit.
"""

import tomllib
from collections.abc import Mapping
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).parents[3]
API = ROOT / "api" / "src" / "grokpipe" / "api"


def strongly_connected(edges: Mapping[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components of a directed graph given as node -> successors."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[set[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            if successors:
                nxt = successors.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(edges.get(nxt, set()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
    return components


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": {"b"}, "b": set()}, []),
        ({"a": {"b"}, "b": {"a"}}, [{"a", "b"}]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [{"a", "b", "c"}]),
        ({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c"}, "e": {"a", "c"}}, [{"a", "b"}, {"c", "d"}]),
        ({"a": {"a"}}, []),
    ],
)
def test_strongly_connected_finds_the_loops(edges: dict[str, set[str]], expected: list[set[str]]) -> None:
    loops = [c for c in strongly_connected(edges) if len(c) > 1]
    assert sorted(map(sorted, loops)) == sorted(map(sorted, expected))


def api_import_loops() -> list[set[str]]:
    graph = grimp.build_graph("grokpipe", cache_dir=None)
    modules = {m for m in graph.modules if m == "grokpipe.api" or m.startswith("grokpipe.api.")}
    edges = {m: graph.find_modules_directly_imported_by(m) & modules for m in modules}
    return sorted((c for c in strongly_connected(edges) if len(c) > 1), key=len, reverse=True)


def test_the_api_has_no_import_loop() -> None:
    loops = api_import_loops()
    report = "\n".join(f"{len(loop)} modules: {', '.join(sorted(loop))}" for loop in loops)
    assert not loops, f"{sum(map(len, loops))} api modules in import loops:\n{report}"


def test_the_layers_contract_names_every_unit_of_the_api_once() -> None:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    (layers,) = [c for c in contracts if c["type"] == "layers" and "grokpipe.api.kernel" in c["layers"]]
    named = [unit.strip() for layer in layers["layers"] for unit in layer.split(":")]
    units = {f"grokpipe.api.{path.stem}" for path in API.glob("*.py") if path.stem != "__init__"}
    units |= {f"grokpipe.api.{path.name}" for path in API.iterdir() if (path / "__init__.py").is_file()}
    assert sorted(named) == sorted(units)


def api_unit_loops() -> list[set[str]]:
    """Loops between the api's units (its top-level modules and packages): an edge from unit A to unit B
    when any module of A imports any module of B."""
    graph = grimp.build_graph("grokpipe", cache_dir=None)

    def unit(module: str) -> str:
        return ".".join(module.split(".")[:3])

    modules = {m for m in graph.modules if m.startswith("grokpipe.api.")}
    edges: dict[str, set[str]] = {unit(m): set() for m in modules}
    for module in modules:
        for imported in graph.find_modules_directly_imported_by(module) & modules:
            if unit(imported) != unit(module):
                edges[unit(module)].add(unit(imported))
    return [c for c in strongly_connected(edges) if len(c) > 1]


def test_no_two_api_units_import_each_other() -> None:
    loops = api_unit_loops()
    assert not loops, "api units in import loops: " + "; ".join(", ".join(sorted(loop)) for loop in loops)
