"""Generated scenes: poses, camera geometry, capsule depth rendering, visibility and error models."""

import numpy as np
import pytest

from auglift_ros.core.camera import PinholeCamera
from auglift_ros.core.skeleton import H36M_BONES, H36M_JOINT_NAMES, H36M_LEFT_RIGHT_PAIRS, bone_lengths
from auglift_ros.mocap.generated import H36M_REST_BONE_LENGTHS, random_poses
from auglift_ros.simulation.scene import (
    H36M_LIMB_RADII,
    floor_plane,
    joint_radii,
    joint_visibility,
    lift_to_floor,
    place_in_camera,
    random_camera,
    random_view,
    ray_capsule_depth,
    render_depth,
)
from auglift_ros.simulation.sensors import (
    H36M_KEYPOINT_SIGMAS,
    keypoint_box_scale,
    simulate_detector,
    simulate_monocular_depth,
)

J = {name: i for i, name in enumerate(H36M_JOINT_NAMES)}
BONE_OF_CHILD = {child: i for i, (_, child) in enumerate(H36M_BONES)}


def _angle_deg(a, b):
    cos = np.sum(a * b, axis=-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def _front_view(distance=3.0, height=1.0):
    """Camera on +z looking at the person (who faces +z), level."""
    return random_view(
        np.random.default_rng(0),
        distance=(distance, distance),
        height=(height, height),
        pitch_deg=(0.0, 0.0),
        yaw_deg=(0.0, 0.0),
        pan_deg=(0.0, 0.0),
    )


# --- poses ---------------------------------------------------------------------------------------------


def test_random_poses_shape_determinism_and_root():
    a = random_poses(64, np.random.default_rng(7))
    b = random_poses(64, np.random.default_rng(7))
    c = random_poses(64, np.random.default_rng(8))
    assert a.shape == (64, 17, 3)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    np.testing.assert_array_equal(a[:, 0], 0.0)


def test_random_poses_bone_lengths_are_rest_lengths_times_one_scale():
    poses = random_poses(500, np.random.default_rng(1))
    ratio = bone_lengths(poses) / H36M_REST_BONE_LENGTHS
    np.testing.assert_allclose(ratio, ratio[:, :1].repeat(16, axis=1), rtol=1e-9)
    assert ratio.min() >= 0.85 and ratio.max() <= 1.15
    assert np.ptp(ratio[:, 0]) > 0.2  # the size factor really varies


def test_rest_lengths_are_left_right_symmetric_and_adult_sized():
    for left, right in H36M_LEFT_RIGHT_PAIRS:
        assert H36M_REST_BONE_LENGTHS[BONE_OF_CHILD[left]] == H36M_REST_BONE_LENGTHS[BONE_OF_CHILD[right]]
    # ankle-to-head-top height of the rest skeleton: a 1.7-1.8 m adult minus the ankle height
    leg = sum(H36M_REST_BONE_LENGTHS[BONE_OF_CHILD[J[name]]] for name in ("right_knee", "right_ankle"))
    trunk = sum(
        H36M_REST_BONE_LENGTHS[BONE_OF_CHILD[J[name]]] for name in ("spine", "thorax", "neck_nose", "head")
    )
    assert 1.55 < leg + trunk < 1.75


def test_random_poses_joint_angles_stay_anatomical():
    poses = random_poses(2000, np.random.default_rng(2))
    for hip, knee, ankle in ((1, 2, 3), (4, 5, 6)):
        knee_flexion = _angle_deg(poses[:, knee] - poses[:, hip], poses[:, ankle] - poses[:, knee])
        assert knee_flexion.max() <= 140.0 + 1e-6
        assert knee_flexion.max() > 120.0  # deep flexion does occur
    for shoulder, elbow, wrist in ((11, 12, 13), (14, 15, 16)):
        elbow_flexion = _angle_deg(poses[:, elbow] - poses[:, shoulder], poses[:, wrist] - poses[:, elbow])
        assert elbow_flexion.max() <= 150.0 + 1e-6
        raised = poses[:, elbow, 1] > poses[:, shoulder, 1]
        assert 0.2 < raised.mean() < 0.7  # raised arms are common but not the rule


def test_sitting_fraction_produces_deep_hip_and_knee_flexion():
    rng = np.random.default_rng(3)
    sitting = random_poses(300, rng, sit_fraction=1.0)
    standing = random_poses(300, rng, sit_fraction=0.0)
    for poses, expect_deep in ((sitting, True), (standing, False)):
        # hip flexion: angle between the thigh and the pelvis -> spine direction, 180 when standing
        trunk = poses[:, J["spine"]] - poses[:, J["pelvis"]]
        thigh = poses[:, J["left_knee"]] - poses[:, J["left_hip"]]
        shin = poses[:, J["left_ankle"]] - poses[:, J["left_knee"]]
        deep = (_angle_deg(trunk, thigh) < 130.0) & (_angle_deg(thigh, shin) >= 70.0 - 1e-6)
        assert deep.all() if expect_deep else deep.mean() < 0.2


# --- camera and view -----------------------------------------------------------------------------------


def test_project_optical_axis_and_hand_computed_point():
    camera = PinholeCamera(fx=500.0, fy=400.0, cx=320.0, cy=240.0, width=640, height=480)
    np.testing.assert_allclose(camera.project([0.0, 0.0, 5.0]), [320.0, 240.0])
    # u = 500 * 1 / 2 + 320 = 570, v = 400 * -0.5 / 2 + 240 = 140
    np.testing.assert_allclose(camera.project([[1.0, -0.5, 2.0]]), [[570.0, 140.0]])
    assert np.isnan(camera.project([0.0, 0.0, -1.0])).all()
    np.testing.assert_array_equal(camera.K, [[500.0, 0.0, 320.0], [0.0, 400.0, 240.0], [0.0, 0.0, 1.0]])


def test_from_fov_and_ray_directions():
    camera = PinholeCamera.from_fov(640, 480, 60.0)
    assert camera.fx == pytest.approx(320.0 / np.tan(np.radians(30.0)))  # 554.256
    assert camera.fy == camera.fx
    assert (camera.cx, camera.cy) == (319.5, 239.5)
    rays = camera.ray_directions()
    assert rays.shape == (480, 640, 3)
    np.testing.assert_array_equal(rays[..., 2], 1.0)
    rows, cols = np.mgrid[0:480, 0:640]
    np.testing.assert_allclose(camera.project(rays * 3.7), np.stack([cols, rows], -1), atol=1e-9)


def test_random_camera_fov_range():
    fovs = [2 * np.degrees(np.arctan(320.0 / random_camera(np.random.default_rng(s)).fx)) for s in range(50)]
    assert 50.0 <= min(fovs) and max(fovs) <= 75.0


def test_random_view_places_camera_at_distance_height_and_azimuth():
    rotation, translation = random_view(
        np.random.default_rng(0),
        distance=(4.0, 4.0),
        height=(1.5, 1.5),
        pitch_deg=(0.0, 0.0),
        yaw_deg=(90.0, 90.0),
        pan_deg=(0.0, 0.0),
    )
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(rotation) == pytest.approx(1.0)
    np.testing.assert_allclose(-rotation.T @ translation, [4.0, 1.5, 0.0], atol=1e-12)  # on +x side
    # the point of the person's axis at camera height is straight ahead at the distance
    np.testing.assert_allclose(
        place_in_camera(np.array([0.0, 1.5, 0.0]), rotation, translation), [0, 0, 4.0], atol=1e-12
    )
    # world up is image up (optical y down)
    np.testing.assert_allclose(rotation @ [0.0, 1.0, 0.0], [0.0, -1.0, 0.0], atol=1e-12)


def test_random_view_pitch_tilts_down_and_front_view_mirrors_left_right():
    rotation, translation = random_view(
        np.random.default_rng(0), distance=(3.0, 3.0), height=(1.0, 1.0), pitch_deg=(-20.0, -20.0),
        yaw_deg=(0.0, 0.0), pan_deg=(0.0, 0.0),
    )  # fmt: skip
    optical_axis_world = rotation.T @ [0.0, 0.0, 1.0]
    assert np.degrees(np.arcsin(optical_axis_world[1])) == pytest.approx(-20.0)
    rotation, translation = _front_view()
    camera = PinholeCamera.from_fov(640, 480, 60.0)
    person_left, person_right = place_in_camera(
        np.array([[0.2, 1.0, 0.0], [-0.2, 1.0, 0.0]]), rotation, translation
    )
    assert camera.project(person_left)[0] > camera.project(person_right)[0]  # their left on image right


def test_lift_to_floor_and_floor_plane():
    poses = random_poses(10, np.random.default_rng(4))
    lifted = lift_to_floor(poses, clearance=0.08)
    np.testing.assert_allclose(lifted[..., 1].min(axis=-1), 0.08)
    np.testing.assert_allclose(lifted[..., [0, 2]], poses[..., [0, 2]])
    rotation, translation = random_view(np.random.default_rng(5))
    normal, offset = floor_plane(rotation, translation)
    floor_points = np.array([[1.0, 0.0, 2.0], [-3.0, 0.0, 0.5]])
    np.testing.assert_allclose(place_in_camera(floor_points, rotation, translation) @ normal, offset)


# --- rendering -----------------------------------------------------------------------------------------


def test_ray_capsule_head_on_cylinder_cap_and_sphere():
    ray = np.array([0.0, 0.0, 1.0])
    vertical = ray_capsule_depth(ray, np.array([0.0, -0.2, 3.0]), np.array([0.0, 0.2, 3.0]), 0.1)
    along_axis = ray_capsule_depth(ray, np.array([0.0, 0.0, 3.0]), np.array([0.0, 0.0, 4.0]), 0.1)
    sphere = ray_capsule_depth(ray, np.array([0.0, 0.0, 3.0]), np.array([0.0, 0.0, 3.0]), 0.1)
    assert vertical == pytest.approx(2.9, abs=1e-12)
    assert along_axis == pytest.approx(2.9, abs=1e-12)
    assert sphere == pytest.approx(2.9, abs=1e-12)
    # an oblique ray (x = 0.02 z) onto the vertical cylinder x^2 + (z - 3)^2 = 0.01:
    # 1.0004 z^2 - 6 z + 8.99 = 0; the z-depth is the nearer root
    expected = (6.0 - np.sqrt(36.0 - 4 * 1.0004 * 8.99)) / (2 * 1.0004)
    oblique = ray_capsule_depth(
        np.array([0.02, 0.0, 1.0]), np.array([0.0, -0.2, 3.0]), np.array([0, 0.2, 3]), 0.1
    )
    assert oblique == pytest.approx(expected, abs=1e-12)
    # the ray d = (0, 1/12, 1) meets the cylinder at y = 2.9 / 12 > 0.2, beyond the segment, so it hits
    # the end sphere |s d - c| = 0.1, c = (0, 0.2, 3): |d|^2 s^2 - 2 (d.c) s + |c|^2 - 0.01 = 0
    dd, dc = 1.0 + 1.0 / 144.0, 0.2 / 12.0 + 3.0
    cap_expected = (dc - np.sqrt(dc**2 - dd * (9.04 - 0.01))) / dd
    cap = ray_capsule_depth(
        np.array([0.0, 0.25 / 3.0, 1.0]), np.array([0, -0.2, 3.0]), np.array([0, 0.2, 3]), 0.1
    )
    assert cap == pytest.approx(cap_expected, abs=1e-12)
    miss = ray_capsule_depth(
        np.array([0.2, 0.0, 1.0]), np.array([0.0, -0.2, 3.0]), np.array([0, 0.2, 3]), 0.1
    )
    behind = ray_capsule_depth(ray, np.array([0.0, -0.2, -3.0]), np.array([0.0, 0.2, -3.0]), 0.1)
    assert np.isinf(miss) and np.isinf(behind)


def test_ray_capsule_broadcasts_pixels_by_capsules():
    rays = PinholeCamera.from_fov(8, 6, 60.0).ray_directions().reshape(-1, 3)
    starts = np.array([[0.0, -0.2, 3.0], [0.0, 0.0, 2.0]])
    ends = np.array([[0.0, 0.2, 3.0], [0.0, 0.0, 2.0]])
    radii = np.array([0.1, 0.5])
    grid = ray_capsule_depth(rays[:, None, :], starts, ends, radii)
    assert grid.shape == (48, 2)
    for m in range(2):
        np.testing.assert_array_equal(grid[:, m], ray_capsule_depth(rays, starts[m], ends[m], radii[m]))


def test_render_single_capsule_head_on_and_background():
    camera = PinholeCamera.from_fov(641, 481, 60.0)  # odd size: pixel (240, 320) is on the optical axis
    joints = np.zeros((1, 17, 3))
    joints[0, :, 2] = 3.0
    joints[0, J["right_knee"]] = [0.0, -0.2, 3.0]  # one vertical bone, the rest collapsed to a sphere
    depth = render_depth(camera, joints, limb_radius=np.full(16, 0.1), background_depth=10.0)
    assert depth.dtype == np.float32 and depth.shape == (481, 641)
    assert depth[240, 320] == pytest.approx(2.9, abs=1e-3)
    assert depth[0, 0] == 10.0 and depth[240, 10] == 10.0
    hit = depth < 10.0
    cols = np.nonzero(hit)[1]
    half_width = camera.fx * 0.1 / np.sqrt(3.0**2 - 0.1**2)  # silhouette of a 0.1 m sphere at 3 m
    assert np.abs(cols - 320).max() == pytest.approx(half_width, abs=1.0)


def test_render_floor_plane_analytic():
    camera = PinholeCamera.from_fov(320, 240, 60.0)
    rotation, translation = _front_view(distance=3.0, height=1.5)
    nobody = np.empty((0, 17, 3))
    depth = render_depth(camera, nobody, floor=floor_plane(rotation, translation), background_depth=50.0)
    for row in (150, 180, 239):
        y = (row - camera.cy) / camera.fy
        assert depth[row, 100] == pytest.approx(1.5 / y, rel=1e-5)  # level camera 1.5 m above the floor
    assert (depth[:120] == 50.0).all()  # above the horizon: background


def _person_in_camera(pose_world, distance=3.0):
    rotation, translation = _front_view(distance=distance)
    return place_in_camera(pose_world, rotation, translation)


def test_render_person_in_front_of_wall_depth_matches_visible_joints():
    camera = PinholeCamera.from_fov(640, 480, 60.0)
    wall = (np.array([0.0, 0.0, 1.0]), 4.0)  # the plane z = 4 m
    radii = joint_radii()
    for seed in range(5):
        pose = random_poses(1, np.random.default_rng(seed), sit_fraction=0.0)
        pose[..., 1] += 1.0  # pelvis at camera height
        joints = _person_in_camera(pose)
        depth = render_depth(camera, joints, floor=wall)
        visible = joint_visibility(depth, joints, camera)
        assert visible.sum() >= 8
        uv = np.rint(camera.project(joints[0])).astype(int)
        seen = depth[uv[:, 1], uv[:, 0]]
        z = joints[0, :, 2]
        ok = visible[0]
        assert (seen[ok] <= z[ok] + 1e-3).all()  # a joint inside its capsules: the surface is in front
        assert (seen[ok] >= z[ok] - radii[ok] - 0.03).all()
        assert (depth <= 4.0).all()


def _arm_pose(arm_across_chest=False, arms_up=False):
    pose = np.array(
        [
            [0.0, 0.0, 0.0],  # pelvis
            [-0.13, 0.0, 0.0], [-0.13, -0.45, 0.0], [-0.13, -0.89, 0.0],  # right leg
            [0.13, 0.0, 0.0], [0.13, -0.45, 0.0], [0.13, -0.89, 0.0],  # left leg
            [0.0, 0.23, 0.0], [0.0, 0.48, 0.0], [0.0, 0.57, 0.07], [0.0, 0.68, 0.03],  # spine..head
            [0.15, 0.48, 0.0], [0.22, 0.21, 0.0], [0.3, -0.03, 0.0],  # left arm hanging, clear of the hip
            [-0.15, 0.48, 0.0], [-0.22, 0.21, 0.0], [-0.3, -0.03, 0.0],  # right arm
        ]
    )  # fmt: skip
    if arm_across_chest:  # right forearm horizontal, 0.3 m in front of the spine joint
        pose[J["right_elbow"]] = [-0.22, 0.23, 0.3]
        pose[J["right_wrist"]] = [0.03, 0.23, 0.3]
    if arms_up:  # nothing hangs beside the hips
        pose[11:, 1] = np.tile([0.48, 0.76, 1.01], 2)
        pose[11:, 0] = np.repeat([0.15, -0.15], 3)
    pose[:, 1] += 1.0
    return pose[None]


def test_visibility_arm_in_front_of_torso_occludes_spine():
    camera = PinholeCamera.from_fov(640, 480, 60.0)
    for across, spine_visible in ((False, True), (True, False)):
        joints = _person_in_camera(_arm_pose(across))
        visible = joint_visibility(render_depth(camera, joints), joints, camera)[0]
        assert visible[J["spine"]] == spine_visible
        assert visible[J["right_elbow"]] and visible[J["right_wrist"]]
        assert visible[J["pelvis"]] and visible[J["left_wrist"]]


def test_visibility_side_view_hides_far_hip():
    camera = PinholeCamera.from_fov(640, 480, 60.0)
    rotation, translation = random_view(
        np.random.default_rng(0), distance=(3.0, 3.0), height=(1.0, 1.0), pitch_deg=(0.0, 0.0),
        yaw_deg=(90.0, 90.0), pan_deg=(0.0, 0.0),
    )  # fmt: skip  # camera on the person's left (+x)
    joints = place_in_camera(_arm_pose(arms_up=True), rotation, translation)
    visible = joint_visibility(render_depth(camera, joints), joints, camera)[0]
    assert visible[J["left_hip"]] and not visible[J["right_hip"]]
    assert visible[J["left_knee"]] and not visible[J["right_knee"]]


def test_visibility_out_of_image_and_behind_camera():
    camera = PinholeCamera.from_fov(320, 240, 60.0)
    joints = _person_in_camera(_arm_pose())
    depth = render_depth(camera, joints)
    shifted = joints + np.array([10.0, 0.0, 0.0])
    behind = joints * np.array([1.0, 1.0, -1.0])
    partly = joints.copy()
    partly[0, J["left_wrist"], 0] += 3.0
    assert joint_visibility(depth, joints, camera).sum() > 10
    assert not joint_visibility(depth, shifted, camera).any()
    assert not joint_visibility(depth, behind, camera).any()
    assert not joint_visibility(depth, partly, camera)[0, J["left_wrist"]]


# --- detector and depth error models -------------------------------------------------------------------


def test_keypoint_sigmas_mapped_to_h36m():
    assert H36M_KEYPOINT_SIGMAS[J["pelvis"]] == pytest.approx(0.107)
    assert H36M_KEYPOINT_SIGMAS[J["spine"]] == pytest.approx((0.107 + 0.079) / 2)
    assert H36M_KEYPOINT_SIGMAS[J["thorax"]] == pytest.approx(0.079)
    assert H36M_KEYPOINT_SIGMAS[J["head"]] == pytest.approx(0.025)
    assert H36M_KEYPOINT_SIGMAS[J["left_wrist"]] == pytest.approx(0.062)
    assert keypoint_box_scale(np.array([[[0.0, 0.0], [30.0, 120.0], [10.0, 50.0]]])) == pytest.approx([60.0])


def _detect(visible_value, seed=0, n=4000, **kwargs):
    keypoints = np.zeros((n, 17, 2))
    visible = np.full((n, 17), visible_value)
    return simulate_detector(keypoints, visible, np.full(n, 100.0), np.random.default_rng(seed), **kwargs)


def test_detector_deterministic_and_confidence_in_unit_interval():
    a_kp, a_conf = _detect(True, seed=3, n=50)
    b_kp, b_conf = _detect(True, seed=3, n=50)
    np.testing.assert_array_equal(a_kp, b_kp)
    np.testing.assert_array_equal(a_conf, b_conf)
    for vis in (True, False):
        _, conf = _detect(vis, n=500, outlier_prob=0.2)
        assert conf.min() >= 0.0 and conf.max() <= 1.0


def test_detector_noise_grows_with_occlusion_and_confidence_falls():
    clean = {"swap_prob": 0.0, "outlier_prob": 0.0}
    seen_kp, seen_conf = _detect(True, **clean)
    hidden_kp, hidden_conf = _detect(False, **clean)
    expected = 100.0 * H36M_KEYPOINT_SIGMAS  # per-axis std for noise_scale 1
    np.testing.assert_allclose(seen_kp.std(axis=(0, 2)), expected, rtol=0.05)
    np.testing.assert_allclose(hidden_kp.std(axis=(0, 2)), 3.0 * expected, rtol=0.05)
    assert hidden_conf.mean() < 0.5 * seen_conf.mean()
    assert 0.75 < seen_conf.mean() < 0.85  # mean OKS of the jitter is 1 / (1 + 2 / 8) = 0.8
    # with the default swaps and outliers, occluded joints are still the noisier ones (robustly)
    assert np.median(np.abs(_detect(False)[0])) > 2.5 * np.median(np.abs(_detect(True)[0]))


def test_detector_exact_confidence_swaps_and_outliers():
    exact = {"noise_scale": 0.0, "confidence_noise_std": 0.0, "swap_prob": 0.0, "outlier_prob": 0.0}
    keypoints = np.random.default_rng(0).uniform(0, 100, (3, 17, 2))
    visible = np.ones((3, 17), bool)
    visible[:, 5] = False
    kp, conf = simulate_detector(keypoints, visible, np.full(3, 80.0), np.random.default_rng(1), **exact)
    np.testing.assert_array_equal(kp, keypoints)
    np.testing.assert_array_equal(conf, np.where(visible, 1.0, 0.5))
    kp, _ = simulate_detector(
        keypoints, visible, np.full(3, 80.0), np.random.default_rng(1), **{**exact, "swap_prob": 1.0}
    )
    left, right = np.array(H36M_LEFT_RIGHT_PAIRS).T
    np.testing.assert_array_equal(kp[:, left], keypoints[:, right])
    np.testing.assert_array_equal(kp[:, 0], keypoints[:, 0])
    kp, conf = _detect(True, n=2000, **{**exact, "outlier_prob": 1.0})
    jump = np.linalg.norm(kp, axis=-1) / 100.0
    assert jump.min() >= 0.3 and jump.max() <= 1.0
    confident = conf >= 0.5
    assert 0.2 < confident.mean() < 0.3  # 25% confident mistakes by default
    assert conf[~confident].max() <= 0.3


def _scene_depth(rng, width=160, height=120):
    camera = random_camera(rng, width, height)
    rotation, translation = random_view(rng)
    joints = place_in_camera(lift_to_floor(random_poses(1, rng)), rotation, translation)
    return render_depth(camera, joints, floor=floor_plane(rotation, translation))


def test_monocular_depth_deterministic_and_identity_without_error():
    depth = _scene_depth(np.random.default_rng(0))
    a = simulate_monocular_depth(depth, np.random.default_rng(5))
    b = simulate_monocular_depth(depth, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32 and a.shape == depth.shape
    none = {
        "scale_std": 0.0,
        "shift_std": 0.0,
        "smooth_noise_std": 0.0,
        "noise_std": 0.0,
        "edge_blur_px": 0.0,
    }
    np.testing.assert_allclose(simulate_monocular_depth(depth, np.random.default_rng(5), **none), depth)
    scaled = simulate_monocular_depth(depth, np.random.default_rng(5), **{**none, "scale_std": 0.1})
    ratio = scaled / depth
    np.testing.assert_allclose(ratio, ratio.flat[0], rtol=1e-5)  # one scale for the whole image
    assert abs(ratio.flat[0] - 1.0) > 1e-3


def test_monocular_depth_absrel_in_documented_range():
    rng = np.random.default_rng(11)
    absrel = []
    for _ in range(40):
        depth = _scene_depth(rng)
        estimate = simulate_monocular_depth(depth, rng)
        absrel.append(np.mean(np.abs(estimate - depth) / depth))
    assert 0.05 <= np.mean(absrel) <= 0.08
    doubled = [
        np.mean(np.abs(simulate_monocular_depth(d, rng, error_scale=2.0) - d) / d)
        for d in (_scene_depth(rng) for _ in range(20))
    ]
    assert np.mean(doubled) > 1.5 * np.mean(absrel)  # the error knobs scale the error
    blurred_only = simulate_monocular_depth(depth, rng, error_scale=0.0)
    np.testing.assert_allclose(blurred_only, simulate_monocular_depth(depth, rng, error_scale=0.0))


def test_monocular_depth_error_is_smooth_within_a_body():
    # relative depth between nearby pixels is kept far better than the absolute depth
    depth = np.full((480, 640), 5.0)
    rng = np.random.default_rng(3)
    estimates = np.stack([simulate_monocular_depth(depth, rng, edge_blur_px=0.0) for _ in range(30)])
    absolute = np.abs(estimates[:, 240, 320] - 5.0).mean()
    relative = np.abs(estimates[:, 240, 320] - estimates[:, 250, 330]).mean()
    assert relative < 0.35 * absolute


def test_limb_radii_cover_default_values():
    assert H36M_LIMB_RADII.shape == (16,)
    radii = joint_radii()
    assert radii[J["spine"]] == 0.14 and radii[J["left_wrist"]] == 0.04 and radii[J["head"]] == 0.10


# --- ray-cast visibility and the camera augmentation --------------------------------------------


def test_ray_cast_visibility_equals_the_rendered_answer():
    """17 rays per person give exactly what rendering every pixel gives, with floor and occluders."""
    from auglift_ros.simulation.scene import ray_cast_visibility

    rng = np.random.default_rng(5)
    hidden = 0
    for _ in range(40):
        camera = random_camera(rng)
        rotation, translation = random_view(rng, distance=(2.0, 5.0))
        standing = lift_to_floor(random_poses(2, rng)) + np.array([[[0.0, 0.0, 0.0]], [[0.6, 0.0, 0.8]]])
        joints = place_in_camera(standing, rotation, translation)
        floor = floor_plane(rotation, translation)
        rendered = joint_visibility(render_depth(camera, joints, floor=floor), joints, camera)
        np.testing.assert_array_equal(ray_cast_visibility(joints, camera, floor=floor), rendered)
        hidden += (~rendered).sum()
    assert hidden > 50  # the scenes do hide joints, so the comparison is not all-True


def test_default_camera_ranges_draw_what_the_original_functions_drew():
    from auglift_ros.simulation.scene import DEFAULT_CAMERAS

    a, b = np.random.default_rng(9), np.random.default_rng(9)
    assert DEFAULT_CAMERAS.camera(a) == random_camera(b)
    for got, expected in zip(DEFAULT_CAMERAS.view(a), random_view(b), strict=True):
        np.testing.assert_array_equal(got, expected)


def test_aimed_camera_looks_down_at_the_person_and_roll_turns_the_image():
    from auglift_ros.simulation.scene import camera_pitch_deg

    rng = np.random.default_rng(0)
    rotation, translation = random_view(
        rng,
        distance=(2.0, 2.0),
        height=(4.0, 4.0),
        pitch_deg=(0.0, 0.0),
        pan_deg=(0, 0),
        aim_height=(0.9, 0.9),
    )
    assert camera_pitch_deg(rotation) == pytest.approx(-np.degrees(np.arctan2(3.1, 2.0)))
    aim = place_in_camera(np.array([0.0, 0.9, 0.0]), rotation, translation)
    np.testing.assert_allclose(aim[:2], 0.0, atol=1e-9)  # the aimed-at point is on the optical axis
    level, _ = random_view(np.random.default_rng(1), pitch_deg=(0, 0), pan_deg=(0, 0))
    rolled, _ = random_view(np.random.default_rng(1), pitch_deg=(0, 0), pan_deg=(0, 0), roll_deg=(20, 20))
    up_level, up_rolled = level @ [0.0, 1.0, 0.0], rolled @ [0.0, 1.0, 0.0]  # world up in the image
    assert _angle_deg(up_level[:2], up_rolled[:2]) == pytest.approx(20.0)
    np.testing.assert_allclose(rolled[2], level[2])  # same optical axis


def test_camera_ranges_accept_truncated_views_and_validate():
    from auglift_ros.simulation.scene import CameraRanges

    camera = PinholeCamera.from_fov(640, 480, 60.0)
    joints = random_poses(1, np.random.default_rng(0))[0] * np.array([1, -1, -1]) + np.array([0.0, 0.0, 3.0])
    feet_out = joints + np.array([0.0, -1.2, 0.0])  # moved up: ankles stay in, head leaves the image
    inside = np.all((camera.project(feet_out) >= 0) & (camera.project(feet_out) < (640, 480)), axis=-1)
    assert inside[0] and not inside.all()
    rotation = np.eye(3)
    assert not CameraRanges().accepts(camera, rotation, feet_out)
    assert CameraRanges(min_joints_in_view=int(inside.sum())).accepts(camera, rotation, feet_out)
    assert not CameraRanges(pitch_limits_deg=(10.0, 20.0)).accepts(camera, rotation, joints)
    with pytest.raises(ValueError, match="fov_deg"):
        CameraRanges(fov_deg=(30.0, 190.0))
    with pytest.raises(ValueError, match="low <= high"):
        CameraRanges(distance=(5.0, 1.0))
    with pytest.raises(ValueError, match="image_sizes"):
        CameraRanges(image_sizes=((8, 8),))


def test_wide_cameras_vary_the_image_and_mark_truncated_joints_unsure():
    from auglift_ros.simulation.scene import CameraRanges
    from auglift_ros.simulation.simulate import TRUNCATED_CONFIDENCE, simulate_frames

    wide = CameraRanges(
        fov_deg=(30.0, 110.0),
        image_sizes=((640, 480), (1080, 1920)),
        distance=(1.0, 4.0),
        pan_deg=(-30.0, 30.0),
        min_joints_in_view=10,
    )
    frames = simulate_frames(
        random_poses(200, np.random.default_rng(2)), np.random.default_rng(3), [], cameras=wide
    )
    assert {tuple(s) for s in frames.image_sizes} == {(640, 480), (1080, 1920)}
    assert len(np.unique(frames.camera_matrix[:, 0, 0].round(3))) > 100  # a field of view per frame
    pixels = frames.true_keypoints
    outside = ~np.all((pixels >= 0) & (pixels < frames.image_sizes[:, None, :]), axis=-1)
    assert outside.any() and not outside[:, 0].any()  # some joints cut off, never the pelvis
    assert frames.confidence[outside].max() <= TRUNCATED_CONFIDENCE  # scaled after clipping to [0, 1]
    assert np.median(frames.confidence[outside]) < np.median(frames.confidence[~outside]) / 3
    assert not frames.visible[outside].any()
