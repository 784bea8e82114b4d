"""The project's headless OpenXR runtime (xr/runtime/vpbridge_headless_xr.c) against a minimal
pyopenxr + moderngl app (tests/viewer/minimal_app.py, run as a subprocess through pyopenxr's Khronos
loader and the core validation layer): session lifecycle, submitted views, released pixels, located
poses and action input as scripted, validation clean for the good app, and the right errors for bad
calls and bad scripts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bridge.errors import ConfigError
from vpbridge_xr.headless import RUNTIME_SOURCE, TOUCH, HeadlessRuntime, Recording, Script

APP = Path(__file__).with_name("minimal_app.py")
EYE = (64, 48)
FOV_L = (-0.80, 0.70, 0.75, -0.85)
FOV_R = (-0.70, 0.80, 0.75, -0.85)
IPD = 0.07
HEAD0 = (0.0, 1.6, 0.0, 0.0, 0.0, 0.0, 1.0)
HEAD3 = (0.1, 1.5, -0.2, 0.0, 0.38268343236, 0.0, 0.92387953251)  # 45° about +Y
GRIP_R = (0.25, 1.2, -0.35, 0.0, 0.0, 0.0, 1.0)
# The app's per-eye clears (RGBA8) and the white marker on GL's first rows (the image's bottom).
CLEAR = [(51, 102, 153, 255), (204, 153, 0, 255)]
MARK_ROWS = 4
FRAMES = 7


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> HeadlessRuntime:
    return HeadlessRuntime.build(tmp_path_factory.mktemp("xr_runtime"))


def _run_app(
    runtime: HeadlessRuntime, tmp: Path, script: Script, mode: str = "good", validation: bool = True
) -> tuple[subprocess.CompletedProcess[str], Recording, dict[str, Any]]:
    record = tmp / "record"
    env = {**os.environ, **runtime.env(script.write(tmp / "script.txt"), record, validation=validation)}
    out = tmp / "report.json"
    proc = subprocess.run(
        [sys.executable, str(APP), str(out), mode],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc, Recording.load(record), json.loads(out.read_text())


def _script(**kw: Any) -> Script:
    s = Script(
        profile=TOUCH,
        view_size=EYE,
        exit_after=kw.pop("exit_after", FRAMES),
        fov_left=FOV_L,
        fov_right=FOV_R,
        ipd=IPD,
        **kw,
    )
    s.head(0, HEAD0).head(3, HEAD3)
    s.hand(0, "right", GRIP_R).hand(5, "right", None)
    s.input(2, "/user/hand/right/input/trigger/value", 0.75)
    s.input(3, "/user/hand/right/input/thumbstick", 0.5, -0.25)
    s.input(4, "/user/hand/right/input/a/click", 1.0)
    return s


@pytest.fixture(scope="module")
def good(
    runtime: HeadlessRuntime, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Recording, dict[str, Any]]:
    _, rec, report = _run_app(runtime, tmp_path_factory.mktemp("good"), _script(capture=[3]))
    return rec, report


def _pose_matrix(p: Any) -> np.ndarray:
    x, y, z, qx, qy, qz, qw = p
    R = np.array(
        [
            [1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy - qz * qw), 2 * (qx * qz + qy * qw)],
            [2 * (qx * qy + qz * qw), 1 - 2 * (qx * qx + qz * qz), 2 * (qy * qz - qx * qw)],
            [2 * (qx * qz - qy * qw), 2 * (qy * qz + qx * qw), 1 - 2 * (qx * qx + qy * qy)],
        ]
    )
    T = np.eye(4)
    T[:3, :3] = R
    T[:3, 3] = (x, y, z)
    return T


def test_the_runtime_compiles_warning_free(tmp_path: Path) -> None:
    cc = shutil.which("cc") or shutil.which("gcc")
    assert cc, "a C compiler is installed on the test machines"
    proc = subprocess.run(
        [cc, "-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-DXR_USE_PLATFORM_EGL"]
        + ["-DXR_USE_GRAPHICS_API_OPENGL", "-o", str(tmp_path / "rt.so"), str(RUNTIME_SOURCE), "-ldl", "-lm"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr


def test_manifest_and_env(runtime: HeadlessRuntime, tmp_path: Path) -> None:
    manifest = json.loads(runtime.manifest.read_text())
    assert manifest["file_format_version"] == "1.0.0"
    assert Path(manifest["runtime"]["library_path"]) == runtime.library
    assert runtime.library.is_absolute() and runtime.library.is_file()
    env = runtime.env(tmp_path / "s.txt", tmp_path / "rec")
    assert env["XR_RUNTIME_JSON"] == str(runtime.manifest)
    assert env["XR_ENABLE_API_LAYERS"] == "XR_APILAYER_LUNARG_core_validation"
    assert env["XR_CORE_VALIDATION_FILE_NAME"] == str(tmp_path / "rec" / "validation.txt")
    assert (Path(env["XR_API_LAYER_PATH"]) / "XrApiLayer_core_validation.json").is_file() or any(
        Path(env["XR_API_LAYER_PATH"]).glob("*core_validation*.json")
    )
    assert "XR_ENABLE_API_LAYERS" not in runtime.env(tmp_path / "s.txt", tmp_path / "rec", validation=False)


def test_session_lifecycle_and_validation(good: tuple[Recording, dict[str, Any]]) -> None:
    rec, report = good
    assert rec.states[:5] == ["IDLE", "READY", "SYNCHRONIZED", "VISIBLE", "FOCUSED"]
    assert rec.states[-3:] == ["STOPPING", "IDLE", "EXITING"]
    assert (rec.dir / "validation.txt").is_file(), "the validation layer was loaded"
    assert rec.validation_errors() == []
    assert report["runtime"] == "vpbridge headless"
    assert report["reference_spaces"] == ["VIEW", "LOCAL", "STAGE"]
    assert len(rec.frames) == FRAMES
    assert [f["frame"] for f in rec.frames] == list(range(FRAMES))
    times = [f["display_time"] for f in rec.frames]
    assert all(b - a == 11_111_111 for a, b in zip(times, times[1:], strict=False))


def test_both_views_are_submitted_with_the_scripts_fovs_and_depth(
    good: tuple[Recording, dict[str, Any]],
) -> None:
    rec, _ = good
    colour = {s["id"] for s in rec.swapchains if not s["depth"]}
    depth = {s["id"] for s in rec.swapchains if s["depth"]}
    assert len(colour) == 2 and len(depth) == 2
    assert all((s["width"], s["height"]) == EYE for s in rec.swapchains)
    submitted = [f for f in rec.frames if f["layers"]]
    assert len(submitted) >= FRAMES - 1
    for f in submitted:
        (layer,) = f["layers"]
        assert layer["type"] == "projection"
        assert layer["space"] == {"type": "STAGE", "pose": [0, 0, 0, 0, 0, 0, 1]}
        assert len(layer["views"]) == 2
        for v, fov in zip(layer["views"], (FOV_L, FOV_R), strict=True):
            assert v["fov"] == pytest.approx(fov, abs=1e-6)
            assert v["rect"] == [0, 0, *EYE]
            assert v["swapchain"] in colour and v["array_index"] == 0
            assert v["depth"]["swapchain"] in depth
            assert (v["depth"]["near"], v["depth"]["far"]) == pytest.approx((0.1, 100.0))
            assert (v["depth"]["min_depth"], v["depth"]["max_depth"]) == (0.0, 1.0)


def test_captured_pixels_are_the_apps_clears_top_row_first(good: tuple[Recording, dict[str, Any]]) -> None:
    rec, _ = good
    (frame3,) = [f for f in rec.frames if f["frame"] == 3]
    caps = {(c["swapchain"], c["image"]): img for c, img in rec.captures if c["frame"] == 3}
    assert len(caps) == 4 and {c["frame"] for c, _ in rec.captures} == {3}
    for eye, v in enumerate(frame3["layers"][0]["views"]):
        img = caps[(v["swapchain"], v["image"])]
        assert img.shape == (EYE[1], EYE[0], 4) and img.dtype == np.uint8
        assert (img[:-MARK_ROWS] == CLEAR[eye]).all()
        assert (img[-MARK_ROWS:] == 255).all(), "GL's first rows are the image's bottom rows"
        d = caps[(v["depth"]["swapchain"], v["depth"]["image"])]
        assert d.shape == (EYE[1], EYE[0]) and d.dtype == np.float32
        assert (d[:-MARK_ROWS] == 0.5).all() and (d[-MARK_ROWS:] == 1.0).all()


def test_located_head_and_eyes_follow_the_script(good: tuple[Recording, dict[str, Any]]) -> None:
    rec, report = good
    frames = {f["index"]: f for f in report["frames"] if "head" in f}
    submitted = {f["frame"]: f["layers"][0] for f in rec.frames if f["layers"]}
    assert frames[1]["head"] == pytest.approx(HEAD0, abs=1e-6)
    for i in range(3, FRAMES):
        assert frames[i]["head"] == pytest.approx(HEAD3, abs=1e-6)
    for i, f in frames.items():
        T_head = _pose_matrix(f["head"])
        for eye, v in enumerate(f["views"]):
            T_eye = _pose_matrix(v["pose"])
            offset = np.linalg.inv(T_head) @ T_eye
            assert offset[:3, 3] == pytest.approx(((eye - 0.5) * IPD, 0.0, 0.0), abs=1e-5)
            assert np.allclose(offset[:3, :3], np.eye(3), atol=1e-5)
            # The app submits what it located.
            assert submitted[i]["views"][eye]["pose"] == pytest.approx(v["pose"], abs=1e-6)


def test_action_input_is_read_as_scripted(good: tuple[Recording, dict[str, Any]]) -> None:
    rec, report = good
    assert report["profile"] == TOUCH
    (bindings,) = [e for e in rec.events if e["event"] == "bindings"]
    assert bindings["profile"] == TOUCH
    assert ["stick", "/user/hand/right/input/thumbstick"] in bindings["bindings"]
    frames = {f["index"]: f for f in report["frames"] if "trigger" in f}
    assert frames[1]["trigger"] == 0.0 and frames[1]["stick"] == [0.0, 0.0]
    assert frames[2]["trigger"] == pytest.approx(0.75)
    assert frames[3]["stick"] == pytest.approx([0.5, -0.25])
    assert [frames[i]["a_button"] for i in (3, 4, 5)] == [False, True, True]
    assert [frames[i]["a_changed"] for i in (3, 4, 5)] == [False, True, False]
    assert frames[4]["grip"] == pytest.approx(GRIP_R, abs=1e-6)
    assert frames[5]["grip"] is None, "the right hand's tracking is lost from frame 5"


def test_request_exit_session_and_no_depth_layer(runtime: HeadlessRuntime, tmp_path: Path) -> None:
    script = _script(exit_after=0, depth_layer=False)
    _, rec, report = _run_app(runtime, tmp_path, script, mode="request_exit", validation=False)
    assert "XR_KHR_composition_layer_depth" not in report["extensions"]
    assert rec.states[-3:] == ["STOPPING", "IDLE", "EXITING"]
    assert [e["frame"] for e in rec.events if e["event"] == "request_exit"] == [4]
    assert all(v["depth"] is None for f in rec.frames for layer in f["layers"] for v in layer["views"])
    assert not (rec.dir / "validation.txt").exists() and rec.validation_errors() == []


def test_end_frame_without_begin_frame_is_call_order_invalid(
    runtime: HeadlessRuntime, tmp_path: Path
) -> None:
    _, rec, report = _run_app(runtime, tmp_path, _script(exit_after=4), mode="end_without_begin")
    assert report["results"] == {"end_without_begin": "CallOrderInvalidError"}
    assert rec.states[-3:] == ["STOPPING", "IDLE", "EXITING"]


def test_a_bad_structure_type_is_a_validation_error(runtime: HeadlessRuntime, tmp_path: Path) -> None:
    _, rec, report = _run_app(runtime, tmp_path, _script(exit_after=3), mode="bad_struct_type")
    assert report["results"] == {"bad_struct_type": "ValidationFailureError"}
    errors = rec.validation_errors()
    assert any("VUID-XrSpaceLocation-type-type" in e for e in errors), errors


def test_a_layer_rect_outside_the_image_is_rejected(runtime: HeadlessRuntime, tmp_path: Path) -> None:
    _, rec, report = _run_app(runtime, tmp_path, _script(exit_after=4), mode="bad_layer_rect")
    assert report["results"] == {"bad_layer_rect": "SwapchainRectInvalidError"}
    assert [e["result"] for e in rec.events if e["event"] == "end_frame_error"] == [
        "XR_ERROR_SWAPCHAIN_RECT_INVALID"
    ]


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("warp 9", "unknown command"),
        ("at 2 head 0 1.6 0 0 0 1", "a pose is 7 numbers"),
        ("at 2 input /user/hand/right/input/q/click 1", "unknown input path"),
        ("at 2 input /user/hand/right/input/trigger/value 1 2", "two values need a 2-D input"),
        ("fov left 0.5 -0.5 0.5 -0.5", "angleLeft < angleRight"),
        ("profile /interaction_profiles/htc/vive_controller", "profile takes one of"),
    ],
)
def test_script_errors_name_file_and_line(
    runtime: HeadlessRuntime, tmp_path: Path, line: str, why: str
) -> None:
    script = tmp_path / "bad.txt"
    script.write_text(f"# a script\nview_size 64 48\n{line}\nexit_after 2\n")
    code = (
        "import xr\n"
        "try:\n"
        "    xr.create_instance(xr.InstanceCreateInfo(application_info=xr.ApplicationInfo("
        "application_name='bad', api_version=xr.Version(1, 0, 0))))\n"
        "except xr.exception.XrException as exc:\n"
        "    print(type(exc).__name__)\n"
    )
    env = {**os.environ, **runtime.env(script, tmp_path / "record", validation=False)}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "RuntimeFailureError"
    assert f"{script}:3: " in proc.stderr and why in proc.stderr, proc.stderr


def test_script_builder_checks_its_arguments(tmp_path: Path) -> None:
    s = Script(view_size=(32, 16), exit_after=5, capture="all", throttle_hz=30.0)
    s.input(1, "/user/hand/left/input/thumbstick", 0.1, 0.2).head(0, HEAD0).hand(2, "left", None)
    text = s.write(tmp_path / "s.txt").read_text()
    assert "view_size 32 16" in text and "capture all" in text and "throttle_hz 30.0" in text
    assert text.index("at 0 head") < text.index("at 1 input") < text.index("at 2 hand left lost")
    with pytest.raises(ConfigError):
        s.head(0, (0.0, 1.0, 2.0))
    with pytest.raises(ConfigError):
        s.hand(0, "middle", HEAD0)
    with pytest.raises(ConfigError):
        s.input(0, "/user/hand/left/input/trigger/value", 1.0, 2.0, 3.0)
    with pytest.raises(ConfigError):
        s.input(-1, "/user/hand/left/input/trigger/value", 1.0)
