"""The benchmark's functions of keyword settings, each a configuration and :func:`run`.

:func:`run_benchmark` (built-in data sets), :func:`run_data_file` (a user's
file whose labels are noisy) and :func:`run_data_file_injected` (a user's file
whose labels are clean, noise injected) build a
:class:`~sknoisy.benchmark.BenchmarkConfig` and call
:func:`~sknoisy.benchmark.run`.
"""

from __future__ import annotations

from ._config import DEFAULT_METHODS, DEFAULT_SEEDS, BenchmarkConfig
from ._pipeline import run

__all__ = ["run_benchmark", "run_data_file", "run_data_file_injected"]


def run_benchmark(
    dataset="digits",
    *,
    noise=None,
    rates=None,
    methods=DEFAULT_METHODS,
    seeds=DEFAULT_SEEDS,
    max_epochs=50,
    device="cpu",
    n_jobs=1,
    data_dir=None,
    n_train=None,
    output=None,
    progress=True,
):
    """Train every method at every noise rate and seed; return one dict per run.

    Noise is injected into the training split only, seeded by the run's seed:
    for a given seed and rate every method trains on the same noisy labels.
    ``cifar10n`` and ``cifar100n`` have real noise instead: every run trains
    on a human label set of the CIFAR-N release, nothing is injected, and the
    one "rate" is the measured noise rate. Each run fits a
    :class:`~sknoisy.NoisyLabelClassifier` (``random_state`` is the seed) and
    is scored on the clean test labels.

    Parameters
    ----------
    dataset : {"digits", "mnist1d", "cifar10", "cifar10n", "cifar100n"}, \
default="digits"
        ``"digits"``: scikit-learn's 8x8 digits, ``X / 16``, stratified 70/30
        split (``random_state=0``), :class:`~sknoisy.models.MLP`.
        ``"mnist1d"``: :func:`~sknoisy.datasets.load_mnist1d` (5000 signals,
        4000/1000), :class:`~sknoisy.models.CNN1D`. ``"cifar10"``: a local copy
        in ``data_dir`` (:func:`~sknoisy.datasets.load_cifar10`, standardised),
        :class:`~sknoisy.models.PreActResNet32`, batch size 128.
        ``"cifar10n"``, ``"cifar100n"``: the same with the human labels of
        :func:`~sknoisy.datasets.load_cifar10n` and
        :func:`~sknoisy.datasets.load_cifar100n`; label recovery is measured
        against the release's ``clean_label``.
    noise : str, default=None
        ``None`` is ``"symmetric"``, or ``"worse"`` for cifar10n and
        ``"noisy"`` for cifar100n. For cifar10n the label set ``"aggre"``,
        ``"worse"``, ``"random1"``, ``"random2"`` or ``"random3"`` (or its key,
        e.g. ``"worse_label"``); for cifar100n ``"noisy"``. Otherwise
        a kind of :func:`sknoisy.noise.make_noise`: ``"symmetric"`` (flip to
        another class), ``"asymmetric"`` (MNIST map of Patrini et al. for
        digits and mnist1d, CIFAR-10 map for cifar10), ``"pair"``,
        ``"transition_matrix"`` (``1 - rate`` on the diagonal, ``rate`` spread
        over the other classes with random Dirichlet weights),
        ``"pseudo_label"`` or ``"instance_dependent"``. Rate 0 means no noise
        for every kind.
    rates : sequence of float, default=None
        Noise rates, each in [0, 1]; ``None`` is ``(0.0, 0.2, 0.4, 0.6,
        0.8)``. Must be ``None`` for cifar10n and cifar100n (a ValueError
        otherwise): their one rate is the measured fraction of human labels
        that differ from ``clean_label``.
    methods : sequence of str or dict, default=DEFAULT_METHODS
        Names of :data:`METHODS` (``"ce"``, ``"label_smoothing"``, ``"gce"``,
        ``"truncated_gce"``, ``"encouraging"``, ``"jo_soft"``, ``"jo_hard"``,
        ``"mae"``, ``"sce"``, ``"nce_rce"``, ``"bootstrap"``), or a dict
        ``{name: NoisyLabelClassifier parameters}`` for custom settings, e.g.
        ``{"gce_q0.3": {"loss": "gce", "q": 0.3}}``. The optional method
        ``"cleanlab"`` (needs the cleanlab package; a ValueError without it)
        is cleanlab's ``CleanLearning`` around a
        :class:`~sknoisy.NoisyLabelClassifier` with the data set's network and
        ``max_epochs``: it flags label issues from out-of-fold probabilities
        (5-fold), drops them and refits, so it trains six networks per run.
    seeds : sequence of int, default=(0, 1, 2)
        Seeds of the noise and of the classifiers.
    max_epochs : int, default=50
        Training epochs of every run.
    device : {"cpu", "cuda"}, default="cpu"
        Torch device (``"cuda:1"`` works too).
    n_jobs : int, default=1
        Runs trained in parallel by joblib, each run one job; torch uses one
        thread inside each parallel worker. ``-1`` uses every core.
    data_dir : str or path-like, default=None
        For ``"cifar10"`` (required): the folder holding
        ``cifar-10-batches-py/``; for ``"cifar10n"`` also
        ``CIFAR-10_human.pt``; for ``"cifar100n"``, ``cifar-100-python/`` and
        ``CIFAR-100_human.pt``. For ``"mnist1d"``: a cache folder.
    n_train : int, default=None
        Use a stratified subset of this many training samples (quick checks).
    output : str or path-like, default=None
        If given, :func:`save_results` writes ``runs.csv``, ``results.json``,
        ``table.txt`` and ``accuracy.png`` there.
    progress : bool, default=True
        Show a tqdm progress bar over the runs (on stderr).

    Returns
    -------
    results : list of dict
        One dict per run with the keys of ``RESULT_FIELDS``: ``dataset``,
        ``noise``, ``rate``, ``method``, ``seed``, ``max_epochs``,
        ``n_train``, ``n_test``, ``noise_rate`` (realized fraction of changed
        training labels), ``test_accuracy`` (clean test labels), ``ece``,
        ``nll`` and ``brier`` (calibration of ``predict_proba`` on the clean
        test labels: :func:`~sknoisy.metrics.expected_calibration_error` with
        15 bins, :func:`~sknoisy.metrics.negative_log_likelihood` and
        :func:`~sknoisy.metrics.brier_score`), ``confidence`` (mean largest
        predicted probability on the test set: above ``test_accuracy`` means
        overconfident, below underconfident),
        ``label_recovery`` (fraction of ``corrected_labels_`` equal to the
        clean training labels; for cleanlab, the label of its largest
        out-of-fold probability where it flags an issue and the given label
        elsewhere; ``None`` for methods that do not correct),
        ``noisy_label_recovery`` (the same over the flipped samples only),
        ``correction_warning`` (the message of a
        :class:`~sknoisy.exceptions.CorrectionWarning`, when correction never
        started or ran for fewer than ``correction_window`` epochs) and
        ``fit_seconds``.

    Raises
    ------
    ValueError
        For an unknown dataset, method, noise kind or device, a rate outside
        [0, 1], rates for a real-noise data set, a missing CIFAR-10 folder or
        CIFAR-N file (the message shows the layout), or a CIFAR-N label file
        not in the release's layout (the message names the file).

    See Also
    --------
    BenchmarkConfig, run : the same run from one configuration object.
    summarize_results, format_table, save_results

    Examples
    --------
    >>> from sknoisy.benchmark import run_benchmark, summarize_results
    >>> results = run_benchmark(rates=[0.4], methods=["ce", "gce"], seeds=[0],
    ...                         max_epochs=2, n_train=200, progress=False)
    >>> [(r["method"], r["rate"], round(r["noise_rate"], 2)) for r in results]
    [('ce', 0.4, 0.35), ('gce', 0.4, 0.35)]
    >>> len(summarize_results(results))
    2
    """
    config = BenchmarkConfig(
        dataset,
        noise=noise,
        rates=rates,
        methods=methods,
        seeds=seeds,
        max_epochs=max_epochs,
        device=device,
        n_jobs=n_jobs,
        data_dir=data_dir,
        n_train=n_train,
    )
    if config.is_file:
        raise ValueError(
            f"run_benchmark takes a built-in data set; for the data file "
            f"{dataset!r} use run_data_file or run_data_file_injected"
        )
    return run(config, output=output, progress=progress)["runs"]


def run_data_file(path, target=None, *, output=None, progress=True, **settings):
    """Benchmark the methods on a data file whose labels are already noisy.

    No noise is injected. A stratified share ``test_size`` of the samples
    (``random_state=0``) is held out; the features are standardised on the
    rest, and every method is trained there once per seed.

    Parameters
    ----------
    path : str or path-like
        A ``.csv``, ``.npz`` or ``.npy`` file (see :func:`load_data_file`).
    target : str, default=None
        The label column of a ``.csv`` file, or the labels ``.npy`` file.
    output : str or path-like, default=None
        Folder for ``runs.csv``, ``results.json``, ``report.txt`` and
        ``label_issues.csv`` (:func:`save_data_file_results`).
    progress : bool, default=True
        Show a progress bar.
    **settings : dict
        ``methods``, ``seeds``, ``max_epochs``, ``test_size`` (in [0, 0.5];
        ``0`` holds none out: no accuracy, label issues for every sample),
        ``n_train``, ``device`` and ``n_jobs``, as for
        :class:`BenchmarkConfig`. ``"cleanlab"`` among the methods is
        cleanlab's ``CleanLearning`` around a default
        :class:`~sknoisy.NoisyLabelClassifier`.

    Returns
    -------
    report : dict
        ``"data"`` (file, sizes, classes, split), ``"config"`` and
        ``"runs"``: one dict per run with ``heldout_accuracy`` (on the given
        held-out labels), ``n_label_issues`` and ``label_issue_share`` (for
        methods that correct labels; ``None`` otherwise or when correction
        never started), ``fit_seconds``, ``correction_warning`` and, per
        training sample, ``label_quality``, ``corrected_labels`` and
        ``label_issues``.

    Raises
    ------
    ValueError
        For a bad setting; :class:`DataFileError` for a file that cannot be
        used as it is.
    """
    if {"noise", "rates"} & set(settings):
        raise TypeError(
            "run_data_file takes the labels as given; to inject noise use "
            "run_data_file_injected"
        )
    config = BenchmarkConfig(path, target, **settings)
    return run(config, output=output, progress=progress)


def run_data_file_injected(
    path, target=None, *, output=None, progress=True, **settings
):
    """Benchmark the methods on a data file whose labels are taken as clean.

    As for the built-in data sets: a stratified share ``test_size`` of the
    samples (``random_state=0``) is held out with its labels as given, the
    features are standardised on the rest, noise of kind ``noise`` is
    injected into the training labels at every rate (seeded by the run's
    seed, so every method sees the same noisy labels), and every method is
    scored on the held-out labels: accuracy, calibration and label recovery
    (against the file's training labels).

    Parameters
    ----------
    path, target, progress
        As for :func:`run_data_file`.
    output : str or path-like, default=None
        Folder for the files of :func:`save_results` (``runs.csv``,
        ``results.json``, ``table.txt``, ``accuracy.png``).
    **settings : dict
        ``noise`` (default and ``None``: ``"symmetric"``; ``"asymmetric"`` is
        the MNIST map of Patrini et al. and needs the labels 0-9), ``rates``
        (default :data:`DEFAULT_RATES`), ``methods``, ``seeds``,
        ``max_epochs``, ``test_size`` (in (0, 0.5]), ``n_train``, ``device``
        and ``n_jobs``, as for :class:`BenchmarkConfig`.

    Returns
    -------
    report : dict
        ``"data"`` (file, sizes, classes, split), ``"config"`` and ``"runs"``:
        one dict per run with the keys of :data:`RESULT_FIELDS`, as returned
        by :func:`run_benchmark` (``dataset`` is the file's name).

    Raises
    ------
    ValueError
        For a bad setting; :class:`DataFileError` for a file that cannot be
        used as it is.
    """
    settings["noise"] = settings.get("noise") or "symmetric"
    config = BenchmarkConfig(path, target, **settings)
    return run(config, output=output, progress=progress)
