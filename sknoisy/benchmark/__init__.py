"""Benchmark robust losses and label correction under injected or real label noise.

One pipeline serves every kind of benchmark: a :class:`BenchmarkConfig` holds
the settings, a source turns it into :class:`BenchmarkData` (a built-in data
set, real-noise data included, or a user's data file), and :func:`run` trains
every method at every noise rate and seed and returns one dict per run.
:func:`run_benchmark`, :func:`run_data_file` and :func:`run_data_file_injected`
do the same from keyword settings. :func:`summarize_results`,
:func:`format_table`, :func:`plot_results` and :func:`save_results` (with clean
test labels), :func:`format_report` and :func:`save_data_file_results` (a
file's noisy labels) turn the runs into tables, a plot and files. The console
command ``sknoisy benchmark`` (also ``python -m sknoisy benchmark``) runs the
same from a shell. :func:`load_split`, :func:`inject_noise`,
:func:`rst_table`, :func:`text_table` and :func:`mean_std` serve the scripts
in the repository's ``benchmarks/`` folder.
"""

from ._api import run_benchmark, run_data_file, run_data_file_injected
from ._cleanlab import cleanlab_available
from ._config import (
    DEFAULT_METHODS,
    DEFAULT_RATES,
    DEFAULT_SEEDS,
    DEFAULT_TEST_SIZE,
    METHODS,
    NOISE_KINDS,
    BenchmarkConfig,
)
from ._data import DATASETS, DEFAULT_REAL_NOISE, REAL_NOISE, load_benchmark_data
from ._helpers import (
    IMBALANCE_PROFILES,
    SPLITS,
    class_scores,
    load_split,
    make_imbalanced,
    mean_std,
    text_table,
)
from ._pipeline import run
from ._report import (
    RESULT_FIELDS,
    format_table,
    plot_results,
    rst_table,
    save_results,
    summarize_results,
)
from ._sources import (
    BenchmarkData,
    builtin_source,
    file_source,
    inject_noise,
    load_source,
    make_benchmark_noise,
)
from ._userdata import DataFileError, UserData, is_data_file, load_data_file
from ._userreport import format_report, save_data_file_results

__all__ = [
    "BenchmarkConfig",
    "BenchmarkData",
    "run",
    "load_source",
    "builtin_source",
    "file_source",
    "run_benchmark",
    "run_data_file",
    "run_data_file_injected",
    "summarize_results",
    "format_table",
    "plot_results",
    "save_results",
    "format_report",
    "save_data_file_results",
    "load_benchmark_data",
    "load_data_file",
    "is_data_file",
    "UserData",
    "DataFileError",
    "inject_noise",
    "make_benchmark_noise",
    "cleanlab_available",
    "class_scores",
    "load_split",
    "make_imbalanced",
    "rst_table",
    "text_table",
    "mean_std",
    "METHODS",
    "DEFAULT_METHODS",
    "DEFAULT_RATES",
    "DEFAULT_SEEDS",
    "DEFAULT_TEST_SIZE",
    "DATASETS",
    "NOISE_KINDS",
    "REAL_NOISE",
    "DEFAULT_REAL_NOISE",
    "RESULT_FIELDS",
    "SPLITS",
    "IMBALANCE_PROFILES",
]
