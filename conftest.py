"""Test-session set-up shared by tests/ and the doctests in skdeep/."""

import os

# Lets scikit-learn's common check `check_array_api_input` run (with NumPy inputs and
# array API dispatch on) instead of skipping. Must be set before scipy is imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
