"""scikit-learn's common estimator checks over every public skdeep estimator.

The neural estimators run them twice: with their default training loop (NumPy on a
CPU) and with the compiled TensorFlow loop that GPUs use.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skdeep.utils._testing import estimator_instances


@parametrize_with_checks(list(estimator_instances(every_engine=True)))
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
