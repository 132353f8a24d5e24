"""Generated scenes: camera views of a person, capsule bodies rendered to depth, joint visibility.

Coordinates: the world is y up with the floor at y = 0 (as in :mod:`auglift_ros.mocap.generated`);
cameras use the ROS optical frame (REP 103 ``_optical_frame``: x right, y down, z forward). Depth images
hold the metric z of the first surface along each pixel's ray (REP 118). People are rendered as
capsules, one per bone, so occlusion (an arm in front of the torso, the far leg behind the near one)
comes from the geometry rather than from labels (method.md, section 6). What a detector and a depth
model make of such a scene is in :mod:`auglift_ros.simulation.sensors`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from auglift_ros.core.camera import PinholeCamera
from auglift_ros.core.skeleton import H36M_BONES, H36M_NUM_JOINTS, H36M_ROOT


def random_camera(rng: np.random.Generator, width: int = 640, height: int = 480) -> PinholeCamera:
    """Camera with a horizontal field of view drawn from 50..75 degrees.

    The range spans common webcams (about 55-65 deg horizontal) and robot RGB-D colour streams (Intel
    RealSense D435 colour: 69 deg); 640x480 is the default stream of both.
    """
    return PinholeCamera.from_fov(width, height, float(rng.uniform(50.0, 75.0)))


def random_view(
    rng: np.random.Generator,
    *,
    distance: tuple[float, float] = (2.0, 8.0),
    height: tuple[float, float] = (0.8, 2.0),
    pitch_deg: tuple[float, float] = (-20.0, 10.0),
    yaw_deg: tuple[float, float] = (-180.0, 180.0),
    pan_deg: tuple[float, float] = (-10.0, 10.0),
    aim_height: tuple[float, float] | None = None,
    roll_deg: tuple[float, float] = (0.0, 0.0),
) -> tuple[np.ndarray, np.ndarray]:
    """World -> camera-optical rigid transform (R (3, 3), t (3,)) with p_cam = R @ p_world + t.

    The camera stands ``distance`` metres (horizontally) from the vertical axis through the world
    origin, where a person stands on the floor y = 0, at ``height`` metres, at azimuth ``yaw_deg``
    around the person (0 = in front of them, on +z). It faces the person's axis, turned sideways by
    ``pan_deg`` (so people are not always centred) and tilted by the pitch ``pitch_deg`` (negative
    looks down): an absolute pitch of a level camera, or, with ``aim_height``, an offset from the
    direction to a point that high on the person's axis (so a camera 4 m up looks down at them).
    ``roll_deg`` turns it about its optical axis. The defaults follow indoor robots and wall-mounted
    cameras: 2..8 m spans a person filling the frame to a person across a room, 0.8..2.0 m robot-head
    to wall-mount heights, and -20..10 deg downward wall mounts to a low robot camera looking slightly
    up. Close, high or steep views may crop the person; :func:`joint_visibility` then marks the
    cropped joints. Draws for ``aim_height`` and ``roll_deg`` are made only when they are set, so the
    defaults draw exactly what they always drew.
    """
    d = rng.uniform(*distance)
    h = rng.uniform(*height)
    pitch, yaw, pan = np.deg2rad([rng.uniform(*pitch_deg), rng.uniform(*yaw_deg), rng.uniform(*pan_deg)])
    if aim_height is not None:
        pitch += np.arctan2(rng.uniform(*aim_height) - h, d)
    roll = np.deg2rad(rng.uniform(*roll_deg)) if roll_deg != (0.0, 0.0) else 0.0
    centre = np.array([d * np.sin(yaw), h, d * np.cos(yaw)])
    heading = yaw + np.pi + pan  # azimuth of the horizontal viewing direction
    level = np.array([np.sin(heading), 0.0, np.cos(heading)])
    forward = np.cos(pitch) * level + np.array([0.0, np.sin(pitch), 0.0])
    right = np.cross(forward, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    if roll:
        right, down = np.cos(roll) * right + np.sin(roll) * down, np.cos(roll) * down - np.sin(roll) * right
    rotation = np.stack([right, down, forward])
    return rotation, -rotation @ centre


def camera_pitch_deg(rotation: np.ndarray) -> float:
    """The optical axis's angle above the horizon (negative: looking down) of a world -> camera R."""
    return float(np.degrees(np.arcsin(np.clip(rotation[2, 1], -1.0, 1.0))))


@dataclass(frozen=True)
class CameraRanges:
    """The cameras and views a simulated frame draws from (docs/simulation.md, "cameras").

    The defaults are the original indoor-robot ranges, one 640x480 image size and the whole person in
    view; wider ranges are the camera augmentation that makes lifters hold up on other cameras.
    ``pitch_limits_deg`` bounds the camera's absolute pitch after aiming; a view is accepted when the
    pelvis and at least ``min_joints_in_view`` joints project inside the image.
    """

    fov_deg: tuple[float, float] = (50.0, 75.0)
    image_sizes: tuple[tuple[int, int], ...] = ((640, 480),)
    distance: tuple[float, float] = (2.0, 8.0)
    height: tuple[float, float] = (0.8, 2.0)
    pitch_deg: tuple[float, float] = (-20.0, 10.0)
    pan_deg: tuple[float, float] = (-10.0, 10.0)
    aim_height: tuple[float, float] | None = None
    roll_deg: tuple[float, float] = (0.0, 0.0)
    pitch_limits_deg: tuple[float, float] = (-90.0, 90.0)
    min_joints_in_view: int = H36M_NUM_JOINTS

    def __post_init__(self) -> None:
        ranges = {
            "fov_deg": self.fov_deg,
            "distance": self.distance,
            "height": self.height,
            "pitch_deg": self.pitch_deg,
            "pan_deg": self.pan_deg,
            "roll_deg": self.roll_deg,
            "pitch_limits_deg": self.pitch_limits_deg,
            **({"aim_height": self.aim_height} if self.aim_height is not None else {}),
        }
        for name, (low, high) in ranges.items():
            if not low <= high:
                raise ValueError(f"cameras.{name} must be [low, high] with low <= high, got {[low, high]}")
        if not (0.0 < self.fov_deg[0] and self.fov_deg[1] < 180.0 and self.distance[0] > 0.0):
            raise ValueError("cameras.fov_deg must lie in (0, 180) and cameras.distance be positive")
        if not self.image_sizes or any(len(s) != 2 or min(s) < 16 for s in self.image_sizes):
            raise ValueError(
                f"cameras.image_sizes must be [width, height] pairs >= 16 px, got {self.image_sizes}"
            )
        if not 1 <= self.min_joints_in_view <= H36M_NUM_JOINTS:
            raise ValueError(f"cameras.min_joints_in_view must be 1..17, got {self.min_joints_in_view}")

    def camera(self, rng: np.random.Generator) -> PinholeCamera:
        """An image size (uniform over the choices; no draw when there is one) and a field of view."""
        size = self.image_sizes[rng.integers(len(self.image_sizes))] if len(self.image_sizes) > 1 else None
        width, height = size or self.image_sizes[0]
        return PinholeCamera.from_fov(int(width), int(height), float(rng.uniform(*self.fov_deg)))

    def view(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return random_view(
            rng,
            distance=self.distance,
            height=self.height,
            pitch_deg=self.pitch_deg,
            pan_deg=self.pan_deg,
            aim_height=self.aim_height,
            roll_deg=self.roll_deg,
        )

    def shows(self, camera: PinholeCamera, rotation: np.ndarray, joints_cam: np.ndarray) -> np.ndarray:
        """(T,) whether each pose (T, 17, 3) is seen as these ranges ask (pelvis and enough joints in
        the image, the camera's pitch within its limits)."""
        low, high = self.pitch_limits_deg
        pixels = camera.project(np.asarray(joints_cam, dtype=np.float64).reshape(-1, H36M_NUM_JOINTS, 3))
        inside = np.all((pixels >= 0) & (pixels < (camera.width, camera.height)), axis=-1)
        level = low <= camera_pitch_deg(rotation) <= high
        return level & inside[:, H36M_ROOT] & (inside.sum(axis=-1) >= self.min_joints_in_view)

    def accepts(self, camera: PinholeCamera, rotation: np.ndarray, joints_cam: np.ndarray) -> bool:
        """Whether a drawn view shows one person (17, 3) as these ranges ask."""
        return bool(self.shows(camera, rotation, joints_cam)[0])

    def backed_off(self, metres: float) -> CameraRanges:
        """The same ranges with the distance range moved `metres` further away."""
        return replace(self, distance=(self.distance[0] + metres, self.distance[1] + metres))


DEFAULT_CAMERAS = CameraRanges()
"""The original ranges: what every model before the camera augmentation was trained with."""


ANKLE_HEIGHT = 0.08
"""Height of the ankle joint (lateral malleolus) above the sole, metres: about 4.5% of stature."""


def lift_to_floor(joints: np.ndarray, clearance: float = ANKLE_HEIGHT) -> np.ndarray:
    """Shift root-relative poses (..., 17, 3) up so the lowest joint is ``clearance`` above y = 0.

    The default clearance puts an ankle joint at its height above the sole, so a standing person's feet
    rest on the floor.
    """
    lifted = np.array(joints, dtype=np.float64)
    lifted[..., 1] += clearance - lifted[..., 1].min(axis=-1, keepdims=True)
    return lifted


def place_in_camera(joints_world: np.ndarray, rotation: np.ndarray, translation: np.ndarray) -> np.ndarray:
    """World points (..., 3) -> camera optical frame with the transform from :func:`random_view`."""
    return np.asarray(joints_world, dtype=np.float64) @ np.asarray(rotation).T + np.asarray(translation)


def floor_plane(rotation: np.ndarray, translation: np.ndarray) -> tuple[np.ndarray, float]:
    """The world floor y = 0 in the camera frame as (normal, offset): points x with normal . x = offset."""
    normal = np.asarray(rotation)[:, 1]
    return normal, float(normal @ np.asarray(translation))


# Capsule radius per bone (metres), H36M_BONES order. Adult anthropometry (e.g. ANSUR II girths / 2 pi,
# rounded): torso 0.14 / 0.13 (chest depth ~0.25, width ~0.33: a circle between the two), hip block
# 0.09, thigh 0.08, shin 0.055, neck 0.06, head 0.10 (a sphere, see render_depth), shoulder girdle
# 0.07, upper arm 0.05, forearm 0.04.
H36M_LIMB_RADII: np.ndarray = np.array(
    [
        0.09, 0.08, 0.055,  # right hip block, thigh, shin
        0.09, 0.08, 0.055,  # left
        0.14, 0.13, 0.06, 0.10,  # pelvis->spine, spine->thorax, neck, head
        0.07, 0.05, 0.04,  # left shoulder girdle, upper arm, forearm
        0.07, 0.05, 0.04,  # right
    ]
)  # fmt: skip
"""Default capsule radius of each bone, metres (``H36M_BONES`` order)."""

_BONE_PARENTS = np.array([p for p, _ in H36M_BONES])
_BONE_CHILDREN = np.array([c for _, c in H36M_BONES])
_HEAD_BONE = next(i for i, (p, c) in enumerate(H36M_BONES) if (p, c) == (9, 10))


def joint_radii(limb_radius: np.ndarray = H36M_LIMB_RADII) -> np.ndarray:
    """(17,) largest radius of the capsules meeting at each joint: how far its surface may lie in front."""
    radii = np.zeros(H36M_NUM_JOINTS)
    np.maximum.at(radii, _BONE_PARENTS, limb_radius)
    np.maximum.at(radii, _BONE_CHILDREN, limb_radius)
    return radii


def bone_capsules(
    joints_cam: np.ndarray, limb_radius: np.ndarray = H36M_LIMB_RADII
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Capsule end points (P, 16, 3) x 2 and radii (P, 16) for poses (P, 17, 3).

    The head bone (neck/nose -> head top) becomes a sphere at its midpoint: a capsule along it with a
    head-sized radius would make the head far too long.
    """
    start = joints_cam[:, _BONE_PARENTS].copy()
    end = joints_cam[:, _BONE_CHILDREN].copy()
    middle = (start[:, _HEAD_BONE] + end[:, _HEAD_BONE]) / 2.0
    start[:, _HEAD_BONE] = middle
    end[:, _HEAD_BONE] = middle
    return start, end, np.broadcast_to(np.asarray(limb_radius, dtype=np.float64), start.shape[:2])


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("...i,...i->...", a, b)


def ray_capsule_depth(rays: np.ndarray, start: np.ndarray, end: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """z-depth where rays (..., 3) from the camera origin first hit capsules; inf on a miss.

    ``rays`` have z = 1 (as from :meth:`PinholeCamera.ray_directions`); capsule end points (..., 3) and
    ``radius`` (...) broadcast against them, e.g. rays (N, 1, 3) with capsules (M, 3) give (N, M).
    Exact intersection with the capsule (segment start-end swept by a sphere of ``radius``): the
    infinite cylinder first, then the end sphere on the side where that hit falls beyond the segment
    (I. Quilez's capsule test). Hits behind the camera, or seen from inside a capsule, are misses.
    """
    norm = np.linalg.norm(rays, axis=-1)
    unit = rays / norm[..., None]
    axis = end - start  # from start to end
    axis_sq, axis_origin = _dot(axis, axis), -_dot(axis, start)
    start_sq, r_sq = _dot(start, start), np.asarray(radius, dtype=np.float64) ** 2
    axis_ray, ray_origin = _dot(unit, axis), -_dot(unit, start)
    qa = axis_sq - axis_ray**2
    qb = axis_sq * ray_origin - axis_origin * axis_ray
    qc = axis_sq * start_sq - axis_origin**2 - r_sq * axis_sq
    disc = qb**2 - qa * qc
    # Rays parallel to the axis and spheres (zero-length axis) skip the cylinder: only the near cap.
    degenerate = qa <= 1e-12 * axis_sq
    cylinder = (disc >= 0) & ~degenerate
    with np.errstate(divide="ignore", invalid="ignore"):
        t_body = (-qb - np.sqrt(np.where(cylinder, disc, 0.0))) / np.where(cylinder, qa, 1.0)
    along = np.where(cylinder, axis_origin + t_body * axis_ray, -axis_ray)
    body = cylinder & (along > 0) & (along < axis_sq)
    near_start = along <= 0
    cap_b = np.where(near_start, ray_origin, -_dot(unit, end))
    cap_c = np.where(near_start, start_sq, _dot(end, end)) - r_sq
    cap_disc = cap_b**2 - cap_c
    t_cap = -cap_b - np.sqrt(np.maximum(cap_disc, 0.0))
    t = np.where(body, t_body, np.where((degenerate | (disc >= 0)) & (cap_disc >= 0), t_cap, np.inf))
    return np.where(t > 0, t, np.inf) / norm


def _window_rays(camera: PinholeCamera, u0: int, u1: int, v0: int, v1: int) -> np.ndarray:
    """(v1 - v0, u1 - u0, 3) rays with z = 1 through the pixels of one image window."""
    rays = np.ones((v1 - v0, u1 - u0, 3))
    rays[..., 0] = ((np.arange(u0, u1) - camera.cx) / camera.fx)[None, :]
    rays[..., 1] = ((np.arange(v0, v1) - camera.cy) / camera.fy)[:, None]
    return rays


def _pixel_box(camera: PinholeCamera, centres: np.ndarray, radius: float) -> tuple[int, int, int, int]:
    """Pixel window (u0, u1, v0, v1) covering spheres of ``radius`` around centres (K, 3), clipped.

    Each sphere lies inside its axis-aligned cube, and a cube in front of the camera projects inside
    the box of its corners' projections; if any corner is at or behind the camera the whole image is
    used (correct, only slower).
    """
    corners = (centres[:, None, :] + radius * _CUBE_CORNERS).reshape(-1, 3)
    if np.any(corners[:, 2] <= 1e-3):
        return 0, camera.width, 0, camera.height
    uv = camera.project(corners)
    u0, v0 = np.floor(uv.min(axis=0)).astype(int)
    u1, v1 = np.ceil(uv.max(axis=0)).astype(int) + 1
    return max(u0, 0), min(u1, camera.width), max(v0, 0), min(v1, camera.height)


_CUBE_CORNERS = np.array([[x, y, z] for x in (-1.0, 1.0) for y in (-1.0, 1.0) for z in (-1.0, 1.0)])


def render_depth(
    camera: PinholeCamera,
    joints_cam: np.ndarray,
    *,
    limb_radius: np.ndarray = H36M_LIMB_RADII,
    floor: tuple[np.ndarray, float] | None = None,
    background_depth: float = 10.0,
) -> np.ndarray:
    """Metric z-depth image (H, W) float32 of people (P, 17, 3) as capsules, a plane and a far wall.

    Every pixel starts at ``background_depth`` (a wall facing the camera: 10 m is beyond indoor rooms);
    ``floor`` (a plane in the camera frame, e.g. from :func:`floor_plane`) is intersected analytically
    for all pixels. Capsules are ray-cast only inside their person's projected box, and there only in
    the window each capsule can cover (checking every capsule on every pixel of the person's box took
    ~55 ms); a 640x480 frame with one person at 3 m then takes about 5-8 ms on one CPU core.
    """
    joints_cam = np.asarray(joints_cam, dtype=np.float64).reshape(-1, H36M_NUM_JOINTS, 3)
    depth = np.full((camera.height, camera.width), float(background_depth))
    if floor is not None:
        normal, offset = np.asarray(floor[0], dtype=np.float64), float(floor[1])
        x = (np.arange(camera.width) - camera.cx) / camera.fx
        y = (np.arange(camera.height) - camera.cy) / camera.fy
        with np.errstate(divide="ignore"):
            along = offset / (normal[0] * x[None, :] + normal[1] * y[:, None] + normal[2])
        np.minimum(depth, np.where(along > 0, along, np.inf), out=depth)
    starts, ends, radii = bone_capsules(joints_cam, limb_radius)
    for start, end, radius, joints in zip(starts, ends, radii, joints_cam, strict=True):
        pu0, pu1, pv0, pv1 = _pixel_box(camera, joints, float(radius.max()))
        if pu0 >= pu1 or pv0 >= pv1:
            continue
        rays = _window_rays(camera, pu0, pu1, pv0, pv1)
        person = depth[pv0:pv1, pu0:pu1]
        for a, b, r in zip(start, end, radius, strict=True):
            u0, u1, v0, v1 = _pixel_box(camera, np.stack([a, b]), float(r))
            u0, u1, v0, v1 = max(u0, pu0), min(u1, pu1), max(v0, pv0), min(v1, pv1)
            if u0 < u1 and v0 < v1:
                window = person[v0 - pv0 : v1 - pv0, u0 - pu0 : u1 - pu0]
                hits = ray_capsule_depth(rays[v0 - pv0 : v1 - pv0, u0 - pu0 : u1 - pu0], a, b, r)
                np.minimum(window, hits, out=window)
    return depth.astype(np.float32)


@dataclass(frozen=True)
class DepthWindows:
    """Square windows of a depth image side by side in one array: window k, (2 halves[k] + 1) pixels
    wide, is centred on pixel ``centres[k]`` = (col, row) and starts at the array's top left plus
    (its x offset, 0); the rest of the array is padding. ``rows`` and ``cols`` give each pixel's image
    coordinates; pixels beyond the image edge repeat the nearest edge pixel, and ``inside`` is False
    there and in the padding."""

    depth: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    inside: np.ndarray
    origins: np.ndarray
    """(K, 2) the image point (x, y) at the array's pixel (0, 0) for window k: image point p near
    centre k lies at p - origins[k] in the array."""


def render_depth_windows(
    camera: PinholeCamera,
    joints_cam: np.ndarray,
    centres: np.ndarray,
    halves: np.ndarray,
    *,
    limb_radius: np.ndarray = H36M_LIMB_RADII,
    floor: tuple[np.ndarray, float] | None = None,
    background_depth: float = 10.0,
) -> DepthWindows:
    """What :func:`render_depth` gives for one person (17, 3), only in squares of half-width halves
    (K,) around pixel centres (K, 2): the depth a sampler reads near each keypoint, at a cost that
    does not grow with the image size (a 4K frame rendered whole takes about a second). Each capsule
    is ray-cast once, on the window pixels inside its projected box."""
    centres = np.asarray(centres, dtype=int).reshape(-1, 2)
    halves = np.broadcast_to(np.asarray(halves, dtype=int), (len(centres),))
    sides = 2 * halves + 1
    starts = np.concatenate([[0], np.cumsum(sides)[:-1]])
    shape = (int(sides.max(initial=1)), int(sides.sum()))
    cols, rows = np.zeros(shape, dtype=int), np.zeros(shape, dtype=int)
    window = np.zeros(shape, dtype=bool)
    for (x, y), half, side, start in zip(centres, halves, sides, starts, strict=True):
        block = np.s_[:, start : start + side]
        cols[block], rows[block] = x, y  # the padding below a smaller window: its centre pixel
        cols[:side, start : start + side] = x + np.arange(-half, half + 1)[None, :]
        rows[:side, start : start + side] = y + np.arange(-half, half + 1)[:, None]
        window[:side, start : start + side] = True
    inside = window & (cols >= 0) & (cols < camera.width) & (rows >= 0) & (rows < camera.height)
    origins = np.stack([centres[:, 0] - halves - starts, centres[:, 1] - halves], axis=-1).astype(np.float64)
    u = np.clip(cols, 0, camera.width - 1)  # beyond the edge: the edge pixel, as a "nearest" blur reads
    v = np.clip(rows, 0, camera.height - 1)
    rays = np.stack([(u - camera.cx) / camera.fx, (v - camera.cy) / camera.fy, np.ones(u.shape)], axis=-1)
    depth = np.full(u.shape, float(background_depth))
    if floor is not None:
        normal, offset = np.asarray(floor[0], dtype=np.float64), float(floor[1])
        with np.errstate(divide="ignore"):
            along = offset / (rays @ normal)
        np.minimum(depth, np.where(along > 0, along, np.inf), out=depth)
    joints_cam = np.asarray(joints_cam, dtype=np.float64).reshape(H36M_NUM_JOINTS, 3)
    starts, ends, radii = bone_capsules(joints_cam[None], limb_radius)
    for a, b, r in zip(starts[0], ends[0], radii[0], strict=True):
        u0, u1, v0, v1 = _pixel_box(camera, np.stack([a, b]), float(r))
        hit = (u >= u0) & (u < u1) & (v >= v0) & (v < v1)
        if hit.any():
            depth[hit] = np.minimum(depth[hit], ray_capsule_depth(rays[hit], a, b, r))
    return DepthWindows(depth.astype(np.float32), rows, cols, inside, origins)


def _joint_pixels(joints_cam: np.ndarray, camera: PinholeCamera) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, col, inside) of each joint's nearest pixel centre; inside is False off the image."""
    uv = camera.project(joints_cam)
    col = np.rint(uv[..., 0])
    row = np.rint(uv[..., 1])
    inside = (col >= 0) & (col < camera.width) & (row >= 0) & (row < camera.height)  # NaN -> False
    return np.where(inside, row, 0).astype(int), np.where(inside, col, 0).astype(int), inside


def _unoccluded(
    inside: np.ndarray, seen: np.ndarray, joints_cam: np.ndarray, limb_radius: np.ndarray, tolerance: float
) -> np.ndarray:
    return inside & (seen >= joints_cam[..., 2] - joint_radii(limb_radius) - tolerance)


def joint_visibility(
    depth: np.ndarray,
    joints_cam: np.ndarray,
    camera: PinholeCamera,
    *,
    limb_radius: np.ndarray = H36M_LIMB_RADII,
    tolerance: float = 0.03,
) -> np.ndarray:
    """(P, 17) True where a joint is in the image and not hidden behind another surface.

    A joint lies inside its own capsules, so the surface seen at its pixel is in front of it by at most
    its largest capsule radius; anything nearer than that (minus ``tolerance``, 3 cm for pixel
    discretisation at capsule edges) is an occluder.
    """
    joints_cam = np.asarray(joints_cam, dtype=np.float64).reshape(-1, H36M_NUM_JOINTS, 3)
    row, col, inside = _joint_pixels(joints_cam, camera)
    return _unoccluded(inside, depth[row, col], joints_cam, limb_radius, tolerance)


def ray_cast_visibility(
    joints_cam: np.ndarray,
    camera: PinholeCamera,
    *,
    limb_radius: np.ndarray = H36M_LIMB_RADII,
    floor: tuple[np.ndarray, float] | None = None,
    background_depth: float = 10.0,
    tolerance: float = 0.03,
) -> np.ndarray:
    """What ``joint_visibility(render_depth(...), ...)`` answers, from the joints' own pixels only.

    Casting 17 rays per person instead of rendering every pixel makes visibility cheap at any image
    size, so models that need no depth image can be trained on scenes drawn afresh every epoch.
    """
    joints_cam = np.asarray(joints_cam, dtype=np.float64).reshape(-1, H36M_NUM_JOINTS, 3)
    row, col, inside = _joint_pixels(joints_cam, camera)
    rays = np.stack(
        [(col - camera.cx) / camera.fx, (row - camera.cy) / camera.fy, np.ones(row.shape)], axis=-1
    )
    seen = np.full(row.shape, float(background_depth))
    if floor is not None:
        normal, offset = np.asarray(floor[0], dtype=np.float64), float(floor[1])
        with np.errstate(divide="ignore"):
            along = offset / (rays @ normal)
        seen = np.minimum(seen, np.where(along > 0, along, np.inf))
    starts, ends, radii = bone_capsules(joints_cam, limb_radius)
    flat_rays = rays.reshape(-1, 1, 1, 3)  # every joint pixel against every capsule of every person
    hits = ray_capsule_depth(flat_rays, starts.reshape(1, -1, 16, 3), ends.reshape(1, -1, 16, 3), radii)
    seen = np.minimum(seen, hits.min(axis=(1, 2)).reshape(seen.shape)).astype(np.float32)
    return _unoccluded(inside, seen, joints_cam, limb_radius, tolerance)
