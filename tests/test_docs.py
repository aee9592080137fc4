"""Every public name is documented in the API reference."""

import importlib
import re
from pathlib import Path

import pytest

API = Path(__file__).resolve().parents[1] / "docs" / "api.rst"
MODULES = [
    "sknoisy",
    "sknoisy.losses",
    "sknoisy.noise",
    "sknoisy.models",
    "sknoisy.datasets",
    "sknoisy.augment",
    "sknoisy.benchmark",
    "sknoisy.fastpath",
    "sknoisy.accelerate",
    "sknoisy.exceptions",
    "sknoisy.correction",
    "sknoisy.metrics",
    "sknoisy.annotators",
]


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_name_is_in_the_api_reference(module_name):
    module = importlib.import_module(module_name)
    text = API.read_text()
    documented = set(re.findall(r"^\s+([A-Za-z_][A-Za-z0-9_]*)\s*$", text, re.M))
    documented |= set(re.findall(r"(?:data|function|class)::\s+([A-Za-z_]\w*)", text))
    missing = [
        name
        for name in module.__all__
        if name not in documented
        and not name.startswith("__")
        and not isinstance(getattr(module, name), type(module))  # submodules
    ]
    assert not missing, f"{module_name}: not in docs/api.rst: {missing}"
