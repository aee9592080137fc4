"""Benchmark robust losses and label correction under injected or real label noise.

:func:`run_benchmark` trains every method at every noise rate and seed and
returns one dict per run; :func:`summarize_results`, :func:`format_table`,
:func:`plot_results` and :func:`save_results` turn them into tables, a plot and
files. The console command ``sknoisy benchmark`` (also ``python -m sknoisy
benchmark``) runs the same from a shell.
"""

from ._report import (
    format_table,
    plot_results,
    save_results,
    summarize_results,
)
from ._runner import (
    DATASETS,
    DEFAULT_METHODS,
    METHODS,
    NOISE_KINDS,
    REAL_NOISE,
    run_benchmark,
)

__all__ = [
    "run_benchmark",
    "summarize_results",
    "format_table",
    "plot_results",
    "save_results",
    "METHODS",
    "DEFAULT_METHODS",
    "DATASETS",
    "NOISE_KINDS",
    "REAL_NOISE",
]
