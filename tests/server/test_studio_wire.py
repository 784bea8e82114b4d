"""The studio over the wire: version conflicts, transactions, undo/redo, branches with the frame cache,
roles, late joiners."""

from __future__ import annotations

import numpy as np
import pytest

from bridge.client_sync import Client
from bridge.errors import RemoteError
from bridge.protocol import messages as m
from bridge.world.scene import look_at

POSE = look_at((0.0, 1.7, 6.0), (0.0, 1.0, 0.0))


def test_conflicting_edits_from_two_directors_one_wins_the_other_gets_conflict_and_head(srv) -> None:  # type: ignore[no-untyped-def]
    ep = srv.endpoints["control"]
    with Client(ep, role="director", name="ann") as a, Client(ep, role="director", name="bob") as b:
        base = a.history(limit=1).head
        won = a.commit({"look": "noir"}, base_version=base, message="noir")
        with pytest.raises(RemoteError) as err:
            b.commit({"look": "vibrant"}, base_version=base)
        assert err.value.code == "CONFLICT" and f"version {won}" in err.value.message
        assert err.value.field == "$.base_version"
        # Re-applied on the version it was told about, the change goes through.
        assert b.commit({"look": "vibrant"}, base_version=won) == won + 1
        b.wait_state(lambda s: s.get("history.head") == won + 1 and s.get("look") == "vibrant")


def test_a_transaction_is_one_version_while_every_update_renders_live(srv) -> None:  # type: ignore[no-untyped-def]
    with Client(srv.endpoints["control"], role="director", name="ann") as c:
        st = c.open_stream(width=32, height=24)
        st.render(POSE)
        head = c.history(limit=1).head
        c.begin_edit()
        looks = ("noir", "vibrant", "documentary")
        for look in looks:
            c.update_edit({"look": look, "exposure_ev": -1.0})
            st.grant(1)
            frame = st.next_frame(10.0)  # the state change re-rendered the last pose
            assert frame.header.look == look
        assert c.history(limit=1).head == head  # nothing in history yet
        v = c.end_edit("drag")
        log = c.history(limit=2)
        assert v == head + 1 and log.head == v
        assert log.versions[0].kind == "transaction"
        assert log.versions[0].changes == {"look": "documentary", "exposure_ev": -1.0}


def test_undo_and_redo_over_the_wire_restore_the_live_values(srv) -> None:  # type: ignore[no-untyped-def]
    with Client(srv.endpoints["control"], role="director") as c:
        c.set_params({"exposure_ev": 1.0})
        c.set_params({"exposure_ev": 2.0})
        c.undo()
        c.wait_state(lambda s: s.get("exposure_ev") == 1.0)
        c.undo()
        c.wait_state(lambda s: s.get("exposure_ev") == 0.0)
        v = c.redo()
        c.wait_state(lambda s: s.get("exposure_ev") == 1.0 and s.get("history.head") == v)
        assert c.history(limit=1).versions[0].kind == "redo"


def test_switching_branches_at_a_seen_pose_is_a_cache_hit_with_identical_bytes(srv) -> None:  # type: ignore[no-untyped-def]
    with Client(srv.endpoints["control"], role="director") as c:
        c.branch("noir")
        st = c.open_stream(width=64, height=48)
        first = st.render(POSE)
        c.checkout("noir")
        c.set_params({"look": "noir"}, message="noir grade")
        st.grant(1)
        noir = st.next_frame(10.0)
        while noir.header.look != "noir":
            st.grant(1)
            noir = st.next_frame(10.0)
        hits = srv.call(lambda s: s.studio.cache.stats().hits)
        c.checkout("main")
        c.wait_state(lambda s: s.get("look") == "neutral" and s.get("history.branch") == "main")
        back = st.render(POSE)
        assert back.header.look == "neutral"
        assert srv.call(lambda s: s.studio.cache.stats().hits) > hits
        assert np.array_equal(back.color, first.color) and np.array_equal(back.depth, first.depth)
        assert c.diff("main", "noir") == {"look": ("neutral", "noir")}


def test_a_cache_miss_renders_and_a_hit_returns_the_identical_frame(srv) -> None:  # type: ignore[no-untyped-def]
    with Client(srv.endpoints["control"]) as c:
        st = c.open_stream(width=48, height=32)
        a = st.render(POSE)
        stats = srv.call(lambda s: s.studio.cache.stats())
        assert stats.misses >= 1 and stats.entries >= 1
        b = st.render(POSE)
        assert srv.call(lambda s: s.studio.cache.stats().hits) == stats.hits + 1
        assert b.header.pose_id > a.header.pose_id and b.header.seq == a.header.seq + 1
        assert b.color.tobytes() == a.color.tobytes() and b.depth.tobytes() == a.depth.tobytes()
        other = look_at((1.0, 1.7, 6.0), (0.0, 1.0, 0.0))
        st.render(other)
        assert srv.call(lambda s: s.studio.cache.stats().misses) == stats.misses + 1


MUTATING = [
    m.SetParams(rid=0, values={"look": "noir"}),
    m.Edit(rid=0, action="begin"),
    m.Edit(rid=0, action="update", values={"look": "noir"}),
    m.Edit(rid=0, action="end"),
    m.Edit(rid=0, action="abort"),
    m.Undo(rid=0),
    m.Redo(rid=0),
    m.Branch(rid=0, name="mine"),
    m.Checkout(rid=0, ref="main"),
    m.SavePreset(rid=0, name="p"),
    m.ApplyPreset(rid=0, name="p"),
    m.Generate(rid=0, spec="x"),
]


def test_a_viewer_gets_forbidden_for_every_mutating_message_and_may_read(srv) -> None:  # type: ignore[no-untyped-def]
    with Client(srv.endpoints["control"], role="viewer") as v:
        head = v.history().head
        for req in MUTATING:
            with pytest.raises(RemoteError) as err:
                v.request(req)
            assert err.value.code == "FORBIDDEN", m.tag_of(type(req))
        assert v.history().head == head
        assert v.presets() == {}
        assert v.diff("main", "main") == {}
        assert [r["name"] for r in v.param_schema()][:2] == ["time_of_day", "sun_azimuth"]


def test_bad_values_and_server_keys_are_refused_with_a_typed_error(srv) -> None:  # type: ignore[no-untyped-def]
    with Client(srv.endpoints["control"], role="director") as c:
        with pytest.raises(RemoteError) as err:
            c.set_params({"exposure_ev": 99.0})
        assert err.value.code == "BAD_REQUEST" and err.value.field == "$.values.exposure_ev"
        with pytest.raises(RemoteError) as err:
            c.set_params({"exposre_ev": 1.0})
        assert err.value.code == "BAD_REQUEST" and "exposure_ev" in err.value.message
        with pytest.raises(RemoteError) as err:
            c.set_params({"camera.abc": 1.0})
        assert err.value.code == "FORBIDDEN"


def test_presets_save_and_apply_as_one_version(srv) -> None:  # type: ignore[no-untyped-def]
    with Client(srv.endpoints["control"], role="director") as c:
        c.save_preset("dusk", {"time_of_day": 19.5, "look": "vibrant"})
        assert c.presets() == {"dusk": {"time_of_day": 19.5, "look": "vibrant"}}
        v = c.apply_preset("dusk")
        c.wait_state(lambda s: s.get("time_of_day") == 19.5 and s.get("history.head") == v)
        assert c.history(limit=1).versions[0].kind == "preset"


def test_a_late_joiner_sees_the_same_studio_state_as_the_others(srv) -> None:  # type: ignore[no-untyped-def]
    ep = srv.endpoints["control"]
    with Client(ep, role="director", name="ann") as a:
        a.branch("noir")
        a.checkout("noir")
        for i in range(10):
            a.set_params({"exposure_ev": -i / 10})
        a.wait_state(lambda s: s.get("exposure_ev") == -0.9)
        with Client(ep, name="late") as b:
            b.wait_state(lambda s: s.get("exposure_ev") == -0.9)
            a.wait_state(lambda s: any(v == "late (viewer)" for v in s.values()))
            assert a.state == b.state
            assert b.state["history.branch"] == "noir" and b.state["history.head"] == a.version
