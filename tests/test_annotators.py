"""Several annotators: Dawid–Skene, the panel injector, annotators=True."""

import warnings

import numpy as np
import pandas as pd
import pytest
from imblearn.pipeline import make_pipeline
from sklearn.datasets import make_blobs
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline as sk_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_param_validation

from sknoisy import NoisyLabelClassifier
from sknoisy.annotators import dawid_skene, encode_votes, majority_vote
from sknoisy.annotators._consensus import (
    VoteConsensus,
    combine_with_network,
    vote_reliability,
)
from sknoisy.annotators._dawid_skene import (
    log_likelihood,
    vote_proportions,
    vote_tensor,
)
from sknoisy.exceptions import ConsensusWarning, SknoisyWarning
from sknoisy.noise import AnnotatorPanel

FAST = {"max_epochs": 8, "batch_size": 32, "random_state": 0}


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(300, centers=3, cluster_std=1.0, random_state=0)
    return StandardScaler().fit_transform(X).astype(np.float32), y


@pytest.fixture(scope="module")
def votes(blobs):
    X, y = blobs
    panel = AnnotatorPanel(
        4, accuracy=[0.9, 0.8, 0.6, 0.0], coverage=0.7, spammers=1, random_state=0
    )
    return panel.fit_resample(X, y)[1], panel


# --- Dawid–Skene ---------------------------------------------------------------


def test_combine_with_network_lets_a_confident_network_outvote_a_lone_vote():
    # three middling annotators, half their votes missing; a network that is
    # right on 95% of the samples with confidence 0.6 to 0.98
    rng = np.random.default_rng(0)
    n, c = 600, 3
    truth = rng.integers(0, c, n)
    codes = np.stack(
        [
            np.where(rng.random(n) < a, truth, (truth + rng.integers(1, c, n)) % c)
            for a in (0.75, 0.65, 0.6)
        ],
        axis=1,
    )
    codes[rng.random(codes.shape) < 0.5] = -1
    unlabelled = np.all(codes < 0, axis=1)
    codes[unlabelled, 0] = (truth[unlabelled] + 1) % c  # a wrong lone vote
    net_says = np.where(rng.random(n) < 0.95, truth, (truth + 1) % c)
    conf = rng.uniform(0.6, 0.98, n)
    outputs = np.where(
        np.arange(c)[None, :] == net_says[:, None],
        conf[:, None],
        (1 - conf)[:, None] / 2,
    )
    second = dawid_skene(codes, c, soft_votes=outputs)
    combined = combine_with_network(codes, outputs, second)
    assert combined.posterior.shape == (n, c)
    np.testing.assert_allclose(combined.posterior.sum(1), 1.0)
    assert combined.confusion.shape == (4, c, c)
    np.testing.assert_allclose(combined.confusion.sum(2), 1.0)
    assert combined.accuracy.shape == (4,)
    # the class-level confusion alone follows the lone wrong vote; the
    # per-sample term lets a confident, right network outvote it
    lone = np.flatnonzero(
        ((codes >= 0).sum(1) == 1)
        & (conf > 0.9)
        & (net_says == truth)
        & (codes.max(1) != truth)
    )
    assert len(lone) >= 20
    assert np.mean(second.posterior[lone].argmax(1) == truth[lone]) < 0.1
    assert np.mean(combined.posterior[lone].argmax(1) == truth[lone]) > 0.6
    overall = np.mean(combined.posterior.argmax(1) == truth)
    assert overall > np.mean(second.posterior.argmax(1) == truth) + 0.05
    # no per-sample term, no change of the annotators' ranking
    flat = combine_with_network(codes, outputs, second, power=0.0)
    assert np.array_equal(
        np.argsort(flat.accuracy[:3]), np.argsort(combined.accuracy[:3])
    )


def test_dawid_skene_recovers_known_confusions():
    rng = np.random.default_rng(0)
    n, c = 4000, 3
    truth = rng.integers(0, c, n)
    confusions = np.array(
        [
            [[0.9, 0.1, 0.0], [0.0, 0.8, 0.2], [0.1, 0.0, 0.9]],
            [[0.7, 0.3, 0.0], [0.2, 0.7, 0.1], [0.0, 0.3, 0.7]],
            [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]],
            [[1 / 3] * 3] * 3,  # a spammer
        ]
    )
    codes = np.stack(
        [
            (rng.random(n)[:, None] > np.cumsum(conf[truth], 1)).sum(1)
            for conf in confusions
        ],
        axis=1,
    )
    codes[rng.random(codes.shape) < 0.2] = -1  # missing votes
    codes[np.all(codes < 0, axis=1), 0] = truth[np.all(codes < 0, axis=1)]
    result = dawid_skene(codes, c)
    np.testing.assert_allclose(result.confusion, confusions, atol=0.05)
    assert result.prior == pytest.approx(np.bincount(truth) / n, abs=0.02)
    ds = (result.posterior.argmax(1) == truth).mean()
    mv = (majority_vote(codes, c).argmax(1) == truth).mean()
    assert ds > mv + 0.02
    assert np.argsort(result.accuracy).tolist() == [3, 1, 2, 0]
    assert result.n_iter < 100


def test_dawid_skene_sample_weight_and_soft_votes():
    codes = np.array([[0, 0, 1], [1, 1, -1], [0, -1, 0], [1, 0, 1]])
    base = dawid_skene(codes, 2)
    weighted = dawid_skene(codes, 2, sample_weight=[1, 1, 1, 0])
    # a zero weight leaves a sample out of the confusions, not of the posteriors
    assert not np.allclose(base.confusion, weighted.confusion)
    assert weighted.posterior.shape == (4, 2)
    soft = dawid_skene(codes, 2, soft_votes=np.full((4, 2), 0.5))
    assert soft.confusion.shape == (4, 2, 2)


def test_encode_votes_types_and_missing():
    frame = pd.DataFrame(
        {"ann": ["cat", None, "dog"], "bob": [pd.NA, "dog", "dog"], "eve": "cat"}
    )
    codes, classes = encode_votes(frame)
    assert classes.tolist() == ["cat", "dog"]
    np.testing.assert_array_equal(codes, [[0, -1, 0], [-1, 1, 0], [1, 1, 0]])
    codes, classes = encode_votes(np.array([[1.0, np.nan], [3.0, 1.0]]))
    assert classes.dtype == np.int64 and classes.tolist() == [1, 3]
    # the order of classes is kept
    codes, _ = encode_votes([[1, 3], [3, 3]], classes=[3, 1])
    np.testing.assert_array_equal(codes, [[1, 0], [0, 0]])


# --- bad input -------------------------------------------------------------------


@pytest.mark.parametrize(
    "A, kwargs, match",
    [
        ([[0, np.nan], [np.nan, np.nan], [1, 1]], {}, r"no label from any annotator"),
        ([0, 1, 1], {}, r"shape \(3,\).*Pass annotators=False"),
        ([[0], [1], [1]], {}, r"shape \(3, 1\).*Pass annotators=False"),
        ([[0, 1], [1, 5], [1, 1]], {"classes": [0, 1]}, r"\[5\] are not in classes"),
        ([[0, np.nan], [1, np.nan], [1, np.nan]], {}, r"column 1 holds no label"),
        ([[0, "a"], [1, "b"], [1, "a"]], {}, r"mix label types"),
    ],
)
def test_bad_votes_name_what_to_change(A, kwargs, match):
    A = (
        np.array(A, dtype=object)
        if any(isinstance(v, str) for row in A for v in np.ravel(row))
        else np.asarray(A, dtype=float)
    )
    X = np.zeros((len(A), 2), dtype=np.float32)
    clf = NoisyLabelClassifier(annotators=True, max_epochs=1, **kwargs)
    with pytest.raises(ValueError, match=match):
        clf.fit(X, A)


def test_all_missing_dataframe_column_is_named():
    A = pd.DataFrame({"ann": [0, 1, 1], "bob": [pd.NA] * 3}, dtype="Int64")
    with pytest.raises(ValueError, match=r"column 'bob' holds no label"):
        NoisyLabelClassifier(annotators=True).fit(np.zeros((3, 2)), A)


def test_annotators_refuses_a_plain_criterion():
    import torch

    clf = NoisyLabelClassifier(annotators=True, criterion=torch.nn.NLLLoss)
    with pytest.raises(ValueError, match="sknoisy loss"):
        clf.fit(np.zeros((4, 2)), np.array([[0, 1], [1, 1], [0, 0], [1, 0]]))


# --- the estimator ---------------------------------------------------------------


@pytest.mark.parametrize("label_correction", [None, "soft"])
def test_fit_on_votes_sets_consensus_and_annotator_attributes(
    blobs, votes, label_correction
):
    X, y = blobs
    A, panel = votes
    clf = NoisyLabelClassifier(
        annotators=True,
        label_correction=label_correction,
        correction_start=3,
        **{**FAST, "max_epochs": 12},
    ).fit(X, A)
    n, k = A.shape
    assert clf.consensus_labels_.shape == (n,)
    assert clf.consensus_proba_.shape == (n, 3)
    assert np.all((clf.consensus_quality_ >= 0) & (clf.consensus_quality_ <= 1))
    assert clf.annotator_confusion_.shape == (k, 3, 3)
    np.testing.assert_allclose(clf.annotator_confusion_.sum(2), 1.0)
    # quality ranks the annotators as their true accuracies do
    assert (
        np.argsort(clf.annotator_quality_).tolist()
        == np.argsort(panel.accuracy_).tolist()
    )
    mv = majority_vote(encode_votes(A)[0], 3).argmax(1)
    assert (clf.consensus_labels_ == y).mean() >= (mv == y).mean()
    assert clf.score(X, y) > 0.9
    assert clf.classes_.tolist() == [0, 1, 2]
    if label_correction is None:
        assert not hasattr(clf, "corrected_labels_")
    else:
        issues = clf.get_label_issues()
        assert len(issues) == n
        assert (issues["given_label"] == encode_votes(A)[1][clf.label_state_.y]).all()


def test_string_labels_dataframe_with_pd_na(blobs, votes):
    X, y = blobs
    A, _ = votes
    names = np.array(["ant", "bee", "cat"], dtype=object)
    frame = pd.DataFrame(
        {
            f"w{j}": pd.array(
                [names[int(v)] if v == v else pd.NA for v in A[:, j]], dtype="string"
            )
            for j in range(A.shape[1])
        }
    )
    clf = NoisyLabelClassifier(annotators=True, **FAST).fit(X, frame)
    assert clf.classes_.tolist() == ["ant", "bee", "cat"]
    assert set(clf.predict(X[:20])) <= {"ant", "bee", "cat"}
    assert clf.consensus_labels_.dtype == object
    # votes are scored against their consensus under the fitted confusions
    assert 0.7 < clf.score(X, frame) <= 1.0


def test_pipeline_cross_val_score_and_grid_search(blobs, votes):
    X, y = blobs
    A, _ = votes
    pipe = sk_pipeline(StandardScaler(), NoisyLabelClassifier(annotators=True, **FAST))
    scores = cross_val_score(pipe, X, A, cv=KFold(3))
    assert scores.shape == (3,) and scores.min() > 0.7
    search = GridSearchCV(
        NoisyLabelClassifier(annotators=True, **FAST),
        {"lr": [1e-3, 1e-2]},
        cv=KFold(2),
    ).fit(X, A)
    assert search.best_estimator_.consensus_labels_.shape == (len(X),)
    # an object array (None for missing) too; sklearn's default splitter
    # (cv=int) cannot read missing entries, so a KFold is passed
    A_obj = np.where(np.isnan(A), None, A).astype(object)
    assert cross_val_score(pipe, X, A_obj, cv=KFold(2)).shape == (2,)


def test_panel_in_an_imblearn_pipeline_scores_on_clean_labels(blobs):
    X, y = blobs
    pipe = make_pipeline(
        AnnotatorPanel(3, accuracy=0.7, random_state=0),
        NoisyLabelClassifier(annotators=True, **{**FAST, "max_epochs": 20}),
    )
    scores = cross_val_score(pipe, X, y, cv=2)
    assert scores.min() > 0.8


def test_sample_weight_changes_the_consensus_fit(blobs, votes):
    X, y = blobs
    A, _ = votes
    base = NoisyLabelClassifier(annotators=True, **FAST).fit(X, A)
    weight = np.where(y == 0, 3.0, 1.0)
    weighted = NoisyLabelClassifier(annotators=True, **FAST).fit(
        X, A, sample_weight=weight
    )
    assert not np.allclose(base.annotator_confusion_, weighted.annotator_confusion_)
    with pytest.raises(ValueError):
        NoisyLabelClassifier(annotators=True, **FAST).fit(
            X, A, sample_weight=-np.ones(len(X))
        )


def test_deterministic_with_random_state(blobs, votes):
    X, _ = blobs
    A, _ = votes
    fits = [
        NoisyLabelClassifier(
            annotators=True,
            label_correction="soft",
            correction_start=2,
            correction_window=4,
            **FAST,
        ).fit(X, A)
        for _ in range(2)
    ]
    np.testing.assert_array_equal(fits[0].consensus_proba_, fits[1].consensus_proba_)
    np.testing.assert_array_equal(fits[0].predict_proba(X), fits[1].predict_proba(X))


def test_default_keeps_two_d_y_meaning(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="1d"):
        NoisyLabelClassifier(max_epochs=1).fit(X, np.stack([y, y], 1))


# --- the panel injector ----------------------------------------------------------


def test_panel_realises_accuracy_coverage_and_spammers():
    y = np.repeat(np.arange(5), 2000)
    panel = AnnotatorPanel(
        4,
        accuracy=[0.9, 0.7, 0.5, 0.9],
        coverage=[1.0, 0.5, 0.3, 0.6],
        spammers=1,
        random_state=0,
    )
    _, A = panel.fit_resample(np.zeros((len(y), 1)), y)
    assert A.shape == (len(y), 4) and A.dtype == np.float64
    np.testing.assert_allclose(panel.accuracy_, [0.9, 0.7, 0.5, 0.2], atol=0.03)
    np.testing.assert_allclose(panel.coverage_, [1.0, 0.5, 0.3, 0.6], atol=0.03)
    assert panel.spammers_.tolist() == [False, False, False, True]
    assert (~np.isnan(A)).sum(1).min() >= 1
    np.testing.assert_allclose(panel.confusion_.sum(2), 1.0)


def test_panel_pair_confusion_strings_pandas_and_min_votes():
    y = pd.Series(np.repeat(["a", "b", "c"], 300), index=np.arange(900) + 7)
    panel = AnnotatorPanel(
        3, accuracy=0.6, coverage=0.2, confusion="pair", min_votes=2, random_state=1
    )
    X = np.zeros((900, 2))
    X_res, A = panel.fit_resample(X, y)
    assert X_res is X and isinstance(A, pd.DataFrame)
    assert A.index.equals(y.index) and A.notna().sum(axis=1).min() >= 2
    wrong = A.to_numpy()[(A.notna() & A.ne(y, axis=0)).to_numpy()]
    right = {"a": "b", "b": "c", "c": "a"}
    flips = A.ne(y, axis=0) & A.notna()
    for j in range(3):
        col = A.iloc[:, j][flips.iloc[:, j]]
        assert (col == y[flips.iloc[:, j]].map(right)).all()
    assert len(wrong) > 0
    again = AnnotatorPanel(
        3, accuracy=0.6, coverage=0.2, confusion="pair", min_votes=2, random_state=1
    ).fit_resample(X, y)[1]
    pd.testing.assert_frame_equal(A, again)


def test_panel_random_confusion_and_parameter_errors():
    y = np.repeat(np.arange(4), 500)
    panel = AnnotatorPanel(2, accuracy=0.5, confusion="random", random_state=0)
    panel.fit_resample(np.zeros((len(y), 1)), y)
    off = panel.confusion_[0] - np.diag(np.diag(panel.confusion_[0]))
    assert off.max() > 0.25  # not spread evenly over the other classes
    with pytest.raises(ValueError, match="lower spammers"):
        AnnotatorPanel(2, spammers=3).fit_resample(np.zeros((8, 1)), y[::250])
    with pytest.raises(ValueError, match="lower min_votes"):
        AnnotatorPanel(2, min_votes=3).fit_resample(np.zeros((8, 1)), y[::250])
    check_param_validation("AnnotatorPanel", AnnotatorPanel())


def test_label_state_saved_without_soft_labels_still_loads():
    import torch

    from sknoisy.correction import LabelState

    state = LabelState().reset(torch.tensor([0, 1, 1]), 2, prior=[0.5, 0.5])
    saved = state.state_dict()
    del saved["given"]  # a checkpoint written before the soft given labels
    loaded = LabelState()
    loaded.load_state_dict(saved)
    assert not loaded.soft_given and loaded.y.tolist() == [0, 1, 1]
    state.set_given(torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6]]))
    again = LabelState()
    again.load_state_dict(state.state_dict())
    assert again.soft_given
    assert again.targets(torch.tensor([2]), torch.tensor([1])).tolist() == [
        pytest.approx([0.4, 0.6])
    ]


def _scarce_panel(seed, n=90, n_classes=3):
    # 90 samples, 4 annotators of accuracy 0.8 to 0.5 and a random answerer,
    # each labelling half: some 15 votes per row of each 3x3 confusion
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_classes, n)
    cols = []
    for acc in [0.8, 0.7, 0.6, 0.5]:
        keep = rng.random(n) < acc
        vote = np.where(
            keep, truth, (truth + rng.integers(1, n_classes, n)) % n_classes
        )
        cols.append(np.where(rng.random(n) < 0.5, vote, -1))
    cols.append(np.where(rng.random(n) < 0.5, rng.integers(0, n_classes, n), -1))
    codes = np.stack(cols, axis=1)
    empty = (codes < 0).all(axis=1)
    codes[empty, 0] = truth[empty]
    return codes, truth


def test_one_coin_shrinkage_mends_dawid_skene_on_scarce_votes():
    # with few votes per annotator, plain Dawid-Skene drifts below the majority
    # vote; shrinking each confusion toward its one-coin model does not
    codes, truth = _scarce_panel(35)
    mv = np.mean(majority_vote(codes, 3).argmax(1) == truth)
    plain = np.mean(dawid_skene(codes, 3).posterior.argmax(1) == truth)
    shrunk = dawid_skene(codes, 3, shrinkage="auto")
    acc = np.mean(shrunk.posterior.argmax(1) == truth)
    assert plain < mv - 0.1  # 0.567 against 0.678
    assert acc > mv + 0.05  # 0.756
    np.testing.assert_allclose(shrunk.confusion.sum(axis=2), 1.0)
    # annotators=True's first round is the shrunk one
    from sknoisy.annotators._consensus import VoteConsensus

    # (and its prior is shrunk toward the votes' class proportions)
    shrunk = dawid_skene(codes, 3, shrinkage="auto", prior_shrinkage="auto")
    assert np.mean(shrunk.posterior.argmax(1) == truth) > mv + 0.05
    consensus = VoteConsensus(codes, 3)
    np.testing.assert_allclose(consensus.first.posterior, shrunk.posterior)
    # its training targets hedge the posterior with the vote proportions
    hedged = 0.5 * shrunk.posterior + 0.5 * majority_vote(codes, 3)
    np.testing.assert_allclose(consensus.soft, hedged, atol=1e-6)
    np.testing.assert_array_equal(consensus.labels, shrunk.posterior.argmax(1))
    with pytest.raises(ValueError, match="shrinkage"):
        dawid_skene(codes, 3, shrinkage="one_coin")


def test_one_coin_shrinkage_fades_with_many_votes():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 3, 5000)
    codes = np.stack(
        [
            np.where(rng.random(5000) < a, truth, rng.integers(0, 3, 5000))
            for a in [0.9, 0.7, 0.5]
        ],
        axis=1,
    )
    plain = dawid_skene(codes, 3)
    shrunk = dawid_skene(codes, 3, shrinkage="auto")
    assert np.abs(plain.confusion - shrunk.confusion).max() < 0.01


def _absorbing_panel(seed, n=105):
    # iris-sized: 3 balanced classes, 4 annotators of accuracy 0.8 to 0.5 and
    # a random answerer, each labelling half
    rng = np.random.default_rng(seed)
    truth = np.repeat(np.arange(3), n // 3)
    cols = []
    for acc in [0.8, 0.7, 0.6, 0.5]:
        vote = np.where(rng.random(n) < acc, truth, (truth + rng.integers(1, 3, n)) % 3)
        cols.append(np.where(rng.random(n) < 0.5, vote, -1))
    cols.append(np.where(rng.random(n) < 0.5, rng.integers(0, 3, n), -1))
    codes = np.stack(cols, axis=1)
    empty = (codes < 0).all(axis=1)
    codes[empty, 0] = truth[empty]
    return codes, truth


def test_prior_shrinkage_keeps_a_class_from_absorbing_another():
    # with some 50 votes per annotator, EM's class prior drifts toward one
    # class and its confusions follow, so that the worst class loses most of
    # its samples; the votes' class proportions hold the prior near the data
    worst = {"plain": [], "anchored": []}
    for seed in range(8):
        codes, truth = _absorbing_panel(seed)
        for name, weight in (("plain", 0.0), ("anchored", "auto")):
            result = dawid_skene(codes, 3, shrinkage="auto", prior_shrinkage=weight)
            pred = result.posterior.argmax(1)
            worst[name].append(
                min((pred == truth)[truth == c].mean() for c in range(3))
            )
    assert np.mean(worst["anchored"]) > np.mean(worst["plain"]) + 0.03
    fixed = dawid_skene(codes, 3, prior_shrinkage=1.0)
    np.testing.assert_allclose(
        fixed.prior, vote_proportions(vote_tensor(codes, 3)), atol=1e-12
    )
    np.testing.assert_allclose(vote_proportions(vote_tensor(codes, 3)).sum(), 1.0)
    with pytest.raises(ValueError, match="prior_shrinkage"):
        dawid_skene(codes, 3, prior_shrinkage="votes")
    with pytest.raises(ValueError, match="prior_shrinkage"):
        dawid_skene(codes, 3, prior_shrinkage=1.5)


def test_vote_reliability_overlap_and_kappa():
    codes, _ = _absorbing_panel(0)
    overlap, kappa = vote_reliability(codes, 3)
    assert 30 < overlap < 60
    assert 0.1 < kappa < 1
    rng = np.random.default_rng(0)
    random = rng.integers(0, 3, (3000, 3))
    assert abs(vote_reliability(random, 3)[1]) < 0.02
    same = np.repeat(rng.integers(0, 3, (50, 1)), 3, axis=1)
    assert vote_reliability(same, 3) == (50.0, 1.0)
    alone = np.full((6, 2), -1)
    alone[:3, 0], alone[3:, 1] = 0, 1
    overlap, kappa = vote_reliability(alone, 2)
    assert overlap == 0 and np.isnan(kappa)


@pytest.mark.parametrize(
    "which, match",
    [
        ("tiny", "fewer than 18 .*Collect more votes per annotator"),
        ("chance", "No annotator agrees with the others.*more reliable annotators"),
    ],
)
def test_consensus_warning_on_votes_that_identify_nothing(which, match):
    rng = np.random.default_rng(0)
    if which == "tiny":  # 12 samples: some 8 shared votes per annotator
        X, y = make_blobs(12, centers=3, random_state=0)
        A = np.stack([np.where(rng.random(12) < 0.8, y, np.nan) for _ in range(3)], 1)
        empty = np.isnan(A).all(1)
        A[empty, 0] = y[empty]
    else:  # 3 annotators who answer at random on 3000 samples
        X, y = make_blobs(3000, centers=3, random_state=0)
        A = rng.integers(0, 3, (3000, 3))
    clf = NoisyLabelClassifier(annotators=True, **{**FAST, "max_epochs": 2})
    with pytest.warns(ConsensusWarning, match=match):
        clf.fit(X.astype(np.float32), A)
    assert clf.consensus_labels_.shape == (len(X),)


def test_consensus_warning_when_the_network_disagrees(blobs, votes, monkeypatch):
    X, _ = blobs
    A, _ = votes
    # a network whose averaged outputs always say class 0
    from sknoisy.annotators import _consensus

    def outputs(self, state):
        out = np.full((len(X), 3), 0.01)
        out[:, 0] = 0.98
        return out

    monkeypatch.setattr(_consensus.VoteConsensus, "network_outputs", outputs)
    clf = NoisyLabelClassifier(annotators=True, **{**FAST, "max_epochs": 2})
    with pytest.warns(ConsensusWarning, match="disagree with the votes' consensus"):
        clf.fit(X, A)


@pytest.mark.parametrize("label_correction", [None, "soft"])
def test_no_consensus_warning_on_a_normal_panel(blobs, votes, label_correction):
    X, _ = blobs
    A, _ = votes
    clf = NoisyLabelClassifier(
        annotators=True,
        label_correction=label_correction,
        correction_start=3,
        correction_window=3,
        **FAST,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConsensusWarning)
        clf.fit(X, A)
    assert issubclass(ConsensusWarning, SknoisyWarning)


def test_log_likelihood_against_brute_force():
    rng = np.random.default_rng(0)
    codes = rng.integers(-1, 3, size=(6, 2))
    codes[:, 0] = np.maximum(codes[:, 0], 0)  # every sample has a vote
    prior = np.array([0.5, 0.3, 0.2])
    confusion = rng.dirichlet(np.ones(3), size=(2, 3))
    expected = 0.0
    for row in codes:
        per_class = [
            prior[j]
            * np.prod([confusion[k, j, v] for k, v in enumerate(row) if v >= 0])
            for j in range(3)
        ]
        expected += np.log(sum(per_class))
    votes = vote_tensor(codes, 3)
    assert log_likelihood(votes, prior, confusion) == pytest.approx(expected)
    weight = np.full(6, 2.0)
    assert log_likelihood(votes, prior, confusion, weight) == pytest.approx(
        2 * expected
    )


def test_second_round_keeps_the_better_of_two_starts():
    """EM from the first round's posterior and from the network's outputs.

    The first round is replaced by one that swapped classes 1 and 2 on half
    the samples: EM from it alone stays in that optimum; the outputs' start
    explains the votes better and is kept.
    """
    rng = np.random.default_rng(4)
    truth = rng.integers(0, 3, 60)
    keep = rng.random((60, 3)) < 0.6
    codes = np.where(keep, truth[:, None], rng.integers(0, 3, (60, 3)))
    codes[rng.random((60, 3)) < 0.4] = -1
    codes[codes[:, 0] < 0, 0] = truth[codes[:, 0] < 0]
    outputs = np.full((60, 3), 0.05)
    outputs[np.arange(60), truth] = 0.9
    consensus = VoteConsensus(codes, 3)
    swapped = np.eye(3)[np.choose(truth, [0, 2, 1])]
    swapped[::2] = np.eye(3)[truth[::2]]
    consensus.first = consensus.first._replace(posterior=0.9 * swapped + 0.1 / 3)
    chosen = consensus._second_round(outputs)
    votes = vote_tensor(codes, 3, outputs)
    fits = [
        dawid_skene(codes, 3, soft_votes=outputs, init=init, prior_shrinkage="auto")
        for init in (consensus.first.posterior, outputs)
    ]
    scores = [log_likelihood(votes, fit.prior, fit.confusion) for fit in fits]
    assert scores[1] > scores[0]
    assert np.mean(fits[0].posterior.argmax(1) == truth) < 0.5
    np.testing.assert_allclose(chosen.posterior, fits[1].posterior)
    assert np.mean(chosen.posterior.argmax(1) == truth) > 0.85
