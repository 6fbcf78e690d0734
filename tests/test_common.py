"""scikit-learn's common estimator checks over every public skdeep estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skdeep.utils._testing import estimator_instances


@parametrize_with_checks(list(estimator_instances()))
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
