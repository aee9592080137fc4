"""Command line interface: ``sknoisy benchmark`` (or ``python -m sknoisy benchmark``).

The work is done by :func:`sknoisy.benchmark.run_benchmark`; this module only
parses arguments, reports bad ones the argparse way (exit status 2) and prints
the result table.
"""

from __future__ import annotations

import argparse
import sys

from .benchmark._report import format_table
from .benchmark._runner import (
    DATASETS,
    DEFAULT_METHODS,
    DEFAULT_RATES,
    DEFAULT_SEEDS,
    METHODS,
    NOISE_KINDS,
    check_benchmark_config,
    run_benchmark,
)

__all__ = ["main"]


def _split(convert, what):
    """An argparse type: one value or several separated by commas."""

    def parse(text):
        try:
            return [convert(part) for part in text.split(",") if part.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid {what}: {text!r}") from None

    parse.__name__ = what
    return parse


def _flat(values):
    return [v for group in values for v in group]


def build_parser():
    """The argument parser of the ``sknoisy`` command."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="sknoisy",
        description="sknoisy: neural networks for noisy labels in scikit-learn.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    bench = commands.add_parser(
        "benchmark",
        help="train methods on a data set with injected label noise",
        description=(
            "Train every method at every noise rate and seed (noise on the "
            "training split only, scored on clean test labels); print a table "
            "and write runs.csv, results.json, table.txt and accuracy.png."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    bench.add_argument("--dataset", default="digits", help=", ".join(DATASETS))
    bench.add_argument(
        "--data-dir",
        default=None,
        help="cifar10: folder holding cifar-10-batches-py/; mnist1d: cache folder",
    )
    bench.add_argument("--noise", default="symmetric", help=", ".join(NOISE_KINDS))
    bench.add_argument(
        "--rates",
        nargs="+",
        type=_split(float, "rate"),
        default=[list(DEFAULT_RATES)],
        metavar="RATE",
        help="noise rates in [0, 1] (space or comma separated)",
    )
    bench.add_argument(
        "--methods",
        nargs="+",
        type=_split(str, "method"),
        default=[list(DEFAULT_METHODS)],
        metavar="METHOD",
        help="methods, any of: " + ", ".join(METHODS),
    )
    bench.add_argument(
        "--seeds",
        nargs="+",
        type=_split(int, "seed"),
        default=[list(DEFAULT_SEEDS)],
        metavar="SEED",
        help="seeds of the noise and the networks",
    )
    bench.add_argument("--max-epochs", type=int, default=50, help="epochs per run")
    bench.add_argument("--device", default="cpu", help="cpu or cuda")
    bench.add_argument(
        "--n-jobs", type=int, default=1, help="parallel runs (joblib; -1: all cores)"
    )
    bench.add_argument(
        "--n-train",
        type=int,
        default=None,
        help="use a stratified subset of this many training samples",
    )
    bench.add_argument(
        "--output", default="benchmark_results", help="folder for the result files"
    )
    bench.add_argument(
        "--no-progress", action="store_true", help="hide the progress bar"
    )
    bench.set_defaults(subparser=bench)
    return parser


def main(argv=None):
    """Run the ``sknoisy`` command; return its exit status.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments without the program name; ``None`` reads ``sys.argv``.

    Returns
    -------
    status : int
        0 on success. Bad arguments exit with status 2 and a message
        (:class:`SystemExit`, as argparse does).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = {
        "noise": args.noise,
        "rates": _flat(args.rates),
        "methods": _flat(args.methods),
        "seeds": _flat(args.seeds),
        "max_epochs": args.max_epochs,
        "device": args.device,
        "n_jobs": args.n_jobs,
        "data_dir": args.data_dir,
        "n_train": args.n_train,
    }
    try:
        check_benchmark_config(args.dataset, **settings)
    except ValueError as exc:
        args.subparser.error(str(exc))
    results = run_benchmark(
        args.dataset, **settings, output=args.output, progress=not args.no_progress
    )
    print(format_table(results))
    print(f"Wrote runs.csv, results.json, table.txt and accuracy.png to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
