"""``sknoisy find-issues`` on CSV files with string IDs and 20% flipped labels.

The acceptance check of issue 26, as a user would meet it: for each data set
(scikit-learn's digits, wine and breast_cancer, raw unscaled columns) and
seed, a CSV is written with

- ``sample_id``: a string ID per row (``smp-…``, not in row order);
- the raw feature columns, as scikit-learn gives them (no scaling: wine's
  proline is in the hundreds, its hue around 1);
- ``note``: a text column (with commas), to be left out with ``--ignore``;
- ``label``: string class names (``"three"``, ``"class_1"``,
  ``"malignant"``), of which exactly 20% are flipped to another class,
  uniformly at random (symmetric noise, the seed's generator).

The command line is run on it in a fresh process, with its defaults (the
default correction, 50 epochs, seed 0 of the fit unless ``--fit-seed``)::

    python -m sknoisy find-issues data.csv --target label --id sample_id \\
        --ignore note --output issues.csv --no-progress

and the output is checked: every input row present once, with its ID, its
line number and its cells exactly as in the file, and ``given_label`` the
file's label. Reported per run: recall (share of the flipped rows flagged
``is_label_issue``), precision (share of the flagged rows that were
flipped), the AUROC of ``1 - label_quality`` against the flipped rows, and
the command's wall time (process start, reading, fit and writing).

Usage (the numbers in ``results/find_issues_cli.json``)::

    OMP_NUM_THREADS=1 python benchmarks/bench_find_issues_cli.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DATASETS = ("digits", "wine", "breast_cancer")
DIGIT_NAMES = "zero one two three four five six seven eight nine".split()
HERE = Path(__file__).resolve().parent


def load(name):
    """Raw features and string class names of a scikit-learn data set."""
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")()
    names = DIGIT_NAMES if name == "digits" else list(bunch.target_names)
    return bunch.data, np.array(names)[bunch.target]


def flip(y, rate, rng):
    """``y`` with exactly ``round(rate * n)`` labels moved to another class."""
    classes = np.unique(y)
    flipped = rng.choice(len(y), round(rate * len(y)), replace=False)
    noisy = y.copy()
    for i in flipped:
        noisy[i] = rng.choice(classes[classes != y[i]])
    return noisy, np.sort(flipped)


def write_csv(path, X, labels, rng):
    """The user's file; returns its IDs (in row order) and rows (as written)."""
    n = len(labels)
    ids = [f"smp-{k:05d}" for k in rng.permutation(10 * n)[:n]]
    notes = ["checked, twice", "from batch B", "", "ok"]
    header = ["sample_id", *[f"x{j}" for j in range(X.shape[1])], "note", "label"]
    rows = [
        [ids[i], *(f"{v:g}" for v in X[i]), notes[i % len(notes)], labels[i]]
        for i in range(n)
    ]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return ids, header, rows


def check_output(path, ids, header, rows):
    """Every input row once, with its ID, line and cells; returns the rows read."""
    with open(path, newline="", encoding="utf-8") as f:
        out = list(csv.DictReader(f))
    by_id = {row[0]: (line, row) for line, row in enumerate(rows, start=2)}
    assert len(out) == len(rows), (len(out), len(rows))
    assert {r["sample_id"] for r in out} == set(ids), "IDs lost or changed"
    for r in out:
        line, cells = by_id[r["sample_id"]]
        assert int(r["line"]) == line
        assert [r[c] for c in header] == cells, r["sample_id"]
        assert r["given_label"] == r["label"]
    quality = [float(r["label_quality"]) for r in out]
    assert quality == sorted(quality), "not sorted by label quality"
    return out


def run_one(name, seed, rate, fit_seed, max_epochs, work):
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    X, y = load(name)
    noisy, flipped = flip(y, rate, rng)
    data = work / f"{name}_seed{seed}.csv"
    ids, header, rows = write_csv(data, X, noisy, rng)
    output = work / f"{name}_seed{seed}_issues.csv"
    command = [
        sys.executable,
        "-m",
        "sknoisy",
        "find-issues",
        str(data),
        "--target",
        "label",
        "--id",
        "sample_id",
        "--ignore",
        "note",
        "--output",
        str(output),
        "--seed",
        str(fit_seed),
        "--no-progress",
    ]
    if max_epochs is not None:
        command += ["--max-epochs", str(max_epochs)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr}")
    out = check_output(output, ids, header, rows)
    was_flipped = {ids[i] for i in flipped}
    truth = np.array([r["sample_id"] in was_flipped for r in out])
    flagged = np.array([r["is_label_issue"] == "True" for r in out])
    quality = np.array([float(r["label_quality"]) for r in out])
    hits = int(np.sum(flagged & truth))
    return {
        "dataset": name,
        "seed": seed,
        "fit_seed": fit_seed,
        "n_rows": len(rows),
        "n_features": X.shape[1],
        "n_classes": len(np.unique(y)),
        "n_flipped": int(truth.sum()),
        "n_flagged": int(flagged.sum()),
        "every_row_with_its_id": True,  # check_output raised otherwise
        "recall": hits / int(truth.sum()),
        "precision": hits / max(int(flagged.sum()), 1),
        "auroc": float(roc_auc_score(truth, 1 - quality)),
        "wall_seconds": seconds,
        "printed": done.stdout,
    }


def summarize(runs):
    summary = {}
    for name in dict.fromkeys(r["dataset"] for r in runs):
        part = [r for r in runs if r["dataset"] == name]
        summary[name] = {
            key: [
                float(np.mean([r[key] for r in part])),
                float(np.std([r[key] for r in part])),
            ]
            for key in ("recall", "precision", "auroc", "wall_seconds")
        }
        summary[name]["n_runs"] = len(part)
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--rate", type=float, default=0.2)
    parser.add_argument("--fit-seed", type=int, default=0, help="--seed of the CLI")
    parser.add_argument("--max-epochs", type=int, default=None, help="CLI default")
    parser.add_argument(
        "--output", default=str(HERE / "results" / "find_issues_cli.json")
    )
    args = parser.parse_args(argv)
    from sknoisy.benchmark import rst_table

    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.datasets:
            for seed in args.seeds:
                r = run_one(
                    name, seed, args.rate, args.fit_seed, args.max_epochs, Path(tmp)
                )
                print(
                    f"{name} seed {seed}: {r['n_rows']} rows, "
                    f"{r['n_flipped']} flipped, "
                    f"{r['n_flagged']} flagged; recall {r['recall']:.3f}, precision "
                    f"{r['precision']:.3f}, AUROC {r['auroc']:.3f}, "
                    f"{r['wall_seconds']:.1f} s",
                    flush=True,
                )
                runs.append(r)
    summary = summarize(runs)
    table = rst_table(
        ["data set", "rows", "recall", "precision", "AUROC", "wall s"],
        [
            [
                name,
                next(r["n_rows"] for r in runs if r["dataset"] == name),
                *(
                    f"{s[k][0]:.3f} ± {s[k][1]:.3f}"
                    for k in ("recall", "precision", "auroc")
                ),
                f"{s['wall_seconds'][0]:.1f}",
            ]
            for name, s in summary.items()
        ],
    )
    print(table)
    import sklearn
    import torch

    import sknoisy

    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=HERE
    ).stdout.strip()
    doc = {
        "command": "OMP_NUM_THREADS="
        + os.environ.get("OMP_NUM_THREADS", "")
        + " python benchmarks/bench_find_issues_cli.py "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "cli": "python -m sknoisy find-issues DATA.csv --target label --id sample_id "
        "--ignore note --output ISSUES.csv --seed FIT_SEED --no-progress",
        "rate": args.rate,
        "noise": "symmetric: exactly round(rate * n) labels, each moved to a "
        "uniformly drawn other class",
        "max_epochs": args.max_epochs or 50,
        "summary": summary,
        "table": table,
        "runs": runs,
        "environment": {
            "commit": commit,
            "sknoisy": sknoisy.__version__,
            "torch": torch.__version__,
            "sklearn": sklearn.__version__,
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpu_count": os.cpu_count(),
        },
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
