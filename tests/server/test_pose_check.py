"""The per-request pose check (plain float arithmetic, it runs for every pose request) accepts and
rejects exactly what the numpy formulation it replaced did: finite, last row 0 0 0 1 within 1e-6,
R·Rᵀ = I within 1e-3 (`np.allclose` with its default rtol), translation within 10,000 km."""

from __future__ import annotations

import numpy as np

from bridge.server.control import _check_pose_matrix


def _reference(mat: tuple[float, ...]) -> str | None:
    a = np.asarray(mat, np.float64).reshape(4, 4)
    with np.errstate(all="ignore"):
        if not np.all(np.isfinite(a)):
            return "nan"
        r = a[:3, :3]
        if not np.allclose(a[3], (0, 0, 0, 1), atol=1e-6) or not np.allclose(r @ r.T, np.eye(3), atol=1e-3):
            return "rigid"
        if float(np.abs(a[:3, 3]).max()) > 1e7:
            return "far"
    return None


def _kind(mat: tuple[float, ...]) -> str | None:
    err = _check_pose_matrix(7, mat, "$.T_world_camera")
    if err is None:
        return None
    assert err.rid == 7 and err.field == "$.T_world_camera" and err.code.value == "BAD_REQUEST"
    return "nan" if "NaN" in err.message else "rigid" if "rigid" in err.message else "far"


def test_the_pose_check_matches_the_numpy_reference_on_random_and_borderline_poses() -> None:
    rng = np.random.default_rng(2)
    kinds = set()
    for _ in range(8_000):
        q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
        T = np.eye(4)
        T[:3, :3] = q
        T[:3, 3] = rng.normal(size=3) * 10 ** rng.uniform(0, 8)
        case = rng.integers(0, 7)
        if case == 1:  # a small error anywhere
            T[rng.integers(0, 4), rng.integers(0, 4)] += rng.normal() * 10 ** rng.uniform(-8, -2)
        elif case == 2:  # around the last row's tolerance
            T[3, rng.integers(0, 4)] += rng.choice([-1, 1]) * 10 ** rng.uniform(-7, -4.5)
        elif case == 3:
            T[rng.integers(0, 4), rng.integers(0, 4)] = rng.choice([np.nan, np.inf, -np.inf])
        elif case == 4:  # a scaled rotation around the 1e-3 tolerance
            T[:3, :3] *= 1 + rng.normal() * 10 ** rng.uniform(-6, -2)
        elif case == 5:  # overflow in R·Rᵀ
            T[rng.integers(0, 3), rng.integers(0, 3)] = rng.choice([1e200, -1e160, 1e155])
        mat = tuple(float(x) for x in T.ravel())
        expected = _reference(mat)
        assert _kind(mat) == expected, mat
        kinds.add(expected)
    assert kinds == {None, "nan", "rigid", "far"}


def test_a_stream_that_holds_still_skips_the_matrix_check_but_a_new_pose_is_checked() -> None:
    """`check_pose` remembers the last matrix that passed on each stream; anything else is checked."""
    from types import SimpleNamespace

    from bridge.protocol import messages as m
    from bridge.server.control import check_pose

    server = SimpleNamespace(limits=SimpleNamespace(max_width=8192, max_height=8192, max_pixels=1 << 26))
    st = SimpleNamespace(rigid_ok=(), spec=SimpleNamespace(near=0.1, far=100.0))
    good = tuple(float(x) for x in np.eye(4).ravel())
    bad = (2.0, *good[1:])  # scaled: not rigid

    def check(mat: tuple[float, ...]) -> m.Error | None:
        req = m.PoseRequest(stream=1, pose_id=3, T_world_camera=mat, t_pose_ns=1)
        return check_pose(server, st, req)  # type: ignore[arg-type]

    assert check(good) is None and st.rigid_ok == good
    err = check(bad)
    assert err is not None and err.field == "$.T_world_camera" and "rigid" in err.message
    assert st.rigid_ok == good  # a failed check does not replace the remembered pose
    assert check(good) is None
    nan = (float("nan"), *good[1:])
    assert check(nan) is not None and check(nan) is not None
