"""scikit-learn's estimator checks over every public sknoisy estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sknoisy import NoisyLabelClassifier

# Small but real configurations: enough epochs to pass sklearn's accuracy
# checks (check_classifiers_train needs > 0.83 on blobs), few enough for CI.
ESTIMATORS = [
    NoisyLabelClassifier(max_epochs=20, random_state=0),
    NoisyLabelClassifier(loss="gce", q=0.7, max_epochs=20, random_state=0),
    NoisyLabelClassifier(loss="truncated_gce", max_epochs=20, random_state=0),
    NoisyLabelClassifier(loss="encouraging", LE=0.5, max_epochs=20, random_state=0),
    NoisyLabelClassifier(loss="elr", max_epochs=20, random_state=0),
    NoisyLabelClassifier(
        label_correction="soft", correction_start=2, max_epochs=20, random_state=0
    ),
    NoisyLabelClassifier(sample_selection="coteaching", max_epochs=20, random_state=0),
    NoisyLabelClassifier(
        loss="forward", correction_start=2, max_epochs=20, random_state=0
    ),
]

# Each entry: check name -> the reason it fails.
EXPECTED_FAILED_CHECKS: dict[str, str] = {
    "check_no_attributes_set_in_init": (
        "The estimator calls skorch's NeuralNetClassifier.__init__ (skorch used "
        "as designed, issue 12), which sets skorch's fitted slots history_, "
        "initialized_ and virtual_params_ (None, False, {}) in the constructor. "
        "They are not parameters, get_params and clone ignore them, and "
        "__sklearn_is_fitted__ (skorch's) decides whether the net is fitted."
    ),
    "check_sample_weight_equivalence_on_dense_data": (
        "Mini-batch SGD: a sample of weight 2 is one sample whose loss counts "
        "twice in its batch, while a duplicated sample adds a row, changing "
        "the batches, their number and the random order, so the two fits "
        "differ (as for scikit-learn's own SGD-based estimators)."
    ),
}
# Sparse X is accepted (CSR, densified per batch), so the sparse variant of
# the check runs too, and differs for the same reason.
EXPECTED_FAILED_CHECKS["check_sample_weight_equivalence_on_sparse_data"] = (
    EXPECTED_FAILED_CHECKS["check_sample_weight_equivalence_on_dense_data"]
)


#: Expected failures of one configuration only, with the reason.
FORWARD_ESTIMATED_FAILS = {
    "check_class_weight_classifiers": (
        "loss='forward' with an estimated matrix: on the check's very noisy "
        "blobs (cluster_std=20), class_weight {0: 1000, 1: 0.0001} makes the "
        "first stage (label correction) predict class 0 almost everywhere, and "
        "the matrix estimated from it is not diagonally dominant (two classes: "
        "[[0.47, 0.57], [0.53, 0.43]]); the corrected loss follows that matrix "
        "and predicts class 0 for 60% of the test samples, not > 87%."
    ),
}


def _expected_failures(estimator):
    if estimator.loss == "forward" and estimator.noise_matrix is None:
        return {**EXPECTED_FAILED_CHECKS, **FORWARD_ESTIMATED_FAILS}
    return EXPECTED_FAILED_CHECKS


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
