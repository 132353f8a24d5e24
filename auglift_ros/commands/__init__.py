"""The `auglift-ros` command (`main`), a module per subcommand family, and the demos and benchmark it runs.

The top of the stack. May import: core, perception, mocap, simulation, footage, runtime, evaluation,
training, nodes, bags.
"""
