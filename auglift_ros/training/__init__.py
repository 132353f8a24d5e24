"""Training of lifters on features built by the core codec."""
