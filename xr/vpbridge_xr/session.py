"""The OpenXR side of the viewer: instance, session, swapchains, input actions and the frame loop.

OpenGL through EGL (`XR_MNDX_egl_enable`, the graphics binding for headless and Wayland-less Linux,
on the EGL context the project's renderer already uses). One swapchain per eye (colour, and depth
when the runtime offers `XR_KHR_composition_layer_depth`). The world is a STAGE (else LOCAL)
reference space whose `poseInReferenceSpace` carries the locomotion rig, so located poses are world
poses and teleport / snap turn move the reference space, not the scene.

The loop follows the spec's session lifecycle: begin on READY, render while SYNCHRONIZED / VISIBLE
/ FOCUSED (input only when FOCUSED), end on STOPPING, leave on EXITING or LOSS_PENDING.
"""

from __future__ import annotations

import ctypes
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import moderngl
import numpy as np

from bridge.errors import ConfigError
from bridge.render.source import FovAngles
from vpbridge_xr.compositor import SwapchainTarget
from vpbridge_xr.egl import current_handles
from vpbridge_xr.poses import matrix_from_pose

__all__ = ["ActionSpec", "EyeView", "FrameInfo", "XrSession", "no_runtime_message"]

log = logging.getLogger("vpbridge.xr")

GL_SRGB8_ALPHA8 = 0x8C43
GL_RGBA8 = 0x8058
GL_DEPTH_COMPONENT32F = 0x8CAC
GL_DEPTH_COMPONENT24 = 0x81A6
GL_DEPTH_COMPONENT16 = 0x81A5

HANDS = ("/user/hand/left", "/user/hand/right")


def no_runtime_message(detail: str = "") -> str:
    extra = f" ({detail})" if detail else ""
    return (
        f"no OpenXR runtime found{extra}. Install one and make it the active runtime: Monado "
        "(`sudo apt install monado-service libopenxr1-monado`, then run `monado-service`) or SteamVR "
        "(Settings → OpenXR → Set SteamVR as OpenXR runtime); or point XR_RUNTIME_JSON at a runtime "
        "manifest. Without a headset, `vpbridge view ENDPOINT` shows the same scene on the desktop."
    )


@dataclass(frozen=True)
class ActionSpec:
    """One input action: `kind` is boolean, float, vector2f, pose or vibration; per-hand subactions."""

    name: str
    kind: str
    label: str = ""
    hands: tuple[str, ...] = HANDS


@dataclass
class EyeView:
    """One eye this frame: its world pose (located at the predicted display time) and FOV."""

    T_world_eye: np.ndarray
    fov: FovAngles
    pose: Any
    """The located `xr.Posef` (in the world space), submitted back unchanged by default."""


@dataclass
class FrameInfo:
    index: int
    display_time: int
    """Predicted display time (runtime clock, ns)."""
    period_ns: int
    views: list[EyeView]
    targets: list[SwapchainTarget]
    sizes: list[tuple[int, int]]
    focused: bool
    submit_views: list[tuple[Any, FovAngles]] | None = None
    """Set by the renderer to submit other poses/FOVs than located (stream mode: the frame's own)."""
    near: float = 0.05
    far: float = 2000.0
    t_wait_ns: int = 0
    """Monotonic clock when xrWaitFrame returned (for latency accounting)."""


@dataclass
class _Eye:
    swapchain: Any
    images: list[int]
    size: tuple[int, int]
    depth_swapchain: Any | None = None
    depth_images: list[int] = field(default_factory=list)
    targets: dict[tuple[int, int], SwapchainTarget] = field(default_factory=dict)


class XrSession:
    """An OpenXR session rendering through `ctx` (a moderngl context on EGL, current on this thread)."""

    def __init__(
        self,
        ctx: moderngl.Context,
        *,
        app_name: str = "vpbridge-xr",
        actions: Sequence[ActionSpec] = (),
        bindings: dict[str, list[tuple[str, str]]] | None = None,
        want_depth: bool = True,
        resolution_scale: float = 1.0,
    ) -> None:
        try:
            import xr as _xr
        except ImportError as exc:  # pragma: no cover - the xr extra is installed with the project
            raise ConfigError("pyopenxr is not installed: `pip install 'vpbridge[xr]'`") from exc
        xr: Any = _xr
        self.xr: Any = xr
        self.ctx = ctx
        self.state = "UNKNOWN"
        self.running = False
        self.exit_requested = False
        self.frame_index = 0
        self._keep: list[Any] = []
        try:
            available = {e.extension_name.decode() for e in xr.enumerate_instance_extension_properties()}
        except xr.exception.RuntimeUnavailableError as exc:
            raise ConfigError(no_runtime_message()) from exc
        except xr.exception.XrException as exc:
            raise ConfigError(no_runtime_message(str(exc))) from exc
        need = [xr.KHR_OPENGL_ENABLE_EXTENSION_NAME, xr.MNDX_EGL_ENABLE_EXTENSION_NAME]
        missing = [e for e in need if e not in available]
        if missing:
            raise ConfigError(
                f"the OpenXR runtime lacks {', '.join(missing)}: the viewer renders with OpenGL through EGL; "
                "use a runtime with XR_MNDX_egl_enable (Monado does) or the desktop viewer `vpbridge view`"
            )
        self.depth_layer = want_depth and xr.KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME in available
        exts = need + ([xr.KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME] if self.depth_layer else [])
        try:
            self.instance = xr.create_instance(
                xr.InstanceCreateInfo(
                    application_info=xr.ApplicationInfo(
                        application_name=app_name,
                        engine_name="vpbridge",
                        api_version=xr.Version(1, 0, 0),
                    ),
                    enabled_extension_names=exts,
                )
            )
        except xr.exception.RuntimeUnavailableError as exc:
            raise ConfigError(no_runtime_message()) from exc
        props = xr.get_instance_properties(self.instance)
        self.runtime_name = props.runtime_name.decode()
        try:
            self.system = xr.get_system(
                self.instance, xr.SystemGetInfo(form_factor=xr.FormFactor.HEAD_MOUNTED_DISPLAY)
            )
        except xr.exception.FormFactorUnavailableError as exc:
            xr.destroy_instance(self.instance)
            raise ConfigError(
                f"the OpenXR runtime {self.runtime_name!r} sees no headset: connect and wake it, then retry"
            ) from exc
        self.view_config = xr.ViewConfigurationType.PRIMARY_STEREO
        cfg_views = xr.enumerate_view_configuration_views(self.instance, self.system, self.view_config)
        scale = float(resolution_scale)
        self.sizes = [
            (
                max(16, min(v.max_image_rect_width, round(v.recommended_image_rect_width * scale))),
                max(16, min(v.max_image_rect_height, round(v.recommended_image_rect_height * scale))),
            )
            for v in cfg_views
        ]
        pfn = ctypes.cast(
            xr.get_instance_proc_addr(self.instance, "xrGetOpenGLGraphicsRequirementsKHR"),
            xr.PFN_xrGetOpenGLGraphicsRequirementsKHR,
        )
        reqs = xr.GraphicsRequirementsOpenGLKHR()
        xr.check_result(pfn(self.instance, self.system, ctypes.byref(reqs)))
        h = current_handles()
        binding = xr.GraphicsBindingEGLMNDX(
            get_proc_address=ctypes.cast(h.get_proc_address, xr.PFN_xrEglGetProcAddressMNDX),
            display=ctypes.c_void_p(h.display),
            config=ctypes.c_void_p(h.config),
            context=ctypes.c_void_p(h.context),
        )
        self._keep.append(binding)
        self.session = xr.create_session(
            self.instance,
            xr.SessionCreateInfo(
                system_id=self.system, next=ctypes.cast(ctypes.pointer(binding), ctypes.c_void_p)
            ),
        )
        spaces = set(xr.enumerate_reference_spaces(self.session))
        self.space_type = (
            xr.ReferenceSpaceType.STAGE
            if xr.ReferenceSpaceType.STAGE in spaces
            else xr.ReferenceSpaceType.LOCAL
        )
        self.world_offset: tuple[tuple[float, float, float], tuple[float, float, float, float]] = (
            (0.0, 0.0, 0.0),
            (0.0, 0.0, 0.0, 1.0),
        )
        self.world_space = self._reference_space(*self.world_offset)
        self.view_space = xr.create_reference_space(
            self.session, xr.ReferenceSpaceCreateInfo(reference_space_type=xr.ReferenceSpaceType.VIEW)
        )
        self._make_swapchains()
        self._actions: dict[str, Any] = {}
        self._action_specs = {a.name: a for a in actions}
        self._hand_paths = {h: xr.string_to_path(self.instance, h) for h in HANDS}
        self._pose_spaces: dict[tuple[str, str], Any] = {}
        self.action_set = None
        if actions:
            self._make_actions(actions, bindings or {})
        self.profile: dict[str, str] = {}

    # -- set-up ----------------------------------------------------------------------------------

    def _reference_space(self, position: Sequence[float], q: Sequence[float]) -> Any:
        xr = self.xr
        return xr.create_reference_space(
            self.session,
            xr.ReferenceSpaceCreateInfo(
                reference_space_type=self.space_type,
                pose_in_reference_space=xr.Posef(
                    orientation=xr.Quaternionf(*q), position=xr.Vector3f(*position)
                ),
            ),
        )

    def set_world_offset(self, position: Sequence[float], q: Sequence[float]) -> None:
        """Move the world: a new reference space whose origin sits at this pose in the tracking space
        (the rig's `reference_space_pose()`); poses located from the next frame on are in it."""
        new = self._reference_space(position, q)
        old, self.world_space = self.world_space, new
        self.world_offset = (tuple(float(v) for v in position), tuple(float(v) for v in q))  # type: ignore[assignment]
        self.xr.destroy_space(old)

    def _make_swapchains(self) -> None:
        xr = self.xr
        formats = list(xr.enumerate_swapchain_formats(self.session))
        colour = next((f for f in (GL_SRGB8_ALPHA8, GL_RGBA8) if f in formats), None)
        if colour is None:
            raise ConfigError(f"the runtime offers no RGBA8 swapchain format (it offers {formats})")
        self.color_format = colour
        depth = next(
            (f for f in (GL_DEPTH_COMPONENT32F, GL_DEPTH_COMPONENT24, GL_DEPTH_COMPONENT16) if f in formats),
            None,
        )
        if depth is None:
            self.depth_layer = False
        self.eyes: list[_Eye] = []
        for w, h in self.sizes:
            sc = xr.create_swapchain(
                self.session,
                xr.SwapchainCreateInfo(
                    usage_flags=xr.SwapchainUsageFlags.COLOR_ATTACHMENT_BIT
                    | xr.SwapchainUsageFlags.SAMPLED_BIT,
                    format=colour,
                    sample_count=1,
                    width=w,
                    height=h,
                    face_count=1,
                    array_size=1,
                    mip_count=1,
                ),
            )
            images = [int(i.image) for i in xr.enumerate_swapchain_images(sc, xr.SwapchainImageOpenGLKHR)]
            eye = _Eye(sc, images, (w, h))
            if self.depth_layer:
                eye.depth_swapchain = xr.create_swapchain(
                    self.session,
                    xr.SwapchainCreateInfo(
                        usage_flags=xr.SwapchainUsageFlags.DEPTH_STENCIL_ATTACHMENT_BIT,
                        format=depth,
                        sample_count=1,
                        width=w,
                        height=h,
                        face_count=1,
                        array_size=1,
                        mip_count=1,
                    ),
                )
                eye.depth_images = [
                    int(i.image)
                    for i in xr.enumerate_swapchain_images(eye.depth_swapchain, xr.SwapchainImageOpenGLKHR)
                ]
            self.eyes.append(eye)
        if not self.depth_layer:
            # Without a depth layer the pass still needs a depth buffer to write into: a private one.
            self._private_depth = [self.ctx.depth_texture(e.size) for e in self.eyes]

    def _make_actions(
        self, actions: Sequence[ActionSpec], bindings: dict[str, list[tuple[str, str]]]
    ) -> None:
        xr = self.xr
        kinds = {
            "boolean": xr.ActionType.BOOLEAN_INPUT,
            "float": xr.ActionType.FLOAT_INPUT,
            "vector2f": xr.ActionType.VECTOR2F_INPUT,
            "pose": xr.ActionType.POSE_INPUT,
            "vibration": xr.ActionType.VIBRATION_OUTPUT,
        }
        self.action_set = xr.create_action_set(
            self.instance,
            xr.ActionSetCreateInfo(
                action_set_name="scouting", localized_action_set_name="Scouting", priority=0
            ),
        )
        for a in actions:
            subs = [self._hand_paths[h] for h in a.hands]
            self._actions[a.name] = xr.create_action(
                self.action_set,
                xr.ActionCreateInfo(
                    action_name=a.name,
                    action_type=kinds[a.kind],
                    subaction_paths=subs,
                    localized_action_name=a.label or a.name.replace("_", " "),
                ),
            )
        for profile, pairs in bindings.items():
            suggested = [
                xr.ActionSuggestedBinding(self._actions[name], xr.string_to_path(self.instance, path))
                for name, path in pairs
                if name in self._actions
            ]
            if not suggested:
                continue
            try:
                xr.suggest_interaction_profile_bindings(
                    self.instance,
                    xr.InteractionProfileSuggestedBinding(
                        interaction_profile=xr.string_to_path(self.instance, profile),
                        suggested_bindings=suggested,
                    ),
                )
            except xr.exception.PathUnsupportedError:
                log.warning("the runtime does not support the interaction profile %s", profile)
        xr.attach_session_action_sets(
            self.session, xr.SessionActionSetsAttachInfo(action_sets=[self.action_set])
        )
        for a in actions:
            if a.kind == "pose":
                for h in a.hands:
                    self._pose_spaces[(a.name, h)] = xr.create_action_space(
                        self.session,
                        xr.ActionSpaceCreateInfo(
                            action=self._actions[a.name], subaction_path=self._hand_paths[h]
                        ),
                    )

    # -- events ----------------------------------------------------------------------------------

    def poll(self) -> bool:
        """Handle every queued event. False once the session is over (EXITING / LOSS_PENDING / lost)."""
        xr = self.xr
        while True:
            try:
                event = xr.poll_event(self.instance)
            except xr.EventUnavailable:
                return self.state not in ("EXITING", "LOSS_PENDING", "INSTANCE_LOST")
            kind = xr.StructureType(event.type)
            if kind == xr.StructureType.EVENT_DATA_SESSION_STATE_CHANGED:
                ev = ctypes.cast(
                    ctypes.byref(event), ctypes.POINTER(xr.EventDataSessionStateChanged)
                ).contents
                self._on_state(xr.SessionState(ev.state).name)
            elif kind == xr.StructureType.EVENT_DATA_INSTANCE_LOSS_PENDING:
                self.state = "INSTANCE_LOST"
            elif kind == xr.StructureType.EVENT_DATA_INTERACTION_PROFILE_CHANGED:
                self._read_profiles()

    def _on_state(self, name: str) -> None:
        xr = self.xr
        log.info("session state %s -> %s", self.state, name)
        self.state = name
        if name == "READY":
            xr.begin_session(
                self.session, xr.SessionBeginInfo(primary_view_configuration_type=self.view_config)
            )
            self.running = True
        elif name == "STOPPING":
            xr.end_session(self.session)
            self.running = False

    def _read_profiles(self) -> None:
        xr = self.xr
        for h, p in self._hand_paths.items():
            try:
                st = xr.get_current_interaction_profile(self.session, p)
            except xr.exception.XrException:
                continue
            self.profile[h] = (
                xr.path_to_string(self.instance, st.interaction_profile) if st.interaction_profile else ""
            )

    def request_exit(self) -> None:
        if self.running and not self.exit_requested:
            self.exit_requested = True
            self.xr.request_exit_session(self.session)

    # -- input -----------------------------------------------------------------------------------

    def sync(self) -> None:
        xr = self.xr
        if self.action_set is not None and self.state == "FOCUSED":
            xr.sync_actions(
                self.session, xr.ActionsSyncInfo(active_action_sets=[xr.ActiveActionSet(self.action_set, 0)])
            )

    def _get(self, name: str, hand: str) -> Any:
        return self.xr.ActionStateGetInfo(action=self._actions[name], subaction_path=self._hand_paths[hand])

    def _has(self, name: str, hand: str) -> bool:
        """The action exists and lists `hand` among its subaction paths (asking an action for a hand
        it does not list is XR_ERROR_PATH_UNSUPPORTED)."""
        return name in self._actions and hand in self._action_specs[name].hands

    def boolean(self, name: str, hand: str) -> tuple[bool, bool]:
        """(current state, changed since the last sync)."""
        if not self._has(name, hand) or self.state != "FOCUSED":
            return False, False
        st = self.xr.get_action_state_boolean(self.session, self._get(name, hand))
        return bool(st.is_active and st.current_state), bool(st.is_active and st.changed_since_last_sync)

    def value(self, name: str, hand: str) -> float:
        if not self._has(name, hand) or self.state != "FOCUSED":
            return 0.0
        st = self.xr.get_action_state_float(self.session, self._get(name, hand))
        return float(st.current_state) if st.is_active else 0.0

    def vector2(self, name: str, hand: str) -> tuple[float, float]:
        if not self._has(name, hand) or self.state != "FOCUSED":
            return 0.0, 0.0
        st = self.xr.get_action_state_vector2f(self.session, self._get(name, hand))
        return (float(st.current_state.x), float(st.current_state.y)) if st.is_active else (0.0, 0.0)

    def pose(self, name: str, hand: str, display_time: int) -> np.ndarray | None:
        """World pose (4×4) of a pose action's hand at `display_time`, or None when not tracked."""
        space = self._pose_spaces.get((name, hand))
        if space is None or self.state != "FOCUSED":
            return None
        xr = self.xr
        loc = xr.locate_space(space, self.world_space, display_time)
        ok = xr.SpaceLocationFlags.POSITION_VALID_BIT | xr.SpaceLocationFlags.ORIENTATION_VALID_BIT
        if (loc.location_flags & ok) != ok:
            return None
        return _matrix(loc.pose)

    def haptic(self, name: str, hand: str, seconds: float = 0.05, amplitude: float = 0.5) -> None:
        if not self._has(name, hand) or self.state != "FOCUSED":
            return
        xr = self.xr
        vib = xr.HapticVibration(duration=int(seconds * 1e9), frequency=0.0, amplitude=amplitude)
        xr.apply_haptic_feedback(
            self.session,
            xr.HapticActionInfo(action=self._actions[name], subaction_path=self._hand_paths[hand]),
            vib,  # pyopenxr passes it by reference itself (a pointer here would be a pointer to one)
        )

    # -- frames ----------------------------------------------------------------------------------

    def head(self, display_time: int) -> np.ndarray | None:
        xr = self.xr
        loc = xr.locate_space(self.view_space, self.world_space, display_time)
        ok = xr.SpaceLocationFlags.POSITION_VALID_BIT | xr.SpaceLocationFlags.ORIENTATION_VALID_BIT
        return _matrix(loc.pose) if (loc.location_flags & ok) == ok else None

    def head_in_tracking(self, display_time: int) -> np.ndarray | None:
        """Head pose in the unshifted tracking space (for the rig: teleport and turns about the head)."""
        T = self.head(display_time)
        if T is None:
            return None
        return np.asarray(matrix_from_pose(*self.world_offset) @ T)

    def _target(self, eye: _Eye, i: int, color_index: int, depth_index: int | None) -> SwapchainTarget:
        key = (color_index, -1 if depth_index is None else depth_index)
        t = eye.targets.get(key)
        if t is None:
            depth_tex = (
                eye.depth_images[depth_index] if depth_index is not None else self._private_depth[i].glo
            )
            t = SwapchainTarget(self.ctx, eye.images[color_index], depth_tex, eye.size)
            eye.targets[key] = t
        return t

    def frame(self, render: Callable[[FrameInfo], None]) -> bool:
        """One pass of the loop: events, then (while running) wait, begin, render both eyes, end.
        Returns False once the session is over."""
        xr = self.xr
        if not self.poll():
            return False
        if not self.running:
            time.sleep(0.005)
            return True
        state = xr.wait_frame(self.session, xr.FrameWaitInfo())
        t_wait = time.monotonic_ns()
        xr.begin_frame(self.session, xr.FrameBeginInfo())
        layers: list[Any] = []
        if state.should_render and self.state in ("VISIBLE", "FOCUSED"):
            self.sync()
            _, located = xr.locate_views(
                self.session,
                xr.ViewLocateInfo(
                    view_configuration_type=self.view_config,
                    display_time=state.predicted_display_time,
                    space=self.world_space,
                ),
            )
            views = [
                EyeView(
                    _matrix(v.pose),
                    FovAngles(v.fov.angle_left, v.fov.angle_right, v.fov.angle_up, v.fov.angle_down),
                    v.pose,
                )
                for v in located
            ]
            acquired = []
            for i, eye in enumerate(self.eyes):
                ci = xr.acquire_swapchain_image(eye.swapchain, xr.SwapchainImageAcquireInfo())
                xr.wait_swapchain_image(
                    eye.swapchain, xr.SwapchainImageWaitInfo(timeout=xr.INFINITE_DURATION)
                )
                di = None
                if eye.depth_swapchain is not None:
                    di = xr.acquire_swapchain_image(eye.depth_swapchain, xr.SwapchainImageAcquireInfo())
                    xr.wait_swapchain_image(
                        eye.depth_swapchain, xr.SwapchainImageWaitInfo(timeout=xr.INFINITE_DURATION)
                    )
                acquired.append(self._target(eye, i, ci, di))
            info = FrameInfo(
                index=self.frame_index,
                display_time=state.predicted_display_time,
                period_ns=state.predicted_display_period,
                views=views,
                targets=acquired,
                sizes=[e.size for e in self.eyes],
                focused=self.state == "FOCUSED",
                t_wait_ns=t_wait,
            )
            try:
                render(info)
                self.ctx.finish()
            finally:
                for eye in self.eyes:
                    xr.release_swapchain_image(eye.swapchain, xr.SwapchainImageReleaseInfo())
                    if eye.depth_swapchain is not None:
                        xr.release_swapchain_image(eye.depth_swapchain, xr.SwapchainImageReleaseInfo())
            layers.append(self._projection_layer(info))
        layer_ptrs = [
            ctypes.cast(ctypes.byref(layer), ctypes.POINTER(xr.CompositionLayerBaseHeader))
            for layer in layers
        ]
        xr.end_frame(
            self.session,
            xr.FrameEndInfo(
                display_time=state.predicted_display_time,
                environment_blend_mode=xr.EnvironmentBlendMode.OPAQUE,
                layers=layer_ptrs,
            ),
        )
        self.frame_index += 1
        return True

    def _projection_layer(self, info: FrameInfo) -> Any:
        xr = self.xr
        submit = info.submit_views or [(v.pose, v.fov) for v in info.views]
        proj_views = []
        for eye, (pose, fov) in zip(self.eyes, submit, strict=True):
            w, h = eye.size
            rect = xr.Rect2Di(offset=xr.Offset2Di(0, 0), extent=xr.Extent2Di(w, h))
            depth = None
            if eye.depth_swapchain is not None:
                depth = xr.CompositionLayerDepthInfoKHR(
                    sub_image=xr.SwapchainSubImage(
                        swapchain=eye.depth_swapchain, image_rect=rect, image_array_index=0
                    ),
                    min_depth=0.0,
                    max_depth=1.0,
                    near_z=info.near,
                    far_z=info.far,
                )
                self._keep.append(depth)
            pose_ = pose if not isinstance(pose, np.ndarray) else _posef(xr, pose)
            proj_views.append(
                xr.CompositionLayerProjectionView(
                    pose=pose_,
                    fov=xr.Fovf(fov.left, fov.right, fov.up, fov.down),
                    sub_image=xr.SwapchainSubImage(
                        swapchain=eye.swapchain, image_rect=rect, image_array_index=0
                    ),
                    next=None if depth is None else ctypes.cast(ctypes.pointer(depth), ctypes.c_void_p),
                )
            )
        self._keep = self._keep[-64:]
        return xr.CompositionLayerProjection(space=self.world_space, views=proj_views)

    def run(self, render: Callable[[FrameInfo], None], *, max_frames: int | None = None) -> int:
        """Loop until the session ends (or `max_frames` frames, then exit politely). Returns frames."""
        while self.frame(render):
            if max_frames is not None and self.frame_index >= max_frames:
                self.request_exit()
        return self.frame_index

    def close(self) -> None:
        xr = self.xr
        for eye in getattr(self, "eyes", []):
            for t in eye.targets.values():
                t.release()
            xr.destroy_swapchain(eye.swapchain)
            if eye.depth_swapchain is not None:
                xr.destroy_swapchain(eye.depth_swapchain)
        for tex in getattr(self, "_private_depth", []):
            tex.release()
        for space in self._pose_spaces.values():
            xr.destroy_space(space)
        xr.destroy_space(self.view_space)
        xr.destroy_space(self.world_space)
        if self.action_set is not None:
            xr.destroy_action_set(self.action_set)
        xr.destroy_session(self.session)
        xr.destroy_instance(self.instance)


def _matrix(pose: Any) -> np.ndarray:
    o, p = pose.orientation, pose.position
    return matrix_from_pose((p.x, p.y, p.z), (o.x, o.y, o.z, o.w))


def _posef(xr: Any, T: np.ndarray) -> Any:
    from vpbridge_xr.poses import pose_from_matrix

    p, q = pose_from_matrix(T)
    return xr.Posef(orientation=xr.Quaternionf(*q), position=xr.Vector3f(*p))
