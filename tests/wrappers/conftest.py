"""Small data sets for the wrapper tests."""

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.preprocessing import StandardScaler


@pytest.fixture(scope="session")
def housing():
    """A California-housing-shaped regression set (8 features), scaled."""
    X, y = make_regression(
        n_samples=300, n_features=8, n_informative=6, noise=5.0, random_state=0
    )
    X = StandardScaler().fit_transform(X)
    return X, y / np.std(y)


@pytest.fixture(scope="session")
def classes3():
    X, y = make_classification(
        n_samples=240,
        n_features=6,
        n_informative=4,
        n_classes=3,
        n_clusters_per_class=1,
        class_sep=2.0,
        random_state=0,
    )
    return StandardScaler().fit_transform(X), y
