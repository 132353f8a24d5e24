"""Generated scenes (poses, cameras, rendered depth, detector and depth-model errors) for demos and tests.

numpy/scipy only and deterministic given a ``np.random.Generator``, so the demo and the test suite run
without datasets; a later issue feeds real mocap poses through the same camera, render and error code.
"""
