"""The `auglift-ros` command (`main`), one module per subcommand family, and the demos they run.

The top of the stack. May import: core, perception, mocap, simulation, footage, runtime, evaluation,
training, nodes, bags.
"""
