"""Shared bookmarks: a client (any role: a scout in a headset is a viewer) saves a named camera pose,
every other client sees it live on the state plane (`bookmark.<name>` + `bookmark_info.<name>`), a late
joiner in its snapshot; they are stored per scene in the history database and survive restarts and
kill -9; only the current scene's are published."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import bridge.server.bookmarks as bookmarks_mod
import bridge.world as world
from bridge.client import SharedBookmark, bookmarks_from_state
from bridge.client_sync import Client
from bridge.errors import RemoteError
from bridge.protocol import messages as m
from bridge.server import ServerConfig, ServerThread
from bridge.studio import History, StoredBookmark

POSE = (1.0, 0.0, 0.0, 0.5, 0.0, 1.0, 0.0, 1.7, 0.0, 0.0, 1.0, 3.0, 0.0, 0.0, 0.0, 1.0)
TINY_SPEC = 'name = "tiny_room"\nplace = "interior"\n'


def _bookmark_keys(values: dict[str, Any] | list[str]) -> set[str]:
    return {k for k in values if k.startswith(("bookmark.", "bookmark_info."))}


@pytest.fixture(scope="module")
def studio() -> world.Scene:
    return world.build_scene(world.load_spec("studio_set"))


@pytest.fixture
def scene_server(studio: world.Scene, tmp_path: Path) -> Iterator[ServerThread]:
    config = ServerConfig(port=0, history_path=tmp_path / "history.sqlite")
    with ServerThread(config, scene=studio) as srv:
        yield srv


def test_a_viewer_saves_a_bookmark_and_others_see_it_live_and_a_late_joiner_in_the_snapshot(
    scene_server: ServerThread,
) -> None:
    ep = scene_server.endpoints["control"]
    with Client(ep, name="scout-1", role="viewer") as scout, Client(ep, name="dir", role="director") as d:
        deltas: list[m.StateDelta] = []
        d.inner.on_state.append(lambda msg: isinstance(msg, m.StateDelta) and deltas.append(msg))
        resnapshots = d.inner.resnapshots
        seq = scout.save_bookmark(
            "north balcony",
            np.asarray(POSE).reshape(4, 4),
            fov_y_deg=42.5,
            note="glare at 18:00",
            kind="location",
        )
        # the saver's own followed state already holds it when save_bookmark returns
        assert scout.inner.state_seq >= seq and "north balcony" in scout.bookmarks()
        d.wait_state(lambda s: "bookmark.north balcony" in s)
        assert d.inner.resnapshots == resnapshots, "arrived as a delta, not by re-snapshotting"
        delta = next(x for x in deltas if _bookmark_keys(x.values))
        assert delta.seq == seq and delta.author == "scout-1"
        assert _bookmark_keys(delta.values) == {"bookmark.north balcony", "bookmark_info.north balcony"}
        assert d.state["bookmark.north balcony"] == [*POSE, 42.5]
        info = json.loads(str(d.state["bookmark_info.north balcony"]))
        assert {k: info[k] for k in ("kind", "note", "author")} == {
            "kind": "location",
            "note": "glare at 18:00",
            "author": "scout-1",
        }
        assert abs(info["time_ns"] - time.time_ns()) < 60e9
        b = d.bookmarks()["north balcony"]
        assert (b.name, b.T_world_camera, b.fov_y_deg, b.note, b.kind, b.author, b.shared) == (
            "north balcony",
            POSE,
            42.5,
            "glare at 18:00",
            "location",
            "scout-1",
            True,
        )
        assert b.pose.shape == (4, 4) and b.pose[1, 3] == 1.7
        with Client(ep, name="late", role="viewer") as late:
            assert late.bookmarks() == d.bookmarks() == scout.bookmarks()


def test_saving_a_name_again_replaces_it_and_any_role_may_save_and_delete(scene_server: ServerThread) -> None:
    ep = scene_server.endpoints["control"]
    with Client(ep, name="ue", role="engine") as eng, Client(ep, role="viewer") as v:
        eng.save_bookmark("crane-1", POSE)
        moved = (*POSE[:3], 9.0, *POSE[4:])
        v.save_bookmark("crane-1", moved, fov_y_deg=30.0)
        eng.wait_state(lambda s: s.get("bookmark.crane-1") == [*moved, 30.0])
        assert list(eng.bookmarks()) == ["crane-1"] and eng.bookmarks()["crane-1"].kind == "bookmark"
        eng.delete_bookmark("crane-1")
        v.wait_state(lambda s: not bookmarks_from_state(s))


def test_delete_propagates_as_one_delta_and_a_missing_one_is_not_found(scene_server: ServerThread) -> None:
    ep = scene_server.endpoints["control"]
    with Client(ep, role="viewer") as a, Client(ep, role="viewer") as b:
        a.save_bookmark("stairs", POSE, note="x")
        a.save_bookmark("roof", POSE)
        b.wait_state(lambda s: "bookmark.roof" in s)
        deltas: list[m.StateDelta] = []
        b.inner.on_state.append(lambda msg: isinstance(msg, m.StateDelta) and deltas.append(msg))
        seq = a.delete_bookmark("stairs")
        b.wait_state(lambda s: "bookmark.stairs" not in s)
        delta = next(x for x in deltas if x.seq == seq)
        assert set(delta.removed) == {"bookmark.stairs", "bookmark_info.stairs"} and not delta.values
        assert _bookmark_keys(b.state) == {"bookmark.roof", "bookmark_info.roof"}
        with pytest.raises(RemoteError) as err:
            b.delete_bookmark("stairs")
        assert (err.value.code, err.value.field) == ("NOT_FOUND", "$.name")
        assert err.value.hint is not None and "roof" in err.value.hint


@pytest.mark.parametrize(
    "name", ["", " lead", "trailing ", "a/b", "semi;colon", "x" * 65, "_under", "tab\there", "new\nline"]
)
def test_bad_names_are_bad_request_naming_the_field(srv: Any, name: str) -> None:
    with Client(srv.endpoints["control"]) as c, pytest.raises(RemoteError) as err:
        c.save_bookmark(name, POSE)
    assert (err.value.code, err.value.field) == ("BAD_REQUEST", "$.name")


def test_names_in_any_script_with_dots_and_spaces_are_fine(srv: Any) -> None:
    with Client(srv.endpoints["control"]) as c:
        for name in ("Küche 2", "北の階段", "v1.2-wide_b", "9"):
            c.save_bookmark(name, POSE)
        assert set(c.bookmarks()) == {"Küche 2", "北の階段", "v1.2-wide_b", "9"}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": 5}, "$.name"),
        ({"name": None}, "$.name"),
        ({"T_world_camera": POSE[:15]}, "$.T_world_camera"),
        ({"T_world_camera": "identity"}, "$.T_world_camera"),
        ({"T_world_camera": (2.0, *POSE[1:])}, "$.T_world_camera"),  # not rigid
        ({"T_world_camera": (float("nan"), *POSE[1:])}, "$.T_world_camera"),
        ({"T_world_camera": (*POSE[:3], 1e8, *POSE[4:])}, "$.T_world_camera"),  # 100,000 km away
        ({"fov_y_deg": "wide"}, "$.fov_y_deg"),
        ({"fov_y_deg": 0.0}, "$.fov_y_deg"),
        ({"fov_y_deg": 200.0}, "$.fov_y_deg"),
        ({"fov_y_deg": float("nan")}, "$.fov_y_deg"),
        ({"note": 3}, "$.note"),
        ({"note": "n" * 4097}, "$.note"),
        ({"kind": "Shot!"}, "$.kind"),
        ({"kind": ""}, "$.kind"),
        ({"kind": 1}, "$.kind"),
    ],
)
def test_wrong_types_and_values_are_typed_errors_naming_the_field(
    srv: Any, fields: dict[str, Any], field: str
) -> None:
    req = {"rid": 0, "name": "spot", "T_world_camera": POSE, **fields}
    with Client(srv.endpoints["control"]) as c:
        with pytest.raises(RemoteError) as err:
            c.request(m.SaveBookmark(**req))
        assert (err.value.code, err.value.field) == ("BAD_REQUEST", field)
        assert c.bookmarks() == {}


@pytest.mark.parametrize(
    ("name", "field"), [(5, "$.name"), ("x" * 129, "$.name"), ("a/b", "$.name"), ("", "$.name")]
)
def test_deleting_under_a_bad_name_is_bad_request(srv: Any, name: Any, field: str) -> None:
    with Client(srv.endpoints["control"]) as c, pytest.raises(RemoteError) as err:
        c.request(m.DeleteBookmark(rid=0, name=name))
    assert (err.value.code, err.value.field) == ("BAD_REQUEST", field)


def test_a_huge_note_is_a_typed_error_and_the_server_goes_on(srv: Any, raw: Any) -> None:
    with Client(srv.endpoints["control"]) as c:
        with pytest.raises(RemoteError) as err:
            c.save_bookmark("spot", POSE, note="n" * 100_000)
        assert (err.value.code, err.value.field) == ("BAD_REQUEST", "$.note")
        # past Limits.max_message_bytes: refused before decoding (rid 0, docs/protocol.md §12)
        r = raw(srv.endpoints["control"])
        r.send(m.Hello(rid=1, protocol=m.PROTOCOL_VERSION))
        assert isinstance(r.recv_control(), m.Welcome)
        r.send(m.SaveBookmark(rid=2, name="spot", T_world_camera=POSE, note="n" * (2 << 20)))
        reply = r.recv_control()
        assert isinstance(reply, m.Error) and reply.code is m.ErrorCode.TOO_LARGE
        c.save_bookmark("spot", POSE, note="n" * 4096)
        assert c.bookmarks()["spot"].note == "n" * 4096


def test_a_scene_bookmark_name_is_a_conflict_and_the_scene_ones_are_listed(
    scene_server: ServerThread, studio: world.Scene
) -> None:
    with Client(scene_server.endpoints["control"], role="viewer") as c:
        own = c.scene_bookmarks()
        assert set(own) == {b.name for b in studio.bookmarks} and "set_wide" in own
        wide = next(b for b in studio.bookmarks if b.name == "set_wide")
        assert own["set_wide"].shared is False and own["set_wide"].kind == wide.kind
        assert np.allclose(own["set_wide"].pose, wide.T_world_camera, atol=1e-4)
        for name in ("set_wide", "spawn", "sofa_closeup"):
            for call in (lambda n: c.save_bookmark(n, POSE), c.delete_bookmark):
                with pytest.raises(RemoteError) as err:
                    call(name)
                assert (err.value.code, err.value.field) == ("CONFLICT", "$.name")
        c.save_bookmark("Set_Wide", POSE)  # names are case-sensitive, like every other key
        assert set(c.bookmarks()) == {"Set_Wide"}
        assert not set(c.bookmarks()) & set(own)


def test_a_server_without_a_scene_has_no_scene_bookmarks_but_shares_bookmarks(srv: Any) -> None:
    with Client(srv.endpoints["control"]) as c:
        assert c.scene_bookmarks() == {}
        c.save_bookmark("spot", POSE)
        assert list(c.bookmarks()) == ["spot"]


def test_clients_may_not_write_bookmark_keys_with_set_params(srv: Any) -> None:
    with Client(srv.endpoints["control"], role="director") as d:
        for key in ("bookmark.x", "bookmark_info.x"):
            with pytest.raises(RemoteError) as err:
                d.set_params({key: [0.0] * 17})
            assert (err.value.code, err.value.field) == ("FORBIDDEN", f"$.values.{key}")


def test_a_scene_holds_a_bounded_number_of_shared_bookmarks(
    srv: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bookmarks_mod, "MAX_PER_SCENE", 3)
    with Client(srv.endpoints["control"]) as c:
        for i in range(3):
            c.save_bookmark(f"b{i}", POSE)
        with pytest.raises(RemoteError) as err:
            c.save_bookmark("b3", POSE)
        assert err.value.code == "RATE_LIMITED"
        c.save_bookmark("b0", POSE, note="replacing one is fine")
        c.delete_bookmark("b1")
        c.save_bookmark("b3", POSE)
        assert set(c.bookmarks()) == {"b0", "b2", "b3"}


def test_bookmarks_survive_a_server_restart_on_the_same_history(studio: world.Scene, tmp_path: Path) -> None:
    config = ServerConfig(port=0, history_path=tmp_path / "history.sqlite")
    with ServerThread(config, scene=studio) as srv, Client(srv.endpoints["control"], reconnect=False) as c:
        c.save_bookmark("keep", POSE, note="stays", kind="location")
        c.save_bookmark("drop", POSE)
        c.delete_bookmark("drop")
        before = c.bookmarks()
    config = ServerConfig(port=0, history_path=tmp_path / "history.sqlite")
    with ServerThread(config, scene=studio) as srv, Client(srv.endpoints["control"]) as c:
        assert c.bookmarks() == before and set(before) == {"keep"}
        assert c.bookmarks()["keep"].note == "stays"


def test_an_acknowledged_bookmark_survives_kill_9(tmp_path: Path) -> None:
    history, ready = tmp_path / "history.sqlite", tmp_path / "ready.json"

    def serve() -> subprocess.Popen[str]:
        ready.unlink(missing_ok=True)
        proc = subprocess.Popen([sys.executable, "-m", "bridge.cli", "serve", "--port", "0", "--source",
                                 "testpattern", "--history", str(history), "--ready-file", str(ready)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        return proc

    procs = [serve()]
    try:
        ep = json.loads(ready.read_text())["control"]
        with Client(ep, role="viewer", reconnect=False, timeout=30.0) as c:
            c.save_bookmark("before the crash", POSE, note="acknowledged")
            procs[0].kill()  # no goodbye, no clean close of SQLite
        procs[0].wait(10)
        assert procs[0].returncode == -9
        procs.append(serve())
        with Client(json.loads(ready.read_text())["control"], timeout=30.0) as c:
            assert c.bookmarks()["before the crash"].note == "acknowledged"
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.communicate()


def test_only_the_current_scenes_bookmarks_are_published_and_they_come_back_with_it(
    scene_server: ServerThread,
) -> None:
    ep = scene_server.endpoints["control"]
    with Client(ep, name="dir", role="director") as d, Client(ep, name="scout", role="viewer") as v:
        v.save_bookmark("studio spot", POSE)
        d.wait_state(lambda s: "bookmark.studio spot" in s)
        deltas: list[m.StateDelta] = []
        v.inner.on_state.append(lambda msg: isinstance(msg, m.StateDelta) and deltas.append(msg))
        v0 = v.inner.scene_version
        d.generate(spec_toml=TINY_SPEC, timeout=120)
        v.wait_state(lambda s: s.get("scene.name") == "tiny_room")
        # the delta that switches the scene also drops the old scene's bookmarks: never mixed
        switch = next(x for x in deltas if x.scene_version == v0 + 1)
        assert set(switch.removed) == {"bookmark.studio spot", "bookmark_info.studio spot"}
        assert v.bookmarks() == {}
        v.save_bookmark("tiny spot", POSE)
        # the same scene name again (rebuilt, another seed): its shared bookmarks come back
        d.generate(spec="studio_set", seed=3, timeout=120)
        v.wait_state(lambda s: s.get("scene.name") == "studio_set")
        assert set(v.bookmarks()) == {"studio spot"}
        with Client(ep, role="viewer") as late:
            assert set(late.bookmarks()) == {"studio spot"}
            with pytest.raises(RemoteError) as err:
                late.delete_bookmark("tiny spot")  # belongs to tiny_room, not the current scene
            assert err.value.code == "NOT_FOUND"


def test_bookmarks_from_state_skips_malformed_entries_and_reads_forward_compatibly() -> None:
    state: dict[str, m.ParamValue] = {
        "bookmark.ok": [*POSE, 50.0],
        "bookmark_info.ok": json.dumps({"kind": "shot", "note": "n", "author": "a", "time_ns": 5, "new": 1}),
        "bookmark.longer": [*POSE, 50.0, 1.0, 2.0],  # a later version appended floats
        "bookmark.short": [1.0, 2.0],
        "bookmark.text": "not a pose",
        "bookmark.bad_info": [*POSE, 70.0],
        "bookmark_info.bad_info": "{not json",
        "bookmark_info.orphan": "{}",
        "camera.abcd1234": [*POSE, 35.0, 2.8, 10.0, 36.0, 24.0],
        "look": "noir",
    }
    got = bookmarks_from_state(state)
    assert list(got) == ["bad_info", "longer", "ok"]
    assert got["ok"] == SharedBookmark("ok", POSE, 50.0, "n", "shot", "a", 5)
    assert got["longer"].fov_y_deg == 50.0 and got["longer"].kind == "bookmark"
    assert (got["bad_info"].fov_y_deg, got["bad_info"].note) == (70.0, "")


def test_history_stores_bookmarks_per_scene_and_old_files_gain_the_table(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    with History(path) as h:
        h.save_bookmark("a", StoredBookmark("x", POSE, 40.0, "note", "shot", "ann", 7))
        h.save_bookmark("a", StoredBookmark("x", POSE, 50.0))  # replaces
        h.save_bookmark("b", StoredBookmark("x", POSE))
        assert h.bookmarks("a")["x"].fov_y_deg == 50.0 and h.bookmarks("a")["x"].time_ns > 0
        assert list(h.bookmarks("b")) == ["x"] and h.bookmarks("c") == {}
        assert h.delete_bookmark("a", "x") and not h.delete_bookmark("a", "x")
        assert list(h.bookmarks("b")) == ["x"]
        with History(path, readonly=True) as reader:  # another process sees committed rows (WAL)
            assert reader.bookmarks("b")["x"].T_world_camera == POSE
    with sqlite3.connect(path) as db:  # a file from before bookmarks existed
        db.execute("DROP TABLE bookmarks")
    with History(path, readonly=True) as reader:
        assert reader.bookmarks("b") == {}
    with History(path) as h:  # a writer's open adds the table; the history itself is untouched
        assert h.bookmarks("b") == {} and h.head.id == 1
        h.save_bookmark("b", StoredBookmark("y", POSE))
        assert list(h.bookmarks("b")) == ["y"]
