"""The lifter node's work on one keypoints message, apart from the node: the node and offline bag
replay (auglift_ros.bags.replay) both call `LiftStage.lift`, so a bag evaluated offline goes through
exactly the checks, conversions and core calls the running node applies."""

from __future__ import annotations

import numpy as np
from sensor_msgs.msg import CameraInfo, Image, PointCloud2
from std_msgs.msg import Header
from visualization_msgs.msg import MarkerArray

from auglift_ros.core.tracking import KeypointTracker
from auglift_ros.nodes.messages import (
    MessageError,
    camera_matrix,
    cloud_to_keypoints,
    depth_image_to_metres,
    distortion_coefficients,
    skeleton_markers,
    skeletons_to_cloud,
    stamp_ns,
)
from auglift_ros.runtime.lifting import FrameLifter, LiftResult


class OutOfOrderStampError(MessageError):
    """Keypoints older than the last lifted frame: lifting them now would publish the past."""


class LiftStage:
    """Keypoints + the latest camera_info + the depth image paired with them -> LiftResult,
    with each person's track id (the published person_id, and the key of temporal windows)."""

    def __init__(self, lifter: FrameLifter, tracker: KeypointTracker | None = None) -> None:
        self.lifter = lifter
        self.tracker = tracker if tracker is not None else KeypointTracker()
        self.camera_info: CameraInfo | None = None
        self._last_stamp_ns = -1

    def set_camera_info(self, msg: CameraInfo) -> None:
        self.camera_info = msg

    def lift(self, msg: PointCloud2, depth_msg: Image | None) -> tuple[LiftResult, np.ndarray]:
        """(result, confidence (P, 17)) for a keypoints message and its paired depth image (None:
        without depth). MessageError (or ValueError) names what is wrong with the frame."""
        stamp = stamp_ns(msg.header)
        if stamp < self._last_stamp_ns:
            raise OutOfOrderStampError(
                f"out-of-order stamp: keypoints at {stamp / 1e9:.3f} s arrived after a frame at "
                f"{self._last_stamp_ns / 1e9:.3f} s"
            )
        keypoints, confidence = cloud_to_keypoints(msg)
        info = self.camera_info
        if info is None:
            raise MessageError("no camera_info received yet")
        if info.width == 0 or info.height == 0:
            raise MessageError("camera_info has no image size")
        depth = None if depth_msg is None else depth_image_to_metres(depth_msg)
        size = (info.width, info.height)
        k, distortion = camera_matrix(info), distortion_coefficients(info)  # checked before tracking
        tracks = self.tracker.update(keypoints, confidence, stamp)
        self.lifter.forget(tracks.ended)
        result = self.lifter.lift(keypoints, confidence, size, k, depth, tracks.ids, distortion)
        self._last_stamp_ns = stamp
        return result, confidence


def lifted_messages(
    header: Header,
    result: LiftResult,
    confidence: np.ndarray,
    marker_lifetime_s: float,
    *,
    markers: bool = True,
) -> tuple[PointCloud2, MarkerArray | None]:
    """The skeleton cloud and RViz markers (None unless ``markers``) the lifter node publishes for one
    lifted frame (and the demo writes to its output bag), with the track ids as person ids and the
    keypoints' header."""
    ids = result.person_ids
    return (
        skeletons_to_cloud(header, result.joints_cam, confidence, ids),
        skeleton_markers(header, result.joints_cam, ids, lifetime_s=marker_lifetime_s) if markers else None,
    )
