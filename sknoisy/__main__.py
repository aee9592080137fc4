"""Command line interface: ``sknoisy benchmark`` (or ``python -m sknoisy benchmark``).

The work is done by :func:`sknoisy.benchmark.run` on a
:class:`~sknoisy.benchmark.BenchmarkConfig` (a built-in data set, a user's file
whose labels are already noisy, or a file whose labels are clean, with
``--noise`` or ``--rates``: noise is injected); this module only parses
arguments, reports bad ones and bad files the argparse way (exit status 2) and
prints the result tables.
"""

from __future__ import annotations

import argparse
import sys

from .benchmark import (
    DATASETS,
    DEFAULT_METHODS,
    DEFAULT_RATES,
    DEFAULT_REAL_NOISE,
    DEFAULT_SEEDS,
    METHODS,
    NOISE_KINDS,
    REAL_NOISE,
    BenchmarkConfig,
    DataFileError,
    cleanlab_available,
    format_report,
    format_table,
    is_data_file,
    run,
)
from .datasets import DataLayoutError

__all__ = ["main"]

DESCRIPTION = """\
Train a set of methods and compare them.

Built-in data sets (digits, mnist1d, cifar10): noise is injected into the
training split at every rate and seed, and every method is scored on the
clean test labels. cifar10n and cifar100n (CIFAR with the human labels of
the CIFAR-N release) have real noise: nothing is injected, the noise rate is
measured, and label recovery is scored against the release's clean labels.

Your own data file (.csv, .npz, or a pair of .npy files), whose labels are
already noisy: no noise is injected. Every method is scored on a held-out,
stratified split of the given labels; the methods that correct labels
(jo_soft, jo_hard, cleanlab) report how many training labels they find wrong
and a histogram of label quality, and label_issues.csv lists the samples,
lowest label quality first. Accuracy on clean labels needs clean labels and is
not reported then.

Your own data file whose labels are clean, with --noise or --rates: noise is
injected into the training part as for the built-in data sets, and every
method is scored on the clean labels of the held-out split (accuracy,
calibration, label recovery).

cleanlab (confident learning, cleanlab's CleanLearning around the same
network) is an optional method on every data set when the cleanlab package
is installed; without it, --methods ... cleanlab skips it with a message.
"""

EPILOG = """\
examples:
  sknoisy benchmark --rates 0.4 --seeds 0
  sknoisy benchmark --dataset cifar10n --noise worse --data-dir DIR --device cuda
  sknoisy benchmark --dataset data.csv --target label --methods ce gce jo_soft
  sknoisy benchmark --dataset data.npz            # arrays X (2-D) and y
  sknoisy benchmark --dataset X.npy --target y.npy
  sknoisy benchmark --dataset clean.csv --target label --noise symmetric --rates 0.2 0.4
  sknoisy benchmark --rates 0.4 --methods ce jo_soft cleanlab
"""


def _split(convert, what):
    """An argparse type: one value or several separated by commas."""

    def parse(text):
        try:
            return [convert(part) for part in text.split(",") if part.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid {what}: {text!r}") from None

    parse.__name__ = what
    return parse


def _add_list(group, flag, parse, help):
    """An option taking values separated by spaces or commas (``parse``)."""
    group.add_argument(
        flag,
        nargs="+",
        type=parse,
        default=None,
        metavar=parse.__name__.upper(),
        help=help,
    )


def _flat(values, default):
    return list(default) if values is None else [v for group in values for v in group]


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
        help="compare methods on a built-in data set or on your own noisy data",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    data = bench.add_argument_group("data")
    data.add_argument(
        "--dataset",
        default="digits",
        metavar="NAME|FILE",
        help=f"{', '.join(DATASETS)}, or a data file: FILE.csv (with --target "
        "COLUMN), FILE.npz (arrays X and y) or X.npy (with --target y.npy) "
        "(default: digits)",
    )
    data.add_argument(
        "--target",
        metavar="COLUMN|FILE",
        help="data files: the label column of a .csv file, or the labels .npy "
        "file that goes with a features .npy file",
    )
    data.add_argument(
        "--test-size",
        type=float,
        default=None,
        metavar="SHARE",
        help="data files: share of the samples held out (stratified) to score "
        "the methods on the given labels; 0 holds none out (default: 0.2)",
    )
    data.add_argument(
        "--data-dir",
        default=None,
        metavar="DIR",
        help="cifar10: folder holding cifar-10-batches-py/ (required); "
        "cifar10n: also CIFAR-10_human.pt; cifar100n: cifar-100-python/ and "
        "CIFAR-100_human.pt; mnist1d: cache folder (default: none)",
    )
    data.add_argument(
        "--n-train",
        type=int,
        default=None,
        metavar="N",
        help="train on a stratified subset of N training samples (default: all)",
    )
    real = "; ".join(
        f"{name}: "
        + ", ".join(
            c + (" (default)" if c == DEFAULT_REAL_NOISE[name] else "") for c in choices
        )
        for name, choices in REAL_NOISE.items()
    )
    noise = bench.add_argument_group(
        "noise (built-in data sets; on a data file, its labels are taken as clean)"
    )
    noise.add_argument(
        "--noise",
        default=None,
        metavar="KIND",
        help=f"{', '.join(NOISE_KINDS)} (default: symmetric); the human label "
        f"sets of {real}. With a data file, --noise or --rates injects noise "
        "into its labels, which are then taken as clean",
    )
    _add_list(
        noise,
        "--rates",
        _split(float, "rate"),
        "noise rates in [0, 1], space or comma separated (default: "
        f"{' '.join(f'{r:g}' for r in DEFAULT_RATES)}); not for cifar10n and "
        "cifar100n, whose noise rate is measured",
    )
    runs = bench.add_argument_group("methods and training")
    _add_list(
        runs,
        "--methods",
        _split(str, "method"),
        f"any of {', '.join(METHODS)}; cleanlab when the cleanlab package "
        f"is installed (default: {' '.join(DEFAULT_METHODS)})",
    )
    _add_list(
        runs,
        "--seeds",
        _split(int, "seed"),
        "seeds of the noise and the networks "
        f"(default: {' '.join(map(str, DEFAULT_SEEDS))})",
    )
    runs.add_argument(
        "--max-epochs",
        type=int,
        default=50,
        metavar="N",
        help="epochs per run (default: 50)",
    )
    runs.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    runs.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        metavar="N",
        help="runs in parallel (joblib; -1: all cores) (default: 1)",
    )
    out = bench.add_argument_group("output")
    out.add_argument(
        "--output",
        default="benchmark_results",
        metavar="DIR",
        help="folder for the result files (default: benchmark_results)",
    )
    out.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    bench.set_defaults(subparser=bench)
    return parser


def _drop_missing_cleanlab(methods):
    """``methods`` without ``"cleanlab"`` when cleanlab is not installed.

    Says so on stderr; keeps it when no other method is left (the
    configuration then says why it cannot run).
    """
    kept = [m for m in methods if m != "cleanlab"]
    if len(kept) == len(methods) or not kept or cleanlab_available():
        return methods
    print(
        "sknoisy benchmark: skipping method 'cleanlab': the cleanlab package is "
        f"not installed (pip install cleanlab); running {' '.join(kept)}",
        file=sys.stderr,
    )
    return kept


def _check_options(args):
    """Exit 2 for an option that does not go with the kind of data set."""
    if is_data_file(args.dataset):
        if args.data_dir is not None:
            args.subparser.error(
                "--data-dir: a data file needs no data folder; --data-dir is for "
                "the built-in data sets"
            )
    elif args.target is not None or args.test_size is not None:
        option = "--target" if args.target is not None else "--test-size"
        args.subparser.error(
            f"{option} is for data files; {args.dataset!r} is a built-in data set"
        )


def _config(args):
    """The :class:`BenchmarkConfig` of the arguments; exit 2 when one is bad."""
    plain = ("noise", "max_epochs", "device", "n_jobs", "data_dir", "n_train")
    return BenchmarkConfig(
        args.dataset,
        args.target,
        rates=None if args.rates is None else _flat(args.rates, ()),
        methods=_drop_missing_cleanlab(_flat(args.methods, DEFAULT_METHODS)),
        seeds=_flat(args.seeds, DEFAULT_SEEDS),
        test_size=args.test_size,
        **{name: getattr(args, name) for name in plain},
    )


def _injected_header(report):
    """What was done to a data file whose labels are taken as clean."""
    data, config = report["data"], report["config"]
    classes = ", ".join(f"{c} ({n})" for c, n in data["classes"].items())
    return (
        f"{data['name']}: {data['n_samples']} samples, {data['n_features']} "
        f"features, {len(data['classes'])} classes; labels from "
        f"{data['labels_from']}: {classes}.\n"
        f"The file's labels are taken as clean: {config['noise']} noise is "
        f"injected into the {data['n_train']} training labels at every rate "
        f"and seed; every method is scored on the clean labels of the "
        f"{data['n_test']} held-out samples (stratified, "
        f"{data['test_size']:g} of the file).\n"
    )


def main(argv=None):
    """Run the ``sknoisy`` command; return its exit status.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments without the program name; ``None`` reads ``sys.argv``.

    Returns
    -------
    status : int
        0 on success. Bad arguments and data files that cannot be used exit
        with status 2 and a message (:class:`SystemExit`, as argparse does).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_options(args)
    try:
        config = _config(args)
    except ValueError as exc:
        args.subparser.error(str(exc))
    try:  # the file (or CIFAR-N label file) is read before anything is trained
        report = run(config, output=args.output, progress=not args.no_progress)
    except (DataFileError, DataLayoutError) as exc:
        args.subparser.error(str(exc))
    if config.is_file and not config.injects_noise:
        print(format_report(report))
        files = "runs.csv, results.json and report.txt"
        if any(r["label_quality"] is not None for r in report["runs"]):
            files = "runs.csv, results.json, report.txt and label_issues.csv"
    else:
        if config.is_file:
            print(_injected_header(report))
        print(format_table(report["runs"]))
        files = "runs.csv, results.json, table.txt and accuracy.png"
    print(f"Wrote {files} to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
