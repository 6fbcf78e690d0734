"""Clustering estimators."""

from skdeep.cluster._dbscan_predictor import DBSCANPredictor

__all__ = ["DBSCANPredictor"]
