"""Small helpers shared by skdeep's estimators."""
