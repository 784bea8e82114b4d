"""Suggested bindings: every path is in the OpenXR 1.0 interaction-profile tables (transcribed here
from the core specification, independently of the module), fits its action's type by the spec's
suggested-binding rules, no two actions live in one mode share an input, and the simple controller
reaches every tool through its mode cycle."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from vpbridge_xr.bindings import (
    ACTIONS,
    PROFILES,
    TOOL_ACTIONS,
    ModeCycle,
    action,
    active_actions,
    bindings_table_markdown,
    subaction_paths,
    suggested_bindings,
)

SIMPLE = "/interaction_profiles/khr/simple_controller"
TOUCH = "/interaction_profiles/oculus/touch_controller"
INDEX = "/interaction_profiles/valve/index_controller"
L, R = "/user/hand/left", "/user/hand/right"

# OpenXR 1.0 core spec, "Interaction Profile Paths" (semantic_paths.adoc), the 1.0 components only.
_SIMPLE_COMPONENTS = ["select/click", "menu/click", "grip/pose", "aim/pose"]
_TOUCH_BOTH = [
    "squeeze/value",
    "trigger/value",
    "trigger/touch",
    "thumbstick/x",
    "thumbstick/y",
    "thumbstick/click",
    "thumbstick/touch",
    "thumbrest/touch",
    "grip/pose",
    "aim/pose",
]
_INDEX_BOTH = [
    "system/click",
    "system/touch",
    "a/click",
    "a/touch",
    "b/click",
    "b/touch",
    "squeeze/value",
    "squeeze/force",
    "trigger/click",
    "trigger/value",
    "trigger/touch",
    "thumbstick/x",
    "thumbstick/y",
    "thumbstick/click",
    "thumbstick/touch",
    "trackpad/x",
    "trackpad/y",
    "trackpad/force",
    "trackpad/touch",
    "grip/pose",
    "aim/pose",
]


def _table(both: list[str], left_only: tuple[str, ...] = (), right_only: tuple[str, ...] = ()) -> set[str]:
    out = {f"{h}/input/{c}" for h in (L, R) for c in both} | {f"{h}/output/haptic" for h in (L, R)}
    return out | {f"{L}/input/{c}" for c in left_only} | {f"{R}/input/{c}" for c in right_only}


SPEC: dict[str, set[str]] = {
    SIMPLE: _table(_SIMPLE_COMPONENTS),
    TOUCH: _table(
        _TOUCH_BOTH,
        left_only=("x/click", "x/touch", "y/click", "y/touch", "menu/click"),
        right_only=("a/click", "a/touch", "b/click", "b/touch", "system/click"),
    ),
    INDEX: _table(_INDEX_BOTH),
}
NOT_FOR_APPS = {"system/click", "system/touch"}  # "may not be available for application use"

# well-formed path strings (spec "Well-Formed Path Strings"): a-z 0-9 - _ . and single slashes
WELL_FORMED = re.compile(r"^(/[a-z0-9_.-]+)+$")


def _valid_for(profile: str, path: str, kind: str) -> bool:
    """The spec's suggested-binding rules: a leaf in the table, or (vector2f) a parent of x and y."""
    table = SPEC[profile]
    if kind == "vector2f":
        return f"{path}/x" in table and f"{path}/y" in table
    if path not in table:
        return False
    leaf = path.rsplit("/", 1)[1]
    return {
        "boolean": leaf in {"click", "touch", "value", "force"},  # scalars are thresholded
        "float": leaf in {"value", "force", "x", "y", "click"},
        "pose": leaf == "pose",
        "vibration": path.endswith("/output/haptic"),
    }[kind]


def test_profiles_and_actions_are_well_formed() -> None:
    assert set(PROFILES) == set(suggested_bindings()) == {SIMPLE, TOUCH, INDEX}
    names = [a.name for a in ACTIONS]
    assert len(names) == len(set(names)) and len({a.label for a in ACTIONS}) == len(ACTIONS)
    for a in ACTIONS:
        assert re.fullmatch(r"[a-z0-9_.-]+", a.name), a.name  # one level of a path
        assert a.description and a.label
    for profile, pairs in suggested_bindings().items():
        assert WELL_FORMED.match(profile)
        assert len(pairs) == len(set(pairs))
        for _, path in pairs:
            assert WELL_FORMED.match(path) and len(path) < 256, path


@pytest.mark.parametrize("profile", [SIMPLE, TOUCH, INDEX])
def test_every_path_is_in_the_spec_table_and_fits_its_action_type(profile: str) -> None:
    for name, path in suggested_bindings()[profile]:
        kind = action(name).type
        assert _valid_for(profile, path, kind), f"{profile}: {name} ({kind}) -> {path}"
        assert path.rsplit("/input/", 1)[-1] not in NOT_FOR_APPS


def test_every_action_is_bound_on_touch_and_index() -> None:
    for profile in (TOUCH, INDEX):
        bound = {name for name, _ in suggested_bindings()[profile]}
        assert bound == {a.name for a in ACTIONS}, (profile, {a.name for a in ACTIONS} - bound)


def _leaves(name: str, path: str) -> set[str]:
    """The input values a binding reads: a vector2 parent reads its x and y."""
    return {f"{path}/x", f"{path}/y"} if action(name).type == "vector2f" else {path}


@pytest.mark.parametrize("profile", [SIMPLE, TOUCH, INDEX])
def test_no_input_drives_two_actions_in_the_same_mode(profile: str) -> None:
    scheme = PROFILES[profile]
    for mode in scheme.modes:
        live = [b for b in scheme.bindings if b.live_in(mode)]
        for i, b in enumerate(live):
            for c in live[i + 1 :]:
                if b.action != c.action:
                    clash = _leaves(b.action, b.path) & _leaves(c.action, c.path)
                    assert not clash, f"{profile} [{mode}]: {b.action} and {c.action} both read {clash}"
        assert active_actions(profile, mode) == {b.action for b in live}


def test_the_simple_controller_reaches_every_tool_through_the_menu_cycle() -> None:
    cycle = ModeCycle(SIMPLE)
    visited = [cycle.mode]
    for _ in range(len(PROFILES[SIMPLE].modes) - 1):
        visited.append(cycle.next())
    assert cycle.next() == visited[0]  # and wraps around
    assert set(visited) == set(PROFILES[SIMPLE].modes)
    bound = {name for name, _ in suggested_bindings()[SIMPLE]}
    assert "menu" in bound and all(active_actions(SIMPLE, mode) >= {"menu", "aim_pose"} for mode in visited)
    for tool, actions in TOOL_ACTIONS.items():
        reach = [mode for mode in visited if set(actions) & active_actions(SIMPLE, mode) & bound]
        assert reach, f"{tool} cannot be reached on the simple controller"
    # one select in each mode: exactly one tool action rides on it
    for mode in visited:
        on_select = [
            b.action
            for b in PROFILES[SIMPLE].bindings
            if b.live_in(mode) and b.path == f"{R}/input/select/click"
        ]
        assert len(on_select) == 1, (mode, on_select)


def test_touch_and_index_reach_every_tool_too() -> None:
    for profile in (TOUCH, INDEX):
        live_anywhere = set().union(*(active_actions(profile, mode) for mode in PROFILES[profile].modes))
        for tool, actions in TOOL_ACTIONS.items():
            assert set(actions) & live_anywhere, (profile, tool)


def test_mode_cycle_toggle_and_live_actions() -> None:
    c = ModeCycle(TOUCH)
    assert c.mode == "teleport" and c.live("teleport") and not c.live("measure")
    assert c.toggle("viewfinder") == "viewfinder" and c.live("viewfinder_capture") and not c.live("teleport")
    assert c.toggle("viewfinder") == "teleport"
    c.set("time_of_day")
    assert c.live("time_of_day") and c.live("turn") and not c.live("lens_zoom")
    c.set_profile(SIMPLE)
    assert c.mode == "time_of_day" and c.live("time_scrub") and not c.live("turn")
    c.set("bookmark_here")
    c.set_profile(INDEX)
    assert c.mode == "teleport"
    with pytest.raises(KeyError):
        c.set("bookmarks")  # a simple-controller mode only


def test_subaction_paths_and_the_docs_table() -> None:
    assert subaction_paths("aim_pose") == (L, R) and subaction_paths("haptic") == (L, R)
    assert subaction_paths("fly") == (L,) and subaction_paths("bookmark_create") == (L, R)
    with pytest.raises(KeyError, match="no action"):
        subaction_paths("jump")
    table = bindings_table_markdown()
    rows = [r for r in table.splitlines() if r.startswith("| `")]
    assert [r.split("`")[1] for r in rows] == [a.name for a in ACTIONS]
    assert "Oculus Touch" in table and "Valve Index" in table and "Khronos simple controller" in table
    assert "right `trigger/value` [measure]" in table
    assert "select/click" in table and "→" in table


def test_the_headset_independent_modules_do_not_import_openxr() -> None:
    code = (
        "import sys\n"
        "import vpbridge_xr.bindings, vpbridge_xr.lenses, vpbridge_xr.presence, vpbridge_xr.rig, "
        "vpbridge_xr.scouting\n"
        "print(sorted(m for m in ('xr', 'OpenGL', 'glfw') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_docs_show_the_current_bindings_table() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "clients" / "xr.md").read_text()
    assert bindings_table_markdown().rstrip() in doc, "regenerate the table in docs/clients/xr.md"
