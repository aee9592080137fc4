"""The docstring-template helper and ``python -OO``."""

import subprocess
import sys

from sknoisy.utils._docstring import Substitution


def test_substitution_fills_only_known_names():
    @Substitution(seed="random_state : int", unused="x")
    def f():
        """Text {seed} and a set {"a", "b"} and {other}."""

    assert f.__doc__ == 'Text random_state : int and a set {"a", "b"} and {other}.'


def test_substitution_without_docstring():
    def f():
        pass

    assert Substitution(seed="x")(f) is f and f.__doc__ is None


def test_public_docstrings_have_no_placeholders():
    import sknoisy.losses
    import sknoisy.noise

    for module in (sknoisy.losses, sknoisy.noise):
        for name in module.__all__:
            doc = getattr(getattr(module, name), "__doc__", None) or ""
            for placeholder in ("{classes}", "{random_state}", "{reduction}", "%("):
                assert placeholder not in doc, (name, placeholder)


def test_import_and_fit_under_OO():
    # skorch (1.x) builds NeuralNetClassifier's docstring from NeuralNet's,
    # which is None under -OO; sknoisy restores it from skorch's source first.
    code = (
        "import numpy as np, sknoisy\n"
        "from sknoisy import NoisyLabelClassifier\n"
        "from sknoisy.noise import SymmetricNoise\n"
        "X = np.random.default_rng(0).random((40, 3), dtype=np.float32)\n"
        "y = np.arange(40) % 2\n"
        "clf = NoisyLabelClassifier(max_epochs=2, random_state=0).fit(X, y)\n"
        "assert clf.predict(X).shape == (40,)\n"
        "assert NoisyLabelClassifier.__doc__ is None\n"
        "print('ok')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-OO", "-c", code], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_skorch_doc_hook_is_one_shot_and_only_under_OO():
    from sknoisy.utils._docstring import _SkorchDocFinder, _source_docstring

    assert not any(isinstance(f, _SkorchDocFinder) for f in sys.meta_path)
    import skorch.net

    doc = _source_docstring(skorch.net.__file__, "NeuralNet")
    assert doc is not None and "criterion" in doc
    assert _source_docstring(skorch.net.__file__, "NoSuchClass") is None
