"""The scene simulation that trains and tests lifters: camera views, depth rendering, sensor error models.

`simulate.simulate_frames` turns poses into what a camera, a detector and a depth sensor would give.
May import: core, mocap.
"""
