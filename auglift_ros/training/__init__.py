"""Training and studying lifters on features built by the core codec from simulated scenes of mocap.

May import: core, mocap, simulation, runtime, evaluation.
"""
