"""CameraReport: an engine's camera + lens lands in the shared state as `camera.<session8>`."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.client_sync import Client
from bridge.errors import RemoteError
from bridge.protocol import messages as m

POSE = (1.0, 0.0, 0.0, 0.5, 0.0, 1.0, 0.0, 1.7, 0.0, 0.0, 1.0, 3.0, 0.0, 0.0, 0.0, 1.0)


def _camera_keys(state: dict[str, m.ParamValue]) -> list[str]:
    return [k for k in state if k.startswith("camera.")]


def test_an_engine_reports_its_camera_and_every_client_sees_pose_and_lens(srv: Any) -> None:
    with (
        Client(srv.endpoints["control"], name="ue", role="engine") as eng,
        Client(srv.endpoints["control"]) as v,
    ):
        report = m.CameraReport(
            rid=0,
            T_world_camera=POSE,
            focal_length_mm=50.0,
            aperture_f=1.4,
            focus_distance_m=3.5,
            sensor_width_mm=23.76,
            sensor_height_mm=13.365,
        )
        ok = eng.request(report)
        assert isinstance(ok, m.Ok) and int(ok.detail) > 0
        v.wait_state(lambda s: bool(_camera_keys(s)))
        key = _camera_keys(v.state)[0]
        assert eng.welcome is not None and key == f"camera.{eng.welcome.session[:8]}"
        assert v.state[key] == [*POSE, 50.0, 1.4, 3.5, 23.76, 13.365]


def test_the_camera_key_goes_away_with_its_session(srv: Any) -> None:
    with Client(srv.endpoints["control"]) as v:
        with Client(srv.endpoints["control"], role="engine") as eng:
            eng.request(m.CameraReport(rid=0, T_world_camera=POSE))
            v.wait_state(lambda s: bool(_camera_keys(s)))
        v.wait_state(lambda s: not _camera_keys(s))


def test_a_non_rigid_camera_pose_is_bad_request_naming_the_field(srv: Any) -> None:
    with Client(srv.endpoints["control"], role="engine") as eng:
        bad = (2.0, *POSE[1:])
        with pytest.raises(RemoteError) as err:
            eng.request(m.CameraReport(rid=0, T_world_camera=bad))
        assert err.value.code == "BAD_REQUEST" and err.value.field == "$.T_world_camera"
