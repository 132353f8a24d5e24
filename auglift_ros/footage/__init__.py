"""Real video: camera calibration files, frame reading, the pose2sim demo footage, the multi-view reference
and a detector's errors measured against it.

May import: core, perception (the reference triangulates a detector's 2D).
"""
