"""Scoring predictions against ground truth: person and frame matching, metric reports, plots.

Shared by simulated evaluation, bag replay, the live evaluator node and the demo. May import: core.
"""
