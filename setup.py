"""ament_python package: `colcon build` on a ROS 2 install, or `pip install -e .` into a venv."""

from glob import glob

from setuptools import find_packages, setup

PACKAGE = "auglift_ros"


def share(folder: str) -> tuple[str, list[str]]:
    """Install every file of a top-level folder into share/auglift_ros/<folder>."""
    return (f"share/{PACKAGE}/{folder}", sorted(p for p in glob(f"{folder}/*") if not p.endswith(".md")))


setup(
    name=PACKAGE,
    version="0.1.0",
    packages=find_packages(exclude=["test", "test.*"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        share("launch"),
        share("config"),
        share("models"),
    ],
    install_requires=["setuptools", "numpy", "pyyaml"],
    extras_require={"test": ["pytest"]},
    zip_safe=True,
    maintainer="auglift_ros maintainers",
    maintainer_email="maintainers@auglift-ros.dev",
    description="Monocular 3D human pose lifting (AugLift) for ROS 2",
    license="Apache-2.0",
    python_requires=">=3.10",
    entry_points={
        "console_scripts": [
            "auglift-ros = auglift_ros.commands.main:main",
            "detector_node = auglift_ros.nodes.start:detector_node",
            "lifter_node = auglift_ros.nodes.start:lifter_node",
            "depth_node = auglift_ros.nodes.start:depth_node",
            "evaluator_node = auglift_ros.nodes.start:evaluator_node",
        ],
    },
)
