"""Write the wire fixtures of the current protocol release, once per release.

    python tests/protocol/make_fixtures.py

writes tests/protocol/fixtures/v<PROTOCOL_VERSION>/: for every message a `<type>.minimal.msgpack`
(required fields only: what the oldest peer can rely on) and a `<type>.full.msgpack` (every field
set), some variants, and `schema.json` (the release's JSON schema). The files are checked in and never
regenerated: tests/protocol/test_schema_evolution.py decodes every released fixture with today's schema.
Existing files are never overwritten: run again after adding a message type and only its new
fixtures are written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import msgspec

from bridge.protocol import ALL_MESSAGES, PROTOCOL_VERSION, encode
from bridge.protocol import messages as m

EYE = (1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0)
POSE = (1.0, 0.0, 0.0, 0.5, 0.0, 1.0, 0.0, 1.7, 0.0, 0.0, 1.0, 3.0, 0.0, 0.0, 0.0, 1.0)
FOV = m.Fov(left=-0.6, right=0.6, up=0.4, down=-0.4)
INTR = m.Intrinsics(fx=500.0, fy=500.0, cx=320.0, cy=240.0)
LIMITS = m.Limits(
    max_message_bytes=1 << 20,
    max_width=8192,
    max_height=8192,
    max_credits=3,
    max_streams=8,
    heartbeat_ms=2000,
    session_timeout_ms=10_000,
)
ENDPOINTS = m.Endpoints(state="tcp://127.0.0.1:5556", frames="tcp://127.0.0.1:5557")
VIEW = m.ViewInfo(T_world_camera=POSE, fov=FOV, intrinsics=INTR)
COLOR = m.PartInfo(kind="color", encoding="rgba8", width=4, height=2, nbytes=32)
TIMES = m.StageTimes(
    t_pose=1_000, t_received=2_000, t_render_start=3_000, t_render_end=4_000, t_encode_end=5_000, t_send=6_000
)

MINIMAL: list[Any] = [
    m.Hello(rid=1, protocol="1.0.0"),
    m.Welcome(
        rid=1,
        protocol="1.0.0",
        server="vpbridge",
        server_version="0.1.0",
        session="0123456789abcdef01234567",
        role="viewer",
        limits=LIMITS,
        endpoints=ENDPOINTS,
    ),
    m.Error(code=m.ErrorCode.BAD_REQUEST, message="bad"),
    m.Ok(rid=2),
    m.Ping(rid=3),
    m.Pong(rid=3),
    m.Bye(rid=4),
    m.OpenStream(rid=5),
    m.StreamOpened(rid=5, stream=1, max_credits=3),
    m.CloseStream(rid=6, stream=1),
    m.GetState(rid=7),
    m.StateSnapshot(rid=7, seq=0),
    m.SetParams(rid=8, values={}),
    m.StateDelta(seq=1),
    m.StateHeartbeat(seq=1),
    m.Attach(rid=9, session="0123456789abcdef01234567"),
    m.Credit(stream=1),
    m.PoseRequest(stream=1, pose_id=1, T_world_camera=EYE),
    m.FrameHeader(
        stream=1,
        seq=1,
        pose_id=1,
        near=0.05,
        far=2000.0,
        views=[m.ViewInfo(T_world_camera=EYE, fov=FOV, intrinsics=INTR)],
        parts=[m.PartInfo(kind="color", encoding="rgba8", width=4, height=2, nbytes=32)],
        times=m.StageTimes(),
    ),
    m.StreamClosed(stream=1, reason="closed by client"),
    m.ServerBye(),
    m.GetScene(rid=10),
    m.SceneInfo(
        rid=10,
        scene_version=1,
        name="neon_city",
        nbytes=5000,
        sha256="ab" * 32,
        chunk_bytes=4096,
        chunks=2,
        manifest="{}",
    ),
    m.GetSceneChunk(rid=11, scene_version=1, index=0),
    m.SceneChunk(rid=11, scene_version=1, index=0, data=b"glTF"),
    m.Generate(rid=12),
    m.CameraReport(rid=13, T_world_camera=EYE),
    m.Edit(rid=14, action="begin"),
    m.Undo(rid=15),
    m.Redo(rid=16),
    m.Branch(rid=17, name="noir"),
    m.Checkout(rid=18, ref="noir"),
    m.GetHistory(rid=19),
    m.HistoryLog(rid=19, head=1),
    m.Diff(rid=20, a="main", b="noir"),
    m.HistoryDiff(rid=20, a=1, b=2),
    m.SavePreset(rid=21, name="dusk"),
    m.ApplyPreset(rid=22, name="dusk"),
    m.ListPresets(rid=23),
    m.Presets(rid=23),
    m.GetSchema(rid=24),
    m.ParamSchema(rid=24, schema_json="[]"),
    m.GetPerspectives(rid=25),
    m.Perspectives(rid=25),
    m.ChoosePerspective(rid=26, stream=1, name="sofa_closeup"),
    m.SaveBookmark(rid=27, name="north balcony", T_world_camera=EYE),
    m.DeleteBookmark(rid=28, name="north balcony"),
]

FULL: list[Any] = [
    m.Hello(rid=1, protocol="1.0.0", client="unreal", client_version="5.4.0", role="director"),
    m.Welcome(
        rid=1,
        protocol="1.0.0",
        server="stage-a",
        server_version="0.1.0",
        session="0123456789abcdef01234567",
        role="director",
        limits=LIMITS,
        endpoints=ENDPOINTS,
        warnings=["protocol skew: client 1.1.0, server 1.0.0"],
    ),
    m.Error(
        rid=12,
        code=m.ErrorCode.TOO_LARGE,
        message="`width` 9000 exceeds the server's limit of 8192",
        field="$.width",
        hint="see Welcome.limits",
    ),
    m.Ok(rid=2, detail="42"),
    m.Ping(rid=3, t_client_ns=123_456_789),
    m.Pong(rid=3, t_client_ns=123_456_789, t_server_ns=987_654_321, session=True),
    m.Bye(rid=4),
    m.OpenStream(
        rid=5,
        width=640,
        height=360,
        fov=FOV,
        near=0.1,
        far=500.0,
        color="jpeg",
        depth="none",
        ids="u16",
        jpeg_quality=70,
        projection="stereo",
        ipd_m=0.063,
    ),
    m.StreamOpened(rid=5, stream=7, max_credits=2),
    m.CloseStream(rid=6, stream=7),
    m.GetState(rid=7),
    m.StateSnapshot(
        rid=7,
        seq=41,
        values={
            "time_of_day": 18.5,
            "look": "noir",
            "sun_dir": [0.0, -1.0, 0.2],
            "grain": 0,
            "hdr": True,
            "note": None,
        },
        scene_version=3,
    ),
    m.SetParams(rid=8, values={"time_of_day": 19.0, "look": "vibrant"}, base_seq=41),
    m.StateDelta(
        seq=42,
        values={"time_of_day": 19.0},
        removed=["presence.abcd1234"],
        scene_version=3,
        author="director-1",
        t_server_ns=555,
    ),
    m.StateHeartbeat(seq=42, scene_version=3),
    m.Attach(rid=9, session="0123456789abcdef01234567"),
    m.Credit(stream=7, n=3),
    m.PoseRequest(
        stream=7,
        pose_id=99,
        T_world_camera=POSE,
        t_pose_ns=111,
        fov=INTR,
        width=320,
        height=240,
        near=0.2,
        far=100.0,
        color="rgb8",
        depth="f16",
        eyes=[m.EyeView(T_world_camera=POSE, fov=FOV), m.EyeView(T_world_camera=EYE, fov=FOV)],
    ),
    m.FrameHeader(
        protocol="1.0.0",
        stream=7,
        seq=12,
        pose_id=99,
        projection="stereo",
        near=0.2,
        far=100.0,
        views=[VIEW, VIEW],
        parts=[COLOR, m.PartInfo(kind="depth", view=1, encoding="f16", width=4, height=2, nbytes=16)],
        times=TIMES,
        scene_version=3,
        look="noir",
        provenance="procedural neon_city seed=7",
    ),
    m.StreamClosed(stream=7, reason="no credit granted for 30 s"),
    m.ServerBye(reason="server stopped (SIGTERM)"),
    m.GetScene(rid=10, chunk_bytes=65536),
    m.SceneInfo(
        rid=10,
        scene_version=2,
        name="coast",
        nbytes=70000,
        sha256="cd" * 32,
        chunk_bytes=65536,
        chunks=2,
        manifest='{"objects": [], "bookmarks": []}',
    ),
    m.GetSceneChunk(rid=11, scene_version=2, index=1, chunk_bytes=65536),
    m.SceneChunk(rid=11, scene_version=2, index=1, data=bytes(range(256)) * 4),
    m.Generate(rid=12, prompt="foggy harbour at dawn", spec="coast", spec_toml='name = "x"\n', seed=7),
    m.CameraReport(
        rid=13,
        T_world_camera=POSE,
        focal_length_mm=50.0,
        aperture_f=1.4,
        focus_distance_m=3.5,
        sensor_width_mm=23.76,
        sensor_height_mm=13.365,
        t_ns=123_456,
    ),
    m.Edit(rid=14, action="update", values={"exposure_ev": -0.5}, message="exposure drag"),
    m.Undo(rid=15),
    m.Redo(rid=16),
    m.Branch(rid=17, name="vibrant", start="3"),
    m.Checkout(rid=18, ref="vibrant"),
    m.GetHistory(rid=19, ref="noir", limit=10),
    m.HistoryLog(
        rid=19,
        head=3,
        branch="noir",
        branches={"main": 2, "noir": 3},
        versions=[
            m.VersionInfo(
                id=3,
                parents=[2],
                author="ann",
                time_ns=1_700_000_000_000_000_000,
                message="noir grade",
                kind="transaction",
                branch="noir",
                changes={"look": "noir", "exposure_ev": -0.5},
            )
        ],
    ),
    m.Diff(rid=20, a="main", b="noir"),
    m.HistoryDiff(rid=20, a=2, b=3, before={"look": "neutral"}, after={"look": "noir"}),
    m.SavePreset(rid=21, name="dusk", values={"time_of_day": 19.5, "look": "vibrant"}),
    m.ApplyPreset(rid=22, name="dusk"),
    m.ListPresets(rid=23),
    m.Presets(rid=23, presets={"dusk": {"time_of_day": 19.5, "look": "vibrant"}}),
    m.GetSchema(rid=24),
    m.ParamSchema(rid=24, schema_json='[{"name": "exposure_ev", "type": "float"}]'),
    m.GetPerspectives(rid=25, stream=7),
    m.Perspectives(
        rid=25,
        perspectives=[
            m.PerspectiveInfo(
                name="sofa_closeup", T_world_camera=POSE, fov_y_deg=35.0, description="medium close", at_s=4.0
            )
        ],
        current="sofa_closeup",
        moving=True,
        ready=["dolly_start"],
    ),
    m.ChoosePerspective(rid=26, stream=7, name="dolly_start", preset="fast", fps=30.0),
    m.SaveBookmark(
        rid=27,
        name="north balcony",
        T_world_camera=POSE,
        fov_y_deg=42.5,
        note="low sun at 18:00, watch the glare",
        kind="location",
    ),
    m.DeleteBookmark(rid=28, name="north balcony"),
]

VARIANTS: dict[str, Any] = {
    "ok.studio_version": m.Ok(rid=2, detail="42", version=7),
    "set_params.base_version": m.SetParams(
        rid=8, values={"look": "noir"}, base_version=6, message="noir grade"
    ),
    "open_stream.intrinsics": m.OpenStream(rid=10, width=640, height=480, fov=INTR),
    "pose_request.numpy_like_pose": m.PoseRequest(stream=2, pose_id=5, T_world_camera=POSE, t_pose_ns=1),
    "error.unsupported_version": m.Error(
        rid=1,
        code=m.ErrorCode.UNSUPPORTED_VERSION,
        message="client speaks protocol 2.0.0, server speaks 1.0.0: major versions differ",
        field="$.protocol",
        hint="use a vpbridge client of protocol 1.x",
    ),
}


def main() -> int:
    out = Path(__file__).parent / "fixtures" / f"v{PROTOCOL_VERSION}"
    names = {m.tag_of(type(x)) for x in MINIMAL} & {m.tag_of(type(x)) for x in FULL}
    missing = {m.tag_of(c) for c in ALL_MESSAGES} - names
    if missing:
        print(f"add minimal and full examples for: {sorted(missing)}", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    files = {f"{m.tag_of(type(x))}.minimal": x for x in MINIMAL}
    files |= {f"{m.tag_of(type(x))}.full": x for x in FULL}
    files |= VARIANTS
    written = 0
    for name, msg in sorted(files.items()):
        path = out / f"{name}.msgpack"
        if not path.exists():  # a fixture, once written, is the release's wire contract
            path.write_bytes(encode(msg))
            written += 1
    schema = out / "schema.json"
    if not schema.exists():
        _, components = msgspec.json.schema_components(ALL_MESSAGES)
        schema.write_text(json.dumps(components, indent=1, sort_keys=True) + "\n")
        written += 1
    print(f"wrote {written} new files to {out} (existing ones are never overwritten)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
