"""The package layout: families as subpackages, no import cycle, small modules."""

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "sknoisy"
MAX_LINES = 600


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def _module_level_imports(name, path):
    """sknoisy modules imported at module level (not inside functions)."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("sknoisy"):
                found.add(target)
                for alias in node.names:  # `from . import losses` imports a module
                    found.add(f"{target}.{alias.name}")
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("sknoisy")}
    return found


def test_no_module_over_600_lines():
    sizes = {name: len(path.read_text().splitlines()) for name, path in _modules()}
    long = {name: n for name, n in sizes.items() if n > MAX_LINES}
    assert not long, long


def _find_cycle(graph):
    """A cycle of the directed graph as a list of nodes, or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_find_cycle():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert _find_cycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]


def test_no_import_cycle():
    modules = dict(_modules())
    graph = {
        name: {t for t in _module_level_imports(name, path) if t in modules} - {name}
        for name, path in modules.items()
    }
    cycle = _find_cycle(graph)
    assert cycle is None, " -> ".join(cycle)


@pytest.mark.parametrize(
    "path, names",
    [
        ("sknoisy", ["NoisyLabelClassifier", "LabelCorrection", "TruncationPruning"]),
        ("sknoisy.losses", ["GCELoss", "LOSSES", "get_loss_class"]),
        ("sknoisy.noise", ["SymmetricNoise", "PseudoLabelNoise", "make_noise"]),
        ("sknoisy.correction", ["LabelCorrection", "LRAnneal"]),
        ("sknoisy.models", ["MLP", "CNN1D", "ResNet18", "infer_module_sizes"]),
        ("sknoisy.datasets", ["load_mnist1d"]),
        ("sknoisy.benchmark", ["run_benchmark"]),
        ("sknoisy.exceptions", ["CorrectionWarning"]),
    ],
)
def test_public_import_paths(path, names):
    module = importlib.import_module(path)
    for name in names:
        assert name in module.__all__ and hasattr(module, name)
