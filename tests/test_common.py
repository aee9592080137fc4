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
    NoisyLabelClassifier(
        label_correction="soft", correction_start=2, max_epochs=20, random_state=0
    ),
]

# No check is expected to fail: this dict stays empty on purpose. Add an entry
# (check name -> reason) only with a written justification.
EXPECTED_FAILED_CHECKS: dict[str, str] = {}


@parametrize_with_checks(
    ESTIMATORS, expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
