"""Command line interface: ``sknoisy find-issues`` and ``sknoisy benchmark``.

``sknoisy find-issues FILE_OR_FOLDER`` fits one
:class:`~sknoisy.NoisyLabelClassifier` with label correction on every row of a
user's data (a ``.csv``, ``.npz`` or ``.npy`` file read by
:func:`sknoisy.benchmark.load_data_file`, or an image folder read by
torchvision's ``ImageFolder``) and writes its label-issue table, one row per
input row, traced back to the data by an ID column, line number, row
position or file path.

``sknoisy benchmark``: the work is done by :func:`sknoisy.benchmark.run` on a
:class:`~sknoisy.benchmark.BenchmarkConfig` (a built-in data set, a user's file
whose labels are already noisy, or a file whose labels are clean, with
``--noise`` or ``--rates``: noise is injected); this module only parses
arguments, reports bad ones and bad files the argparse way (exit status 2) and
prints the result tables.

Both use the public API only (``tests/test_layout.py``), as a user's script
would.
"""

from __future__ import annotations

import argparse
import csv
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

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
    load_data_file,
    rst_table,
    run,
)
from .datasets import DataLayoutError

__all__ = ["main"]

DESCRIPTION = """\
Train a set of methods and compare them.

To find the wrong labels of your own data set, use `sknoisy find-issues FILE
--target COLUMN` instead: it scores every row in one fit and writes a table
traced back to your rows (IDs, line numbers, file paths). benchmark holds out
a fifth of a file's rows and fits 6 methods x 3 seeds to compare methods.

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
finding the wrong labels of one data set: sknoisy find-issues --help

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
    _add_find_issues(commands)
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


# --------------------------------------------------------------------------------------
# sknoisy find-issues
# --------------------------------------------------------------------------------------
FIND_DESCRIPTION = """\
Find the labels of your data set that are probably wrong.

One NoisyLabelClassifier with label correction (label_correction='soft', the
default correction) is fitted on every row (nothing is held out), and every
row gets a label quality: the probability of its given label under the
network's outputs averaged over the last epochs, which label correction keeps
from memorising the wrong labels. A row is a label issue when its corrected
label differs from the given one (or, with --threshold, when its label
quality is below the threshold).

Data: a .csv file (a header row; --target names the label column; every other
column is a numeric feature, standardised before the fit, except the --id
and --ignore columns), a .npz file (arrays X and y), a .npy features file
with --target labels.npy, or an image folder with one subfolder per class
(torchvision's ImageFolder layout: FOLDER/CLASS/IMAGE.png), on which a small
CNN (sknoisy.models.CNN2D) is fitted to images resized to --image-size.

Output: a CSV with one row per input row, lowest label quality first. Its
columns: the --id column (if given); line (.csv: the row's line in the file,
the header being line 1), row (arrays: the 0-based position in X) or path
(images: relative to the folder); is_label_issue, label_quality,
given_label, predicted_label and corrected_label (class names for images);
then the file's other columns exactly as in the file (.csv). Beside it, a PNG
histogram of label quality with the flagged rows marked. A summary is
printed: the rows flagged per class and the 10 rows of lowest label quality.
"""

FIND_EPILOG = """\
examples:
  sknoisy find-issues data.csv --target label --id sample_id
  sknoisy find-issues data.csv --target label --ignore comment --output review.csv
  sknoisy find-issues data.npz                    # arrays X (2-D) and y
  sknoisy find-issues X.npy --target y.npy --max-epochs 100
  sknoisy find-issues photos/ --image-size 64 --device cuda

To compare methods (robust losses, correction, cleanlab) on your data set, see
sknoisy benchmark --help.
"""

N_WORST = 10
DEFAULT_IMAGE_SIZE = 32


def _add_find_issues(commands):
    find = commands.add_parser(
        "find-issues",
        help="find the wrong labels of your own data (CSV, arrays, image folder)",
        description=FIND_DESCRIPTION,
        epilog=FIND_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    find.add_argument(
        "data",
        metavar="FILE_OR_FOLDER",
        help="a .csv, .npz or .npy file, or an image folder with one subfolder "
        "per class",
    )
    data = find.add_argument_group("data")
    data.add_argument(
        "--target",
        metavar="COLUMN|FILE",
        help=".csv: the label column (required); .npy: the labels .npy file",
    )
    data.add_argument(
        "--id",
        dest="id_column",
        metavar="COLUMN",
        help=".csv: a column naming the rows (read as text, not a feature; "
        "every row needs its own); it leads the output (default: none, the "
        "line numbers trace the rows)",
    )
    _add_list(
        data,
        "--ignore",
        _split(str, "column"),
        ".csv: columns left out of the features (text, notes, other labels), "
        "space or comma separated (after FILE_OR_FOLDER, which a list would "
        "take in); they are kept in the output",
    )
    data.add_argument(
        "--image-size",
        type=int,
        default=None,
        metavar="PIXELS",
        help=f"image folder: images are resized to PIXELS x PIXELS "
        f"(default: {DEFAULT_IMAGE_SIZE})",
    )
    fit = find.add_argument_group("training")
    fit.add_argument(
        "--max-epochs",
        type=int,
        default=50,
        metavar="N",
        help="epochs of the fit (default: 50)",
    )
    fit.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="N",
        help="random_state of the fit; the same seed gives the same table (default: 0)",
    )
    fit.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    fit.add_argument(
        "--threshold",
        type=float,
        default=None,
        metavar="Q",
        help="flag the rows whose label quality is below Q (in [0, 1]) instead "
        "of those whose corrected label differs from the given one",
    )
    out = find.add_argument_group("output")
    out.add_argument(
        "--output",
        default=None,
        metavar="PATH.csv",
        help="the issues table; the plot is written beside it as PATH.png "
        "(default: NAME_label_issues.csv in the current folder, NAME being "
        "the file's or folder's name)",
    )
    out.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    find.set_defaults(subparser=find)


class _EpochBar(Callback):
    """A tqdm bar over the epochs of a fit (on stderr)."""

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        from tqdm.auto import tqdm

        self.bar_ = tqdm(
            total=net.max_epochs, desc="fit", unit="epoch", file=sys.stderr
        )

    def on_epoch_end(self, net, **kwargs):
        self.bar_.update()

    def on_train_end(self, net, X=None, y=None, **kwargs):
        self.bar_.close()


def _free_name(name, taken):
    """``name``, or ``sknoisy_name`` when a column of the file has it."""
    while name in taken:
        name = f"sknoisy_{name}"
    return name


def _read_images(folder, image_size):
    """The :class:`~torchvision.datasets.ImageFolder` of ``folder``, as a namespace."""
    from torchvision.datasets import ImageFolder
    from torchvision.transforms import Compose, Resize, ToTensor

    transform = Compose([Resize((image_size, image_size)), ToTensor()])
    try:
        dataset = ImageFolder(folder, transform=transform)
    except (FileNotFoundError, OSError) as exc:
        raise DataFileError(
            f"{folder}: not an image folder ({exc}); find-issues takes a folder "
            "with one subfolder of images per class (FOLDER/CLASS/IMAGE.png)."
        ) from None
    if len(dataset.classes) < 2:
        raise DataFileError(
            f"{folder}: the images are in a single class folder "
            f"({dataset.classes[0]!r}); a classifier needs at least two classes, "
            "one subfolder each."
        )
    paths = [Path(p).relative_to(folder).as_posix() for p, _ in dataset.samples]
    names = np.array(dataset.classes, dtype=object)
    return types.SimpleNamespace(
        X=dataset,
        y=None,
        name=folder.resolve().name,
        keys=[("path", np.array(paths, dtype=object))],
        columns=[],
        rows=None,
        class_names=names,
        about=f"{folder}: {len(paths)} images in {len(names)} class folders, "
        f"resized to {image_size}x{image_size}",
        fitted="on every image, a small CNN (sknoisy.models.CNN2D), pixels in [0, 1]",
    )


def _read_table(path, target, id_column, ignore):
    """A data file read by :func:`load_data_file`, as a namespace."""
    data = load_data_file(
        path, target, id_column=id_column, ignore=ignore, keep_rows=True
    )
    labels, counts = data.classes
    about = (
        f"{data.name}: {len(data.y)} rows, {data.X.shape[1]} features, "
        f"{len(labels)} classes; labels from {data.labels_from}"
    )
    fitted = "on every row, features standardised (StandardScaler)"
    X = StandardScaler().fit_transform(data.X).astype(np.float32)
    if data.rows is None:  # arrays: a row is its position
        keys = [("row", np.arange(len(data.y)))]
        return types.SimpleNamespace(
            X=X,
            y=data.y,
            name=Path(path).stem,
            keys=keys,
            columns=[],
            rows=None,
            class_names=None,
            about=about,
            fitted=fitted,
        )
    if data.id_column is not None:
        about += f"; IDs from column {data.id_column!r}"
    if data.ignored:
        about += f"; ignored: {', '.join(map(repr, data.ignored))}"
    original = [i for i, c in enumerate(data.columns) if c != data.id_column]
    keys = [("line", data.lines)]
    if data.id_column is not None:
        i_id = data.columns.index(data.id_column)
        ids = np.array([row[i_id] for row in data.rows], dtype=object)
        keys.insert(0, (data.id_column, ids))
    return types.SimpleNamespace(
        X=X,
        y=data.y,
        name=Path(path).stem,
        keys=keys,
        columns=[data.columns[i] for i in original],
        rows=[[row[i] for i in original] for row in data.rows],
        class_names=None,
        about=about,
        fitted=fitted,
    )


def _fit_issues(data, args):
    """Fit on every row; return the label-issue table and CorrectionWarnings."""
    from . import NoisyLabelClassifier
    from .exceptions import CorrectionWarning
    from .models import CNN2D

    params = {
        "label_correction": "soft",
        "max_epochs": args.max_epochs,
        "random_state": args.seed,
        "device": args.device,
    }
    if data.class_names is not None:
        params["module"] = CNN2D
    if not args.no_progress:
        params["callbacks"] = [("epoch_bar", _EpochBar())]
    clf = NoisyLabelClassifier(**params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CorrectionWarning)
        try:
            clf.fit(data.X, data.y)
        except OSError as exc:  # an image file that cannot be decoded
            if data.class_names is None:
                raise
            raise DataFileError(f"cannot read an image: {exc}") from None
    notes = []
    for w in caught:
        if issubclass(w.category, CorrectionWarning):
            notes.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return clf.get_label_issues(threshold=args.threshold), notes


def _issue_table(data, issues):
    """Header and rows of the output: keys, issue columns, the file's columns.

    Rows are sorted by label quality, lowest first (ties in the data's order).
    """
    # The ID column is not among data.columns; line, row or path may be.
    taken = set(data.columns)
    columns = {_free_name(name, taken): values for name, values in data.keys}
    # an ImageFolder's table already holds its class names
    for name in issues.columns:  # get_label_issues' columns, in its order
        columns[_free_name(name, taken)] = issues[name].to_numpy()
    quality = issues["label_quality"].to_numpy()
    order = np.argsort(quality, kind="stable")
    header = [*columns, *data.columns]
    rows = []
    for i in order:
        row = [_cell(values[i]) for values in columns.values()]
        rows.append(row + (data.rows[i] if data.rows is not None else []))
    return header, rows, order


def _cell(value):
    if isinstance(value, (float, np.floating)):
        return f"{value:.6g}"
    return str(value.item() if isinstance(value, np.generic) else value)


def _write_table(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def _plot_quality(path, quality, flagged, title):
    """A histogram of label quality, the flagged rows stacked in red."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 3.6), layout="constrained")
    ax = fig.subplots()
    bins = np.linspace(0.0, 1.0, 21)
    ax.hist(
        [quality[~flagged], quality[flagged]],
        bins=bins,
        stacked=True,
        color=["tab:blue", "tab:red"],
        label=[f"kept ({np.sum(~flagged)})", f"label issue ({np.sum(flagged)})"],
    )
    ax.set_xlim(0, 1)
    ax.set_xlabel("label quality (probability of the given label)")
    ax.set_ylabel("rows")
    ax.set_title(title)
    ax.legend()
    fig.savefig(path, dpi=100)


def _summary(data, issues, header, rows, notes, args):
    """The text printed after a fit: counts per class and the worst rows."""
    flagged = issues["is_label_issue"].to_numpy()
    given = issues["given_label"].to_numpy()
    n = len(flagged)
    rule = (
        f"label quality below {args.threshold:g}"
        if args.threshold is not None
        else "corrected label differs from the given one"
    )
    lines = [
        data.about + ".",
        f"Fitted NoisyLabelClassifier(label_correction='soft') {data.fitted}; "
        f"{args.max_epochs} epochs, seed {args.seed}, {args.device}.",
        "",
        f"Label issues: {flagged.sum()} of {n} rows ({flagged.mean():.1%}), "
        f"where the {rule}.",
        "",
    ]
    classes = np.unique(given)
    table = []
    for c in classes:
        mask = given == c
        table.append(
            [
                c,
                int(mask.sum()),
                int(flagged[mask].sum()),
                f"{flagged[mask].mean():.1%}",
            ]
        )
    lines.append(rst_table(["given label", "rows", "flagged", "share"], table))
    n_keys = len(data.keys)
    worst = [
        row[:n_keys]
        + [row[n_keys + 2], row[n_keys + 3], f"{float(row[n_keys + 1]):.3g}"]
        + ["yes" if row[n_keys] == "True" else ""]
        for row in rows[:N_WORST]
    ]
    keys = header[:n_keys]
    lines += [
        "",
        f"The {len(worst)} rows of lowest label quality:",
        rst_table([*keys, "given", "predicted", "quality", "issue"], worst),
    ]
    for note in notes:
        lines += ["", f"! {note}"]
    return "\n".join(lines)


def _output_path(args, source):
    if args.output is None:
        name = source.resolve().name if source.is_dir() else source.stem
        return Path(f"{name}_label_issues.csv")
    output = Path(args.output).expanduser()
    if output.suffix.lower() != ".csv":
        args.subparser.error(
            f"--output {args.output!r}: name a .csv file (the plot is written "
            "beside it, with .png)."
        )
    if source.exists() and output.resolve() == source.resolve():
        args.subparser.error(
            f"--output {args.output!r} is the data file; name another file."
        )
    return output


def _check_find_options(args, source):
    """Exit 2 for options that do not go with the data or with each other."""
    error = args.subparser.error
    if args.max_epochs < 1:
        error(f"--max-epochs must be at least 1, got {args.max_epochs}")
    if args.threshold is not None and not 0 <= args.threshold <= 1:
        error(f"--threshold must be in [0, 1], got {args.threshold:g}")
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        error(f"--device {args.device}: no CUDA device is available here")
    if source.is_dir():
        for option, value in (
            ("--target", args.target),
            ("--id", args.id_column),
            ("--ignore", args.ignore),
        ):
            if value is not None:
                error(
                    f"{option} is for data files; in an image folder the labels "
                    "are the class folders and the rows are named by their paths"
                )
        if args.image_size is not None and args.image_size < 1:
            error(f"--image-size must be at least 1, got {args.image_size}")
    elif args.image_size is not None:
        error("--image-size is for image folders")
    elif not source.exists():
        error(f"data file or folder not found: {source}")
    elif source.suffix.lower() not in (".csv", ".npz", ".npy"):
        error(
            f"unknown data file type {source.suffix or '(no extension)'!r} of "
            f"{str(source)!r}; find-issues takes a .csv, .npz or .npy file or an "
            "image folder."
        )


def _run_find_issues(args):
    """Run ``sknoisy find-issues`` on parsed arguments; return the exit status."""
    source = Path(args.data).expanduser()
    _check_find_options(args, source)
    output = _output_path(args, source)
    try:
        if source.is_dir():
            data = _read_images(source, args.image_size or DEFAULT_IMAGE_SIZE)
        else:
            ignore = _flat(args.ignore, ())
            data = _read_table(source, args.target, args.id_column, ignore)
        issues, notes = _fit_issues(data, args)
    except DataFileError as exc:
        args.subparser.error(str(exc))
    header, rows, order = _issue_table(data, issues)
    plot = output.with_suffix(".png")
    flagged = issues["is_label_issue"].to_numpy()
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        _write_table(output, header, rows)
        _plot_quality(
            plot,
            issues["label_quality"].to_numpy(),
            flagged,
            f"{data.name}: {flagged.sum()} label issues in {len(flagged)} rows",
        )
    except OSError as exc:
        args.subparser.error(f"--output: cannot write {output} or {plot}: {exc}")
    print(_summary(data, issues, header, rows, notes, args))
    print(
        f"\nWrote {output} (every row, lowest label quality first) and {plot} "
        "(histogram of label quality). Review the rows from the top; "
        "is_label_issue marks those the model would relabel as corrected_label."
    )
    return 0


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
    if args.command == "find-issues":
        return _run_find_issues(args)
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
