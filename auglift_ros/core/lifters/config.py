"""What every lifter architecture's configuration shares: joint and channel counts, validation,
and the JSON round trip a checkpoint uses to rebuild its own model."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Self

from auglift_ros.core.lifters.temporal import WindowSpec


@dataclass
class LifterConfig:
    """Input size (K joints x C channels per joint); subclasses add their architecture."""

    num_joints: int = 17
    in_channels: int = 2

    def __post_init__(self) -> None:
        self.check_positive("num_joints", "in_channels")

    @property
    def window(self) -> WindowSpec:
        """The frames a model sees per prediction; single-frame lifters see one."""
        return WindowSpec()

    def check_positive(self, *names: str) -> None:
        for name in names:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")

    def check_dropout(self, name: str = "dropout") -> None:
        value = getattr(self, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
            raise ValueError(f"{name} must be a float in [0, 1), got {value!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON checkpoints and ONNX metadata."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Inverse of ``to_dict``; unknown keys are rejected so typos do not pass silently."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown {cls.__name__} field(s): {', '.join(unknown)}")
        return cls(**data)
