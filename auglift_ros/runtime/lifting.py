"""One frame through the lifting stage: detections + depth + intrinsics -> 3D skeletons in the camera.

The lifter node, bag evaluation and any offline runner call `FrameLifter.lift`, so a change to the
method shows up everywhere at once. A temporal lifter (from its model file's window) keeps a ring
buffer of feature frames per tracked person, so `lift` then needs each person's track id; every
temporal model's buffer is fed every frame, so switching between the depth model and the fallback
never finds a stale window. With a depth image the depth model (`uadd`) is used and the pelvis
is placed at its measured depth; without one (no depth topic, or depth too old) the no-depth
fallback (`xyc`) is used and the pelvis is placed by re-projection. The result says which happened.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from auglift_ros.core.camera import check_camera_matrix
from auglift_ros.core.lifters import PersonWindows
from auglift_ros.core.placement import place_pose, root_depth_from_joints, root_from_reprojection, root_on_ray
from auglift_ros.core.skeleton import H36M_ROOT
from auglift_ros.core.triangulation import undistort_pixels
from auglift_ros.runtime.models import LoadedLifter


@dataclass
class LiftResult:
    """Per person (P): joints in the camera optical frame (metres; NaN if it could not be placed),
    the root-relative pose the lifter produced, and how the frame was lifted."""

    joints_cam: np.ndarray  # (P, 17, 3)
    root_relative: np.ndarray  # (P, 17, 3)
    feature_set: str
    used_depth: bool
    person_ids: np.ndarray | None = None  # (P,) track ids, when the caller tracks persons


class FrameLifter:
    """A depth lifter and an optional no-depth fallback, with the placement rules above."""

    def __init__(self, model: LoadedLifter, fallback: LoadedLifter | None = None) -> None:
        if fallback is not None and fallback.codec.uses_depth:
            raise ValueError(
                f"the fallback model must not need depth; {fallback.path} uses {fallback.codec.feature_set!r}"
            )
        self.model = model
        self.fallback = fallback
        self._windows: dict[int, PersonWindows] = {}
        for loaded in (model, fallback):
            if loaded is not None and loaded.lifter.temporal:
                try:
                    self._windows[id(loaded)] = PersonWindows(loaded.window)
                except ValueError as exc:
                    raise ValueError(f"lifter model {loaded.path}: {exc}") from exc

    @property
    def temporal(self) -> bool:
        """Whether lifting needs person ids (a model keeps per-person windows)."""
        return bool(self._windows)

    def forget(self, person_ids: Iterable[int]) -> None:
        """Drop the windows of persons whose track ended."""
        ended = list(person_ids)
        for windows in self._windows.values():
            windows.forget(ended)

    def _windowed(
        self, loaded: LoadedLifter, person_ids: Sequence[int] | None, features: np.ndarray
    ) -> np.ndarray:
        """A temporal model's windows (P, T, K, C) after adding this frame's features (P, K, C); a
        single-frame model takes the features as they are."""
        windows = self._windows.get(id(loaded))
        return features if windows is None else windows.push(person_ids, features)

    def lift(
        self,
        keypoints: np.ndarray,
        confidence: np.ndarray,
        image_size: tuple[int, int],
        camera_matrix: np.ndarray,
        depth: np.ndarray | None = None,
        person_ids: Sequence[int] | None = None,
        distortion: np.ndarray | None = None,
    ) -> LiftResult:
        """Lift all persons of one frame in one batch; depth (H, W) metres must match image_size (W, H);
        person_ids (P,) are required by temporal models. With the lens's OpenCV distortion
        coefficients, keypoints are undistorted before they are encoded and placed; depth is still
        sampled where they were detected, in the image the depth is registered to."""
        detected = np.asarray(keypoints, dtype=np.float64)
        confidence = np.asarray(confidence, dtype=np.float64)
        camera_matrix = check_camera_matrix(camera_matrix, image_size)
        keypoints = detected
        if distortion is not None and np.any(np.asarray(distortion) != 0) and len(detected):
            keypoints = undistort_pixels(detected, camera_matrix, np.asarray(distortion, dtype=np.float64))
        width, height = image_size
        if depth is not None and np.shape(depth) != (height, width):
            raise ValueError(
                f"depth image is {np.shape(depth)[1]} x {np.shape(depth)[0]} (W x H) "
                f"but the keypoints' image is {width} x {height}"
            )
        if self.temporal and (person_ids is None or len(person_ids) != len(keypoints)):
            raise ValueError(f"a temporal lifter needs one person id per person ({len(keypoints)})")
        with_depth = depth is not None and self.model.codec.uses_depth
        chosen = self.model if with_depth or self.fallback is None else self.fallback
        depth_inputs = chosen.codec.sample_depth(depth, detected, confidence) if with_depth else None
        features = chosen.codec.encode(keypoints, confidence, image_size, depth_inputs, camera_matrix)
        out = chosen.lifter.run(self._windowed(chosen, person_ids, features))
        lifted = (out[:, -1] if chosen.lifter.temporal else out).astype(np.float64)
        pose = chosen.codec.decode_pose(lifted, chosen.codec.view_rotation(keypoints, camera_matrix))
        for other in (self.model, self.fallback):  # keep the unused model's windows current
            if other is not None and other is not chosen and id(other) in self._windows:
                other_features = other.codec.encode(keypoints, confidence, image_size, None, camera_matrix)
                self._windowed(other, person_ids, other_features)
        root = np.full((len(pose), 3), np.nan)
        if with_depth:
            point_depth = depth_inputs[..., 0] if depth_inputs.ndim == 3 else depth_inputs
            root = root_on_ray(
                keypoints[:, H36M_ROOT], root_depth_from_joints(point_depth, pose), camera_matrix
            )
        missing = ~np.isfinite(root).all(axis=-1)
        if missing.any():
            root[missing] = root_from_reprojection(
                pose[missing], keypoints[missing], confidence[missing], camera_matrix
            )
        return LiftResult(
            joints_cam=place_pose(pose, root),
            root_relative=pose,
            feature_set=chosen.codec.feature_set,
            used_depth=with_depth,
            person_ids=None if person_ids is None else np.asarray(person_ids),
        )
