"""imbalanced-learn's and scikit-learn's estimator checks.

Checks that cannot apply, with the reason (imbalanced-learn lists its own the
same way for its dense-only samplers):
"""
import warnings

import pytest
from imblearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_param_validation,
    parametrize_with_checks,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks as parametrize_with_sklearn_checks

from simpor_ext import SIMPOR

EXPECTED_FAILED = {
    # SIMPOR's KDE streams dense rows: sparse input is refused (the sparse tag is
    # False, so check_samplers_sparse is not even generated), but this check
    # feeds a DataFrame of SparseDtype columns regardless of the tag.
    "check_samplers_pandas_sparse": "dense-only sampler: sparse input is not supported",
}

# Small active-learning model and short ascents: the checks fit ~20 times on 1000 rows.
FAST_AL = dict(initial_size=30, query_size=30, max_rounds=2, mlp_params=dict(hidden_layer_sizes=(16,), max_iter=30))
ESTIMATOR = SIMPOR(informative=FAST_AL, max_iter=5, k_neighbors=5, device="cpu", random_state=0)


@parametrize_with_checks([ESTIMATOR], expected_failed_checks=lambda est: EXPECTED_FAILED)
def test_imbalanced_learn_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


@parametrize_with_sklearn_checks([ESTIMATOR])
def test_scikit_learn_checks(estimator, check):
    check(estimator)


def test_param_validation():
    check_param_validation("SIMPOR", ESTIMATOR)


def test_dataframe_column_names_consistency():
    with warnings.catch_warnings(record=True) as record:
        check_dataframe_column_names_consistency("SIMPOR", ESTIMATOR)
    assert not [w for w in record if "was fitted without feature names" in str(w.message)]


def test_expected_failures_really_fail():
    """Keep the list honest: each listed check does fail, for the stated reason."""
    from imblearn.utils.estimator_checks import check_samplers_pandas_sparse

    with pytest.raises(TypeError, match="dense data is required"):
        check_samplers_pandas_sparse("SIMPOR", ESTIMATOR)
