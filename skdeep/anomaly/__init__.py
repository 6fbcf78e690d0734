"""Anomaly and novelty detection."""

from skdeep.anomaly._gaussian_mixture import GaussianMixtureAnomalyDetector

__all__ = ["GaussianMixtureAnomalyDetector"]
