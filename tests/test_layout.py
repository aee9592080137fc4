"""The package layout: families as subpackages, no import cycle, one compat module.

Also the shape of the estimator: one sknoisy class in NoisyLabelClassifier's
MRO, no skorch method overridden in two sknoisy classes, and private names of
skorch, torch and scikit-learn only in ``sknoisy/utils/_compat.py``.
"""

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "sknoisy"
COMPAT = "sknoisy.utils._compat"
LIBRARIES = ("skorch", "torch", "sklearn")


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def _imports(name, path):
    """sknoisy modules imported anywhere in a module (functions included)."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
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


def _library_private_names():
    """Private attribute names that skorch, torch and scikit-learn define."""
    from sklearn.base import BaseEstimator
    from skorch import NeuralNetClassifier
    from skorch.callbacks import Callback
    from skorch.hf import AccelerateMixin
    from torch import nn
    from torch.utils.data import DataLoader, Dataset, Sampler

    names = set()
    for cls in (
        NeuralNetClassifier,
        AccelerateMixin,
        nn.Module,
        BaseEstimator,
        Callback,
        DataLoader,
        Dataset,
        Sampler,
    ):
        for base in cls.__mro__:
            if base.__module__.split(".")[0] in LIBRARIES:
                names |= {
                    n for n in vars(base) if n.startswith("_") and not n.endswith("__")
                }
    return names


def _private_uses(path, names):
    """Private names of the libraries that a module imports, reads or overrides."""
    tree = ast.parse(path.read_text())
    uses = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if parts[0] in LIBRARIES:
                if any(p.startswith("_") for p in parts):
                    uses.add(node.module)
                uses |= {
                    f"{node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_")
                }
        elif isinstance(node, ast.Attribute) and node.attr in names:
            uses.add(node.attr)
        elif isinstance(node, ast.ClassDef):
            uses |= {
                f"def {item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef) and item.name in names
            }
    return uses


def test_private_names_of_libraries_only_in_the_compat_module():
    names = _library_private_names()
    found = {
        name: sorted(_private_uses(path, names))
        for name, path in _modules()
        if name != COMPAT
    }
    found = {name: uses for name, uses in found.items() if uses}
    assert not found, found


def test_private_names_scan_finds_them(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "from sklearn.utils._param_validation import Interval\n"
        "from sklearn.utils.validation import _num_samples\n"
        "class A:\n    def _get_param_names(self):\n        return self._criteria\n"
    )
    uses = _private_uses(module, _library_private_names())
    assert uses == {
        "sklearn.utils._param_validation",
        "sklearn.utils.validation._num_samples",
        "def _get_param_names",
        "_criteria",
    }


def test_one_sknoisy_class_in_the_estimator():
    from sknoisy import NoisyLabelClassifier

    mro = NoisyLabelClassifier.__mro__
    own = [c for c in mro if c.__module__.startswith("sknoisy")]
    assert own == [NoisyLabelClassifier]


def test_no_skorch_method_overridden_in_two_sknoisy_classes():
    from skorch import NeuralNet

    import sknoisy.accelerate

    accelerated = sknoisy.accelerate.AcceleratedNoisyLabelClassifier
    classes = {c for c in accelerated.__mro__ if c.__module__.startswith("sknoisy")}
    # Methods and properties; the constructor and class metadata are not hooks.
    skorch_methods = {
        n
        for n in dir(NeuralNet)
        if n != "__init__"
        and (
            callable(getattr(NeuralNet, n))
            or isinstance(getattr(NeuralNet, n), property)
        )
        and n not in {"__class__", "__subclasshook__", "__init_subclass__"}
    }
    owners = {}
    for cls in classes:
        for name in set(vars(cls)) & skorch_methods:
            owners.setdefault(name, []).append(cls.__name__)
    twice = {name: who for name, who in owners.items() if len(who) > 1}
    assert not twice, twice


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
    # Imports inside functions count too: a cycle through them still ties
    # the modules together.
    modules = dict(_modules())
    graph = {
        name: {t for t in _imports(name, path) if t in modules} - {name}
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


def _private_sknoisy_uses(path, package="sknoisy"):
    """Private sknoisy names a script imports, and its ``sys.path`` tricks."""
    tree = ast.parse(path.read_text())
    uses = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative: inside the package
                module = f"{package}.{module}" if module else package
            if not module.startswith("sknoisy"):
                continue
            if any(part.startswith("_") for part in module.split(".")):
                uses.add(module)
            uses |= {
                f"{module}.{a.name}"
                for a in node.names
                if a.name.startswith("_") and not a.name.endswith("__")
            }
        elif isinstance(node, ast.Import):
            uses |= {
                a.name
                for a in node.names
                if a.name.startswith("sknoisy")
                and any(part.startswith("_") for part in a.name.split("."))
            }
        elif (
            isinstance(node, ast.Attribute)
            and node.attr == "path"
            and isinstance(node.value, ast.Name)
            and node.value.id == "sys"
        ):
            uses.add("sys.path")
    return uses


def test_cli_and_benchmark_scripts_use_the_public_api_only():
    scripts = [ROOT / "__main__.py", *sorted((ROOT.parent / "benchmarks").glob("*.py"))]
    found = {
        path.name: sorted(_private_sknoisy_uses(path))
        for path in scripts
        if _private_sknoisy_uses(path)
    }
    assert not found, found


def test_public_api_scan_finds_private_imports(tmp_path):
    script = tmp_path / "s.py"
    script.write_text(
        "import sys\nsys.path.insert(0, '.')\n"
        "from sknoisy.benchmark._pipeline import run\n"
        "from sknoisy.benchmark import _helper\n"
        "from .benchmark import public\n"
    )
    assert _private_sknoisy_uses(script) == {
        "sys.path",
        "sknoisy.benchmark._pipeline",
        "sknoisy.benchmark._helper",
    }
