"""Fit-time benchmark: sknoisy against plain skorch and a plain PyTorch loop.

Every configuration trains the same module with Adam (lr 1e-3), the same data,
batch size and number of epochs; the timed region is module construction plus
training (no prediction). Repetitions are interleaved (A B C ... A B C ...),
with the order rotated each round, after one untimed warm-up round; the
medians are reported.

Workloads
---------
mlp     sknoisy.models.MLP (64-256-128-10) on load_digits (1,797 x 64).
resnet  sknoisy.models.PreActResNet (depth 8, widths 16-32-64) on synthetic
        3x32x32 images: 384 on the CPU, 50,000 with ``--device cuda``.

Data paths
----------
loader  torch DataLoader (skorch's default iterator).
tensor  sknoisy.fastpath.TensorLoader (data placed on the device once).

Columns: ``/skorch`` sknoisy / plain skorch with ``torch.nn.CrossEntropyLoss``
on the same data path (acceptance: <= 1.05); ``/same`` sknoisy / plain skorch
with the same sknoisy loss as its criterion (the estimator's own overhead, loss
cost excluded; for soft correction: against cross entropy, so it includes the
correction's work); ``/loop`` against the plain PyTorch loop (goal for the
TensorLoader path: <= 1.10 on the CPU). ``spread`` is min-max of the repeats.

Usage::

    python benchmarks/bench_speed.py --repeats 5
    python benchmarks/bench_speed.py --workload mlp --epochs 10 --repeats 7
    python benchmarks/bench_speed.py --workload resnet --device cuda --epochs 2
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import torch
from sklearn.datasets import load_digits
from skorch import NeuralNetClassifier

from sknoisy import NoisyLabelClassifier
from sknoisy.fastpath import TensorLoader
from sknoisy.losses import LOSSES
from sknoisy.models import MLP, PreActResNet

SKNOISY_VARIANTS = {
    "ce": {"loss": "ce"},
    "gce": {"loss": "gce"},
    "truncated_gce": {"loss": "truncated_gce"},
    "encouraging": {"loss": "encouraging"},
    "soft_correction": {"loss": "ce", "label_correction": "soft"},
    "elr": {"loss": "elr"},
}


def mlp_workload(args):
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    module_kwargs = {"n_features": X.shape[1], "n_classes": 10}
    return MLP, module_kwargs, X, y.astype(np.int64)


def resnet_workload(args):
    n = args.n_images or (50_000 if args.device.startswith("cuda") else 384)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 3, 32, 32), dtype=np.float32)
    y = rng.integers(0, 10, n).astype(np.int64)
    module_kwargs = {"in_channels": 3, "n_classes": 10, "depth": 8}
    module_kwargs["widths"] = (16, 32, 64)
    return PreActResNet, module_kwargs, X, y


def _sync(device):
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def torch_loop(module, module_kwargs, X, y, args):
    """The plain PyTorch reference: tensors on the device, randperm batches."""
    device = torch.device(args.device)
    model = module(**module_kwargs).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = torch.nn.CrossEntropyLoss()
    Xt = torch.as_tensor(X, device=device)
    yt = torch.as_tensor(y, device=device)
    n, size = len(Xt), args.batch_size
    model.train()
    for _ in range(args.epochs):
        perm = torch.randperm(n).to(device)
        for start in range(0, n, size):
            rows = perm[start : start + size]
            optimizer.zero_grad()
            loss = criterion(model(Xt[rows]), yt[rows])
            loss.backward()
            optimizer.step()
    return model


def _loader_params(path, device):
    if path == "loader":
        return {}
    return {
        "iterator_train": TensorLoader,
        "iterator_valid": TensorLoader,
        "iterator_train__device": device,
        "iterator_valid__device": device,
    }


def skorch_fit(module, module_kwargs, X, y, args, path, loss=None):
    """Plain skorch; ``loss``: a sknoisy loss name used as skorch's criterion."""
    params = {f"module__{key}": value for key, value in module_kwargs.items()}
    params.update(_loader_params(path, args.device))
    criterion = torch.nn.CrossEntropyLoss if loss is None else LOSSES[loss]
    net = NeuralNetClassifier(
        module,
        criterion=criterion,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=args.epochs,
        batch_size=args.batch_size,
        train_split=None,
        iterator_train__shuffle=True,
        device=args.device,
        verbose=0,
        **params,
    )
    return net.fit(X, y)


def sknoisy_fit(module, module_kwargs, X, y, args, path, variant):
    params = {f"module__{key}": value for key, value in module_kwargs.items()}
    params.update(_loader_params(path, args.device))
    params.update(SKNOISY_VARIANTS[variant])
    clf = NoisyLabelClassifier(
        module,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=args.epochs,
        batch_size=args.batch_size,
        device=args.device,
        random_state=0,
        verbose=0,
        **params,
    )
    return clf.fit(X, y)


def _same_loss(variant):
    """The sknoisy loss of a variant when plain skorch can train with it.

    None for cross entropy, and for ELR, whose regularizer needs sknoisy's
    per-sample targets (without them ELRLoss is cross entropy).
    """
    loss = SKNOISY_VARIANTS[variant]["loss"]
    return None if loss in ("ce", "elr") else loss


def configurations(args):
    configs = {"torch loop": lambda *a: torch_loop(*a, args)}
    for path in ("loader", "tensor"):
        configs[f"skorch [{path}]"] = lambda *a, p=path: skorch_fit(*a, args, p)
        if args.loss_baselines:
            losses = dict.fromkeys(filter(None, map(_same_loss, args.variants)))
            for loss in losses:
                configs[f"skorch+{loss} [{path}]"] = lambda *a, p=path, lo=loss: (
                    skorch_fit(*a, args, p, loss=lo)
                )
        for variant in args.variants:
            configs[f"sknoisy {variant} [{path}]"] = lambda *a, p=path, v=variant: (
                sknoisy_fit(*a, args, p, v)
            )
    return configs


def time_one(fn, data, device):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)  # local to the fork: the global state is restored
        _sync(device)
        start, start_cpu = time.perf_counter(), time.process_time()
        fn(*data)
        _sync(device)
        return {
            "wall": time.perf_counter() - start,
            "cpu": time.process_time() - start_cpu,
        }


def run_workload(name, make, args):
    module, module_kwargs, X, y = make(args)
    data = (module, module_kwargs, X, y)
    configs = configurations(args)
    names = list(configs)
    print(
        f"\n== {name}: {module.__name__} {module_kwargs}, X {X.shape}, "
        f"batch {args.batch_size}, epochs {args.epochs}, device {args.device}, "
        f"threads {torch.get_num_threads()}, repeats {args.repeats}, "
        f"clock {args.clock}"
    )
    for key in names:  # warm-up (lazy initialisation, allocator, caches)
        time_one(configs[key], data, args.device)
    times = {key: [] for key in names}
    for rep in range(args.repeats):
        shift = rep % len(names)
        for key in names[shift:] + names[:shift]:
            times[key].append(time_one(configs[key], data, args.device)[args.clock])
    median = {key: statistics.median(values) for key, values in times.items()}
    images = len(X) * args.epochs
    loop = median["torch loop"]
    print(
        f"{'configuration':34s} {'median s':>9s} {'img/s':>9s} {'/skorch':>8s} "
        f"{'/same':>7s} {'/loop':>7s}  spread"
    )
    for key in names:
        path = "tensor" if key.endswith("[tensor]") else "loader"
        ratios = ["", ""]
        if key.startswith("sknoisy"):
            variant = key.split()[1]
            ratios[0] = f"{median[key] / median[f'skorch [{path}]']:.3f}"
            loss = _same_loss(variant)
            same = f"skorch+{loss} [{path}]" if loss else f"skorch [{path}]"
            if same in median:
                ratios[1] = f"{median[key] / median[same]:.3f}"
        spread = f"{min(times[key]):.3f}-{max(times[key]):.3f}"
        print(
            f"{key:34s} {median[key]:9.3f} {images / median[key]:9.0f} "
            f"{ratios[0]:>8s} {ratios[1]:>7s} {median[key] / loop:7.3f}  {spread}"
        )
    return median


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workload", choices=["mlp", "resnet", "all"], default="all")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--epochs", type=int, default=None, help="default: 10 (mlp), 2 (resnet)"
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="default: 64 (mlp), 64 (resnet; 128 on CUDA)",
    )
    parser.add_argument(
        "--n-images",
        type=int,
        default=None,
        help="resnet images (default 384 on CPU, 50,000 on CUDA)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (default 1: quiet, modest)",
    )
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=list(SKNOISY_VARIANTS),
        default=list(SKNOISY_VARIANTS),
    )
    parser.add_argument(
        "--no-loss-baselines",
        dest="loss_baselines",
        action="store_false",
        help="skip plain skorch with sknoisy's loss as criterion (column /same)",
    )
    parser.add_argument(
        "--clock",
        choices=["auto", "wall", "cpu"],
        default="auto",
        help="'cpu': process CPU time, robust to other jobs on a "
        "shared machine (single-threaded CPU runs only); 'auto': "
        "cpu on the CPU with --threads 1, else wall",
    )
    args = parser.parse_args(argv)
    # Short benchmark fits prune before the network is confident: not news.
    warnings.filterwarnings("ignore", message="Truncated loss", category=RuntimeWarning)
    if args.clock == "auto":
        on_cpu = torch.device(args.device).type == "cpu"
        args.clock = "cpu" if on_cpu and args.threads == 1 else "wall"
    torch.set_num_threads(args.threads)
    on_cuda = torch.device(args.device).type == "cuda"
    workloads = {
        "mlp": (mlp_workload, 10, 64),
        "resnet": (resnet_workload, 2, 128 if on_cuda else 64),
    }
    chosen = list(workloads) if args.workload == "all" else [args.workload]
    epochs, batch_size = args.epochs, args.batch_size
    for name in chosen:
        make, default_epochs, default_batch = workloads[name]
        args.epochs = epochs or default_epochs
        args.batch_size = batch_size or default_batch
        run_workload(name, make, args)


if __name__ == "__main__":
    main()
