"""Video files as RGB frames (OpenCV's decoder), with their recorded size and frame rate."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np


def _capture(path: Path) -> object:
    import cv2  # opencv-contrib-python, installed with mediapipe (headless OpenCV elsewhere)

    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise ValueError(f"cannot open the video {path}")
    return capture


@dataclass(frozen=True)
class VideoInfo:
    """A video's recorded frame size, frame rate and decoded frame count."""

    path: Path
    width: int
    height: int
    fps: float
    frame_count: int

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps if self.fps > 0 else float("nan")


def video_info(path: str | Path) -> VideoInfo:
    """Size and rate from the container; the frame count by grabbing every frame (no decoding to
    RGB), because container counts can be estimates."""
    import cv2

    path = Path(path)
    capture = _capture(path)
    try:
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = float(capture.get(cv2.CAP_PROP_FPS))
        count = 0
        while capture.grab():
            count += 1
    finally:
        capture.release()
    return VideoInfo(path, width, height, fps, count)


def same_timing(infos: Sequence[VideoInfo]) -> bool:
    """True when all videos have one frame count and one frame rate: necessary for frame-by-frame
    synchronisation, not sufficient (the recordings may still start at different instants)."""
    return len({info.frame_count for info in infos}) == 1 and len({round(i.fps, 3) for i in infos}) == 1


class VideoFrames:
    """Iterate over a video's frames as contiguous RGB uint8 arrays (H, W, 3).

    ``stride`` keeps every stride-th frame (0, stride, 2 stride, ...), ``max_frames`` stops after that
    many kept frames, ``scale`` resizes each kept frame (area averaging) before it is returned; skipped
    frames are grabbed without being decoded to RGB. Each iteration reopens the file. ``fps`` is the
    recorded rate (kept frames are ``stride / fps`` seconds apart); ``width`` x ``height`` the size of
    the returned frames, ``native_width`` x ``native_height`` the recorded size.
    """

    def __init__(
        self, path: str | Path, *, stride: int = 1, max_frames: int | None = None, scale: float = 1.0
    ) -> None:
        import cv2

        if stride < 1 or (max_frames is not None and max_frames < 0) or not 0.0 < scale <= 1.0:
            raise ValueError(
                f"need stride >= 1, max_frames >= 0, 0 < scale <= 1; got {stride}, {max_frames}, {scale}"
            )
        self.path = Path(path)
        self.stride, self.max_frames, self.scale = stride, max_frames, scale
        capture = _capture(self.path)
        try:
            self.native_width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
            self.native_height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
            self.fps = float(capture.get(cv2.CAP_PROP_FPS))
            self._container_count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        finally:
            capture.release()
        self.width = max(1, round(self.native_width * scale))
        self.height = max(1, round(self.native_height * scale))

    def __len__(self) -> int:
        """Frames an iteration yields, by the container's frame count."""
        kept = -(-max(self._container_count, 0) // self.stride)
        return kept if self.max_frames is None else min(kept, self.max_frames)

    def __iter__(self) -> Iterator[np.ndarray]:
        import cv2

        capture = _capture(self.path)
        try:
            kept, index = 0, 0
            while self.max_frames is None or kept < self.max_frames:
                if index % self.stride:
                    if not capture.grab():
                        return
                    index += 1
                    continue
                ok, bgr = capture.read()
                if not ok:
                    return
                index += 1
                if self.scale != 1.0:
                    bgr = cv2.resize(bgr, (self.width, self.height), interpolation=cv2.INTER_AREA)
                kept += 1
                yield np.ascontiguousarray(bgr[..., ::-1])
        finally:
            capture.release()
