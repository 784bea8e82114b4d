"""Version history on a real SQLite file: commit, log, diff, branches, checkout, undo/redo,
transactions, presets, durability settings and reopening."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from bridge.errors import ConfigError, ProtocolError
from bridge.studio import History, defaults


def test_new_history_has_a_root_version_with_defaults_on_main(history: History) -> None:
    root = history.head
    assert root.id == 1 and root.parents == () and root.kind == "init"
    assert root.values == defaults()
    assert history.current_branch == "main" and history.branches() == {"main": 1}


def test_commit_records_author_message_changes_and_full_values(history: History) -> None:
    v = history.commit({"exposure_ev": 1, "look": "noir"}, "ann", "darker noir")
    assert (v.author, v.message, v.parents, v.branch) == ("ann", "darker noir", (1,), "main")
    assert v.changes == {"exposure_ev": 1.0, "look": "noir"}
    assert v.values == {**defaults(), "exposure_ev": 1.0, "look": "noir"}
    assert history.head == v and history.branches()["main"] == v.id


def test_commit_of_invalid_values_writes_nothing(history: History) -> None:
    with pytest.raises(ProtocolError, match="grain"):
        history.commit({"grain": 2.0}, "ann")
    assert history.head.id == 1


def test_commit_that_changes_nothing_makes_no_version(history: History) -> None:
    v = history.commit({"look": "neutral"}, "ann")
    assert v.id == 1 and history.log() == [v]


def test_stale_base_version_gets_conflict_naming_the_current_version(history: History) -> None:
    v2 = history.commit({"grain": 0.1}, "ann", base=1)
    with pytest.raises(ProtocolError) as info:
        history.commit({"grain": 0.2}, "bob", base=1)
    assert info.value.code == "CONFLICT" and f"version {v2.id}" in info.value.message
    assert history.head.id == v2.id


def test_log_follows_first_parents_newest_first_with_limit(history: History) -> None:
    ids = [history.commit({"seed": i}, "ann", f"seed {i}").id for i in range(1, 6)]
    assert [v.id for v in history.log()] == [*reversed(ids), 1]
    assert [v.id for v in history.log(limit=2)] == list(reversed(ids))[:2]
    assert [v.id for v in history.log(ids[1])] == [ids[1], ids[0], 1]


def test_diff_lists_only_differing_params_as_old_new(history: History) -> None:
    a = history.commit({"look": "noir", "grain": 0.3}, "ann")
    b = history.commit({"grain": 0.6, "exposure_ev": -1}, "ann")
    assert history.diff(a.id, b.id) == {"grain": (0.3, 0.6), "exposure_ev": (0.0, -1.0)}
    assert history.diff(b.id, b.id) == {}


def test_branch_then_commit_makes_a_dag_with_correct_parents(history: History) -> None:
    base = history.commit({"exposure_ev": 0.5}, "ann", "base grade")
    history.branch("noir")
    history.branch("vibrant", from_version=base.id)
    assert history.checkout("noir") == base.values and history.current_branch == "noir"
    n1 = history.commit({"look": "noir"}, "ann", "noir look")
    history.checkout("vibrant")
    v1 = history.commit({"look": "vibrant"}, "bob", "vibrant look")
    assert n1.parents == (base.id,) and v1.parents == (base.id,)
    assert n1.branch == "noir" and v1.branch == "vibrant"
    assert history.branches() == {"main": base.id, "noir": n1.id, "vibrant": v1.id}
    assert history.diff("noir", "vibrant") == {"look": ("noir", "vibrant")}
    assert [v.id for v in history.log("noir")] == [n1.id, base.id, 1]


def test_checkout_of_a_version_id_detaches_head_and_commits_do_not_move_branches(history: History) -> None:
    v2 = history.commit({"seed": 2}, "ann")
    history.commit({"seed": 3}, "ann")
    assert history.checkout(v2.id)["seed"] == 2 and history.current_branch is None
    v4 = history.commit({"seed": 4}, "ann")
    assert v4.parents == (v2.id,) and v4.branch is None and history.head.id == v4.id
    assert history.branches()["main"] == 3


def test_branch_errors_name_the_problem(history: History) -> None:
    history.branch("noir")
    with pytest.raises(ProtocolError, match="already exists"):
        history.branch("noir")
    with pytest.raises(ProtocolError, match="must start with a letter"):
        history.branch("12")
    with pytest.raises(ProtocolError) as info:
        history.checkout("documentary")
    assert info.value.code == "NOT_FOUND" and "noir" in (info.value.hint or "")
    with pytest.raises(ProtocolError, match="checked out"):
        history.delete_branch("main")
    history.delete_branch("noir")
    assert list(history.branches()) == ["main"]


def test_undo_restores_parent_values_as_a_new_version(history: History) -> None:
    history.commit({"exposure_ev": 1}, "ann")
    v3 = history.commit({"look": "noir"}, "bob")
    u = history.undo("ann")
    assert u.kind == "undo" and u.parents == (v3.id,) and u.id > v3.id
    assert u.values["look"] == "neutral" and u.values["exposure_ev"] == 1.0
    assert u.changes == {"look": "neutral"}


def test_repeated_undo_walks_back_and_redo_reapplies_in_order(history: History) -> None:
    states = [history.commit({"seed": i}, "ann").values for i in (1, 2, 3)]
    assert history.undo("ann").values == states[1]
    assert history.undo("ann").values == states[0]
    assert history.redo("ann").values == states[1]
    assert history.redo("ann").values == states[2]
    with pytest.raises(ProtocolError, match="nothing to redo"):
        history.redo("ann")
    assert history.undo("ann").values == states[1]  # undo after redo undoes the redone change


def test_new_change_after_undo_clears_redo_and_undo_continues_past_it(history: History) -> None:
    history.commit({"seed": 1}, "ann")
    history.commit({"seed": 2}, "ann")
    history.undo("ann")
    history.commit({"grain": 0.5}, "ann")
    with pytest.raises(ProtocolError, match="nothing to redo"):
        history.redo("ann")
    assert history.undo("ann").values == {**defaults(), "seed": 1}
    assert history.undo("ann").values == defaults()
    with pytest.raises(ProtocolError, match="nothing to undo"):
        history.undo("ann")


def test_transaction_collapses_many_updates_into_one_version(history: History) -> None:
    history.begin("ann")
    for i in range(50):
        assert history.update("ann", {"exposure_ev": i / 10}) == {"exposure_ev": i / 10}
    assert history.head.id == 1  # nothing committed while dragging
    v = history.end("ann", "exposure drag")
    assert v.kind == "transaction" and v.parents == (1,) and v.changes == {"exposure_ev": 4.9}
    assert [x.id for x in history.log()] == [v.id, 1]
    assert history.undo("ann").values["exposure_ev"] == 0.0  # one undo step for the whole drag


def test_transactions_are_per_author_and_abort_returns_values_to_restore(history: History) -> None:
    history.begin("ann")
    history.begin("bob")
    history.update("ann", {"grain": 0.4})
    history.update("bob", {"vignette": 0.7})
    assert history.abort("bob") == {"vignette": 0.0}
    assert history.end("ann").changes == {"grain": 0.4}
    with pytest.raises(ProtocolError, match="no open transaction"):
        history.update("bob", {"vignette": 0.1})


def test_transaction_update_is_validated(history: History) -> None:
    history.begin("ann")
    with pytest.raises(ProtocolError, match="vignette"):
        history.update("ann", {"vignette": 3})


def test_presets_save_load_list_apply_and_report_missing(history: History) -> None:
    history.save_preset("noir_night", {"look": "noir", "time_of_day": 22}, author="ann")
    history.commit({"grain": 0.2}, "ann")
    history.save_preset("current")
    assert history.load_preset("noir_night") == {"look": "noir", "time_of_day": 22.0}
    assert set(history.presets()) == {"current", "noir_night"}
    v = history.apply_preset("noir_night", "bob")
    assert v.kind == "preset" and v.values["grain"] == 0.2 and v.values["look"] == "noir"
    with pytest.raises(ProtocolError) as info:
        history.load_preset("vibrant")
    assert info.value.code == "NOT_FOUND" and "noir_night" in info.value.hint
    history.delete_preset("current")
    assert list(history.presets()) == ["noir_night"]


def test_database_uses_wal_and_synchronous_full(history: History, tmp_path: Path) -> None:
    assert history.settings() == {"journal_mode": "wal", "synchronous": "FULL"}
    with sqlite3.connect(tmp_path / "history.db") as other:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # stored in the file
        assert other.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0] == "1"
    other.close()


def test_reopening_sees_every_version_branch_preset_and_head(
    open_history: Callable[..., History], tmp_path: Path
) -> None:
    h = open_history()
    v2 = h.commit({"look": "noir"}, "ann", "noir")
    h.branch("documentary")
    h.checkout("documentary")
    v3 = h.commit({"grain": 0.1}, "bob")
    h.save_preset("p", {"seed": 7})
    h.close()
    again = open_history()
    assert again.current_branch == "documentary" and again.head == v3
    assert again.get(v2.id) == v2 and again.branches() == {"main": v2.id, "documentary": v3.id}
    assert again.load_preset("p") == {"seed": 7}


def test_readonly_reader_sees_writer_commits_and_cannot_write(open_history: Callable[..., History]) -> None:
    writer = open_history()
    reader = open_history(readonly=True)
    v = writer.commit({"seed": 42}, "ann")
    assert reader.head == v
    with pytest.raises(ConfigError, match="read-only"):
        reader.commit({"seed": 1}, "ann")


def test_newer_schema_file_is_refused_with_a_clear_error(
    open_history: Callable[..., History], tmp_path: Path
) -> None:
    open_history().close()
    with sqlite3.connect(tmp_path / "history.db") as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    db.close()
    with pytest.raises(ConfigError, match="schema 99.*upgrade vpbridge"):
        History(tmp_path / "history.db")


def test_initial_values_seed_a_new_history(open_history: Callable[..., History]) -> None:
    assert open_history(initial={"look": "vibrant"}).values["look"] == "vibrant"


def test_bad_open_arguments_are_refused_naming_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="synchronous"):
        History(tmp_path / "h.db", synchronous="OFF")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="no history at"):
        History(tmp_path / "missing.db", readonly=True)
