"""Datasets: the catalogue of versions and the hand-off between versions and projects."""
