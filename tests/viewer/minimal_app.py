"""A minimal OpenXR app for the headless runtime's tests (run as a subprocess with the runtime's env).

pyopenxr + moderngl on a surfaceless EGL context: an instance with XR_KHR_opengl_enable and
XR_MNDX_egl_enable (+ the depth layer extension when offered), a session bound to the EGL context,
a STAGE space, one action set (trigger float, thumbstick vector2, A button boolean, grip pose),
colour and depth swapchains per eye cleared to known values, and projection layers (with depth
info) until the runtime says STOPPING. Writes what it saw to OUT (JSON).

    python minimal_app.py OUT [good|request_exit|end_without_begin|bad_struct_type|bad_layer_rect]
"""

from __future__ import annotations

import ctypes
import json
import sys
from pathlib import Path
from typing import Any

import moderngl

import xr
from vpbridge_xr.compositor import SwapchainTarget
from vpbridge_xr.egl import current_handles

GL_RGBA8 = 0x8058
GL_DEPTH_COMPONENT32F = 0x8CAC
CLEAR = [(0.2, 0.4, 0.6, 1.0), (0.8, 0.6, 0.0, 1.0)]
"""Per-eye clear colour (RGBA8: (51, 102, 153, 255) and (204, 153, 0, 255))."""
CLEAR_DEPTH = 0.5
MARK = (1.0, 1.0, 1.0, 1.0)
MARK_ROWS = 4
NEAR, FAR = 0.1, 100.0
HANDS = ("/user/hand/left", "/user/hand/right")
TOUCH = "/interaction_profiles/oculus/touch_controller"


def _pose7(p: Any) -> list[float]:
    return [
        p.position.x,
        p.position.y,
        p.position.z,
        p.orientation.x,
        p.orientation.y,
        p.orientation.z,
        p.orientation.w,
    ]


def _result_name(exc: BaseException) -> str:
    return type(exc).__name__


def main(out: Path, mode: str) -> int:
    ctx = moderngl.create_standalone_context(backend="egl")
    available = {e.extension_name.decode() for e in xr.enumerate_instance_extension_properties()}
    exts = [xr.KHR_OPENGL_ENABLE_EXTENSION_NAME, xr.MNDX_EGL_ENABLE_EXTENSION_NAME]
    depth_ext = xr.KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME in available
    if depth_ext:
        exts.append(xr.KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME)
    instance = xr.create_instance(
        xr.InstanceCreateInfo(
            application_info=xr.ApplicationInfo(
                application_name="minimal_app", api_version=xr.Version(1, 0, 0)
            ),
            enabled_extension_names=exts,
        )
    )
    report: dict[str, Any] = {
        "runtime": xr.get_instance_properties(instance).runtime_name.decode(),
        "extensions": sorted(available),
        "frames": [],
        "results": {},
    }
    system = xr.get_system(instance, xr.SystemGetInfo(form_factor=xr.FormFactor.HEAD_MOUNTED_DISPLAY))
    stereo = xr.ViewConfigurationType.PRIMARY_STEREO
    sizes = [
        (v.recommended_image_rect_width, v.recommended_image_rect_height)
        for v in xr.enumerate_view_configuration_views(instance, system, stereo)
    ]
    pfn = ctypes.cast(
        xr.get_instance_proc_addr(instance, "xrGetOpenGLGraphicsRequirementsKHR"),
        xr.PFN_xrGetOpenGLGraphicsRequirementsKHR,
    )
    reqs = xr.GraphicsRequirementsOpenGLKHR()
    xr.check_result(pfn(instance, system, ctypes.byref(reqs)))
    h = current_handles()
    binding = xr.GraphicsBindingEGLMNDX(
        get_proc_address=ctypes.cast(h.get_proc_address, xr.PFN_xrEglGetProcAddressMNDX),
        display=ctypes.c_void_p(h.display),
        config=ctypes.c_void_p(h.config),
        context=ctypes.c_void_p(h.context),
    )
    session = xr.create_session(
        instance,
        xr.SessionCreateInfo(system_id=system, next=ctypes.cast(ctypes.pointer(binding), ctypes.c_void_p)),
    )
    report["reference_spaces"] = [
        xr.ReferenceSpaceType(s).name for s in xr.enumerate_reference_spaces(session)
    ]
    stage = xr.create_reference_space(
        session, xr.ReferenceSpaceCreateInfo(reference_space_type=xr.ReferenceSpaceType.STAGE)
    )
    view_space = xr.create_reference_space(
        session, xr.ReferenceSpaceCreateInfo(reference_space_type=xr.ReferenceSpaceType.VIEW)
    )

    # Input: one action set, suggested for the Touch controller.
    hand = {p: xr.string_to_path(instance, p) for p in HANDS}
    aset = xr.create_action_set(
        instance, xr.ActionSetCreateInfo(action_set_name="test", localized_action_set_name="Test", priority=0)
    )

    def action(name: str, kind: Any) -> Any:
        return xr.create_action(
            aset,
            xr.ActionCreateInfo(
                action_name=name,
                action_type=kind,
                subaction_paths=list(hand.values()),
                localized_action_name=name.replace("_", " "),
            ),
        )

    trigger = action("trigger", xr.ActionType.FLOAT_INPUT)
    stick = action("stick", xr.ActionType.VECTOR2F_INPUT)
    a_button = action("a_button", xr.ActionType.BOOLEAN_INPUT)
    grip = action("grip", xr.ActionType.POSE_INPUT)
    pairs = [
        (trigger, "/user/hand/left/input/trigger/value"),
        (trigger, "/user/hand/right/input/trigger/value"),
        (stick, "/user/hand/left/input/thumbstick"),
        (stick, "/user/hand/right/input/thumbstick"),
        (a_button, "/user/hand/right/input/a/click"),
        (grip, "/user/hand/left/input/grip/pose"),
        (grip, "/user/hand/right/input/grip/pose"),
    ]
    xr.suggest_interaction_profile_bindings(
        instance,
        xr.InteractionProfileSuggestedBinding(
            interaction_profile=xr.string_to_path(instance, TOUCH),
            suggested_bindings=[
                xr.ActionSuggestedBinding(a, xr.string_to_path(instance, p)) for a, p in pairs
            ],
        ),
    )
    xr.attach_session_action_sets(session, xr.SessionActionSetsAttachInfo(action_sets=[aset]))
    grip_right = xr.create_action_space(
        session, xr.ActionSpaceCreateInfo(action=grip, subaction_path=hand["/user/hand/right"])
    )

    # Swapchains: colour and depth per eye.
    formats = list(xr.enumerate_swapchain_formats(session))
    report["formats"] = formats

    def swapchain(fmt: int, size: tuple[int, int], usage: Any) -> tuple[Any, list[int]]:
        sc = xr.create_swapchain(
            session,
            xr.SwapchainCreateInfo(
                usage_flags=usage,
                format=fmt,
                sample_count=1,
                width=size[0],
                height=size[1],
                face_count=1,
                array_size=1,
                mip_count=1,
            ),
        )
        return sc, [int(i.image) for i in xr.enumerate_swapchain_images(sc, xr.SwapchainImageOpenGLKHR)]

    color_usage = xr.SwapchainUsageFlags.COLOR_ATTACHMENT_BIT | xr.SwapchainUsageFlags.SAMPLED_BIT
    colors = [swapchain(GL_RGBA8, s, color_usage) for s in sizes]
    depths = [
        swapchain(GL_DEPTH_COMPONENT32F, s, xr.SwapchainUsageFlags.DEPTH_STENCIL_ATTACHMENT_BIT)
        for s in sizes
    ]
    targets: dict[tuple[int, int, int], SwapchainTarget] = {}

    state = "UNKNOWN"
    running = False
    keep: list[Any] = []
    bad_done = False
    while True:
        # Events.
        while True:
            try:
                event = xr.poll_event(instance)
            except xr.EventUnavailable:
                break
            kind = xr.StructureType(event.type)
            if kind == xr.StructureType.EVENT_DATA_SESSION_STATE_CHANGED:
                ev = ctypes.cast(
                    ctypes.byref(event), ctypes.POINTER(xr.EventDataSessionStateChanged)
                ).contents
                state = xr.SessionState(ev.state).name
                if state == "READY":
                    xr.begin_session(session, xr.SessionBeginInfo(primary_view_configuration_type=stereo))
                    running = True
                elif state == "STOPPING":
                    xr.end_session(session)
                    running = False
            elif kind == xr.StructureType.EVENT_DATA_INTERACTION_PROFILE_CHANGED:
                prof = xr.get_current_interaction_profile(
                    session, hand["/user/hand/right"]
                ).interaction_profile
                report["profile"] = xr.path_to_string(instance, prof) if prof else ""
        if state == "EXITING":
            break
        if not running:
            continue

        fs = xr.wait_frame(session, xr.FrameWaitInfo())
        index = len(report["frames"])
        xr.begin_frame(session, xr.FrameBeginInfo())
        frame: dict[str, Any] = {"index": index, "display_time": fs.predicted_display_time, "state": state}
        report["frames"].append(frame)
        layers: list[Any] = []
        if fs.should_render and state in ("VISIBLE", "FOCUSED"):
            t = fs.predicted_display_time
            if state == "FOCUSED":
                xr.sync_actions(session, xr.ActionsSyncInfo(active_action_sets=[xr.ActiveActionSet(aset, 0)]))
                right = hand["/user/hand/right"]
                trig = xr.get_action_state_float(session, xr.ActionStateGetInfo(trigger, right))
                st = xr.get_action_state_vector2f(session, xr.ActionStateGetInfo(stick, right))
                ab = xr.get_action_state_boolean(session, xr.ActionStateGetInfo(a_button, right))
                frame["trigger"] = trig.current_state if trig.is_active else None
                frame["stick"] = [st.current_state.x, st.current_state.y] if st.is_active else None
                frame["a_button"] = bool(ab.current_state) if ab.is_active else None
                frame["a_changed"] = bool(ab.changed_since_last_sync)
                g = xr.locate_space(grip_right, stage, t)
                frame["grip"] = _pose7(g.pose) if g.location_flags else None
            head = xr.locate_space(view_space, stage, t)
            frame["head"] = _pose7(head.pose)
            view_state, views = xr.locate_views(
                session, xr.ViewLocateInfo(view_configuration_type=stereo, display_time=t, space=stage)
            )
            frame["views"] = [
                {
                    "pose": _pose7(v.pose),
                    "fov": [v.fov.angle_left, v.fov.angle_right, v.fov.angle_up, v.fov.angle_down],
                }
                for v in views
            ]
            proj_views = []
            for eye, ((csc, cimgs), (dsc, dimgs), size) in enumerate(zip(colors, depths, sizes, strict=True)):
                ci = xr.acquire_swapchain_image(csc, xr.SwapchainImageAcquireInfo())
                xr.wait_swapchain_image(csc, xr.SwapchainImageWaitInfo(timeout=xr.INFINITE_DURATION))
                di = xr.acquire_swapchain_image(dsc, xr.SwapchainImageAcquireInfo())
                xr.wait_swapchain_image(dsc, xr.SwapchainImageWaitInfo(timeout=xr.INFINITE_DURATION))
                key = (eye, ci, di)
                if key not in targets:
                    targets[key] = SwapchainTarget(ctx, cimgs[ci], dimgs[di], size)
                target = targets[key]
                target.use()
                target.fbo.clear(*CLEAR[eye], depth=CLEAR_DEPTH)
                # A marker on GL's first rows (the image's bottom): white, depth 1.
                target.fbo.clear(*MARK, depth=1.0, viewport=(0, 0, size[0], MARK_ROWS))
                ctx.finish()
                xr.release_swapchain_image(csc, xr.SwapchainImageReleaseInfo())
                xr.release_swapchain_image(dsc, xr.SwapchainImageReleaseInfo())
                rect = xr.Rect2Di(offset=xr.Offset2Di(0, 0), extent=xr.Extent2Di(*size))
                if mode == "bad_layer_rect" and not bad_done:
                    rect = xr.Rect2Di(offset=xr.Offset2Di(0, 0), extent=xr.Extent2Di(size[0] + 1, size[1]))
                depth_info = xr.CompositionLayerDepthInfoKHR(
                    sub_image=xr.SwapchainSubImage(swapchain=dsc, image_rect=rect, image_array_index=0),
                    min_depth=0.0,
                    max_depth=1.0,
                    near_z=NEAR,
                    far_z=FAR,
                )
                keep.append(depth_info)
                proj_views.append(
                    xr.CompositionLayerProjectionView(
                        pose=views[eye].pose,
                        fov=views[eye].fov,
                        sub_image=xr.SwapchainSubImage(swapchain=csc, image_rect=rect, image_array_index=0),
                        next=ctypes.cast(ctypes.pointer(depth_info), ctypes.c_void_p) if depth_ext else None,
                    )
                )
            layer = xr.CompositionLayerProjection(space=stage, views=proj_views)
            keep.append(layer)
            layers.append(ctypes.cast(ctypes.byref(layer), ctypes.POINTER(xr.CompositionLayerBaseHeader)))
        end_info = xr.FrameEndInfo(
            display_time=fs.predicted_display_time,
            environment_blend_mode=xr.EnvironmentBlendMode.OPAQUE,
            layers=layers,
        )
        if mode == "bad_layer_rect" and layers and not bad_done:
            bad_done = True
            try:
                xr.end_frame(session, end_info)
                report["results"]["bad_layer_rect"] = "Success"
            except xr.exception.XrException as exc:
                report["results"]["bad_layer_rect"] = _result_name(exc)
            # The frame is still begun: end it properly without layers.
            end_info = xr.FrameEndInfo(
                display_time=fs.predicted_display_time,
                environment_blend_mode=xr.EnvironmentBlendMode.OPAQUE,
                layers=[],
            )
        xr.end_frame(session, end_info)
        keep = keep[-16:]

        if mode == "end_without_begin" and not bad_done and state == "FOCUSED":
            bad_done = True
            try:
                xr.end_frame(
                    session,
                    xr.FrameEndInfo(
                        display_time=fs.predicted_display_time,
                        environment_blend_mode=xr.EnvironmentBlendMode.OPAQUE,
                        layers=[],
                    ),
                )
                report["results"]["end_without_begin"] = "Success"
            except xr.exception.XrException as exc:
                report["results"]["end_without_begin"] = _result_name(exc)
        if mode == "request_exit" and index == 3:
            xr.request_exit_session(session)
        if mode == "bad_struct_type" and not bad_done:
            bad_done = True
            loc = xr.SpaceLocation()
            loc.type = xr.StructureType.VIEW  # wrong: must be XR_TYPE_SPACE_LOCATION
            result = xr.raw_functions.xrLocateSpace(
                view_space, stage, fs.predicted_display_time, ctypes.byref(loc)
            )
            report["results"]["bad_struct_type"] = _result_name(xr.check_result(xr.Result(result)))

    for t in targets.values():
        t.release()
    for sc, _ in colors + depths:
        xr.destroy_swapchain(sc)
    for space in (grip_right, view_space, stage):
        xr.destroy_space(space)
    xr.destroy_action_set(aset)
    xr.destroy_session(session)
    xr.destroy_instance(instance)
    ctx.release()
    out.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "good"))
