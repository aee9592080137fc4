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


def test_import_under_OO_fails_in_sknoisy_nowhere():
    # skorch (1.x) builds NeuralNetClassifier's docstring from NeuralNet's,
    # which is None under -OO, so `import skorch` itself fails there; no
    # frame of sknoisy's own code may be the one that fails.
    proc = subprocess.run(
        [sys.executable, "-OO", "-c", "import sknoisy"],
        capture_output=True,
        text=True,
    )
    if proc.returncode == 0:
        return
    frames = [line for line in proc.stderr.splitlines() if 'File "' in line]
    assert frames, proc.stderr
    assert "skorch" in frames[-1] and "sknoisy" not in frames[-1], proc.stderr
    plain = subprocess.run(
        [sys.executable, "-OO", "-c", "import skorch"], capture_output=True
    )
    assert plain.returncode != 0  # the failure is skorch's own
