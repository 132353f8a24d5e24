"""Recorded and generated motion: BVH, npz and public dataset readers, skeleton families, random
poses, pose augmentation.

Everything here yields root-relative Human3.6M-17 joints in metres. May import: core.
"""
