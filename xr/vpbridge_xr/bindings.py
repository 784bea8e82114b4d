"""The viewer's OpenXR actions and suggested bindings, as data (no pyopenxr import).

One action set, `scouting`. Every tool has named actions; a *mode* (the current tool) decides which of
the actions sharing a button are live, so one trigger teleports in the teleport mode, places a point in
the measure mode and takes a still in the viewfinder mode. `menu` steps through the modes.

* Oculus Touch and Valve Index: locomotion, turning and bookmarks are on their own buttons in every
  mode; the modes only share the right trigger (and the right stick's up/down) between teleport,
  measure, viewfinder and time of day.
* Khronos simple controller (select, menu, two poses, haptics): each tool is a mode, `select` does
  that tool's job, and the aim pose stands in for the sticks: fly towards where the controller points,
  turn towards it, tilt it up or down to scrub the time of day.

Every path is from the OpenXR 1.0 interaction-profile tables (core spec, "Interaction Profile Paths");
vector2 actions bind to the parent of an x/y pair, as the spec requires.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ACTIONS",
    "ACTION_SET",
    "HANDS",
    "PROFILES",
    "TOOL_ACTIONS",
    "Action",
    "Binding",
    "ModeCycle",
    "ProfileScheme",
    "action",
    "active_actions",
    "bindings_table_markdown",
    "subaction_paths",
    "suggested_bindings",
]

ActionType = Literal["boolean", "float", "vector2f", "pose", "vibration"]

ACTION_SET = ("scouting", "Scouting", 0)
"""(name, localised name, priority) of the one action set."""

LEFT, RIGHT = "/user/hand/left", "/user/hand/right"
HANDS = (LEFT, RIGHT)

SIMPLE = "/interaction_profiles/khr/simple_controller"
TOUCH = "/interaction_profiles/oculus/touch_controller"
INDEX = "/interaction_profiles/valve/index_controller"


@dataclass(frozen=True)
class Action:
    """An OpenXR action: `name` is the action name (a path level), `label` the localised name."""

    name: str
    type: ActionType
    label: str
    description: str


ACTIONS: tuple[Action, ...] = (
    Action("teleport", "boolean", "Teleport", "Hold to aim the arc, release to go there."),
    Action("fly", "vector2f", "Fly", "Fly in the direction you look (up = forward, sideways = strafe)."),
    Action("fly_toward", "boolean", "Fly towards", "Hold to fly where the controller points."),
    Action("fly_speed", "boolean", "Fly speed", "Next flying speed preset."),
    Action("turn", "float", "Snap turn", "Flick left or right to turn by the snap angle."),
    Action("turn_toward", "boolean", "Turn towards", "Turn by the snap angle towards where you point."),
    Action("measure", "boolean", "Measure", "Place point A, then B; a third press starts again."),
    Action("viewfinder_toggle", "boolean", "Viewfinder", "Show or hide the viewfinder's frame lines."),
    Action("viewfinder_capture", "boolean", "Capture still", "Take a still through the viewfinder."),
    Action("lens_zoom", "float", "Change lens", "Flick up for a longer lens, down for a wider one."),
    Action("bookmark_next", "boolean", "Next bookmark", "Jump to the next bookmark."),
    Action("bookmark_prev", "boolean", "Previous bookmark", "Jump to the previous bookmark."),
    Action("bookmark_create", "boolean", "Bookmark here", "Share a bookmark of your current view."),
    Action("time_of_day", "float", "Time of day", "Push up or down to move the sun forward or back."),
    Action("time_scrub", "boolean", "Scrub time", "Hold and tilt the controller up or down to scrub."),
    Action("menu", "boolean", "Next tool", "Step to the next tool (mode)."),
    Action("grip_pose", "pose", "Grip pose", "Where the hand holds the controller."),
    Action("aim_pose", "pose", "Aim pose", "The pointing ray of the controller."),
    Action("haptic", "vibration", "Haptics", "Buzz on confirmations and invalid targets."),
)
"""Every action, in the order an app creates them."""

_BY_NAME = {a.name: a for a in ACTIONS}


def action(name: str) -> Action:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no action {name!r}; the actions are: {', '.join(_BY_NAME)}") from None


TOOL_ACTIONS: dict[str, tuple[str, ...]] = {
    "Teleporter": ("teleport",),
    "Flyer": ("fly", "fly_toward"),
    "SnapTurn": ("turn", "turn_toward"),
    "MeasuringTool": ("measure",),
    "Viewfinder": ("viewfinder_capture",),
    "BookmarkTool": ("bookmark_next", "bookmark_prev", "bookmark_create"),
    "TimeOfDayDial": ("time_of_day", "time_scrub"),
}
"""Which actions operate each scouting tool (any one of them reaches it)."""


@dataclass(frozen=True)
class Binding:
    """One suggested binding; `modes` = the modes in which it is live (empty: every mode)."""

    action: str
    path: str
    modes: frozenset[str] = frozenset()

    def live_in(self, mode: str) -> bool:
        return not self.modes or mode in self.modes


@dataclass(frozen=True)
class ProfileScheme:
    """Suggested bindings and the mode cycle for one interaction profile."""

    profile: str
    title: str
    modes: tuple[str, ...]
    """The modes `menu` steps through, in order; the first is the start mode."""
    bindings: tuple[Binding, ...]

    def live_actions(self, mode: str) -> set[str]:
        if mode not in self.modes:
            raise KeyError(f"{self.title} has no mode {mode!r}; its modes are: {', '.join(self.modes)}")
        return {b.action for b in self.bindings if b.live_in(mode)}


def _both(action_name: str, component: str, *modes: str) -> list[Binding]:
    return [Binding(action_name, f"{hand}{component}", frozenset(modes)) for hand in HANDS]


def _one(action_name: str, hand: str, component: str, *modes: str) -> Binding:
    return Binding(action_name, f"{hand}{component}", frozenset(modes))


def _poses_and_haptics() -> list[Binding]:
    return [
        *_both("grip_pose", "/input/grip/pose"),
        *_both("aim_pose", "/input/aim/pose"),
        *_both("haptic", "/output/haptic"),
    ]


_SIMPLE_MODES = (
    "teleport",
    "fly",
    "turn",
    "measure",
    "viewfinder",
    "bookmarks",
    "bookmark_here",
    "time_of_day",
)
_RICH_MODES = ("teleport", "measure", "viewfinder", "time_of_day")


def _simple() -> ProfileScheme:
    select = "/input/select/click"
    per_mode = {
        "teleport": "teleport",
        "fly": "fly_toward",
        "turn": "turn_toward",
        "measure": "measure",
        "viewfinder": "viewfinder_capture",
        "bookmarks": "bookmark_next",
        "bookmark_here": "bookmark_create",
        "time_of_day": "time_scrub",
    }
    binds = [b for mode, name in per_mode.items() for b in _both(name, select, mode)]
    binds += _both("menu", "/input/menu/click")
    return ProfileScheme(
        SIMPLE, "Khronos simple controller", _SIMPLE_MODES, tuple(binds + _poses_and_haptics())
    )


def _rich(
    profile: str, title: str, trigger: str, menu: str, buttons: dict[str, tuple[str, str]]
) -> ProfileScheme:
    """Touch and Index share a layout: left stick flies, right stick turns (x) and in the time and
    viewfinder modes changes the time or the lens (y), the right trigger does the mode's job."""
    binds = [
        _one("fly", LEFT, "/input/thumbstick"),
        _one("fly_speed", LEFT, "/input/thumbstick/click"),
        _one("fly_toward", LEFT, trigger),
        _one("turn", RIGHT, "/input/thumbstick/x"),
        _one("turn_toward", RIGHT, "/input/thumbstick/click"),
        _one("time_of_day", RIGHT, "/input/thumbstick/y", "time_of_day"),
        _one("lens_zoom", RIGHT, "/input/thumbstick/y", "viewfinder"),
        _one("teleport", RIGHT, trigger, "teleport"),
        _one("measure", RIGHT, trigger, "measure"),
        _one("viewfinder_capture", RIGHT, trigger, "viewfinder"),
        _one("time_scrub", RIGHT, trigger, "time_of_day"),
        _one("menu", LEFT, menu),
    ]
    binds += [_one(name, hand, component) for name, (hand, component) in buttons.items()]
    return ProfileScheme(profile, title, _RICH_MODES, tuple(binds + _poses_and_haptics()))


PROFILES: dict[str, ProfileScheme] = {
    s.profile: s
    for s in (
        _simple(),
        _rich(
            TOUCH,
            "Oculus Touch",
            trigger="/input/trigger/value",  # Touch has no trigger/click: a boolean thresholds the value
            menu="/input/menu/click",  # left hand only
            buttons={
                "bookmark_prev": (LEFT, "/input/x/click"),
                "bookmark_next": (LEFT, "/input/y/click"),
                "viewfinder_toggle": (RIGHT, "/input/a/click"),
                "bookmark_create": (RIGHT, "/input/b/click"),
            },
        ),
        _rich(
            INDEX,
            "Valve Index",
            trigger="/input/trigger/click",
            menu="/input/b/click",  # the Index has no menu button for apps (system/click is the runtime's)
            buttons={
                "bookmark_prev": (LEFT, "/input/a/click"),
                "bookmark_next": (RIGHT, "/input/b/click"),
                "viewfinder_toggle": (RIGHT, "/input/a/click"),
                "bookmark_create": (LEFT, "/input/trackpad/force"),  # a firm press on the left trackpad
            },
        ),
    )
}
"""The schemes by interaction-profile path, most capable last (suggest all; the runtime picks)."""


def suggested_bindings() -> dict[str, list[tuple[str, str]]]:
    """`xrSuggestInteractionProfileBindings` input: profile → [(action name, binding path)], each
    pair once (an action live in several modes on the same path is suggested once)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for profile, scheme in PROFILES.items():
        seen: list[tuple[str, str]] = []
        for b in scheme.bindings:
            if (b.action, b.path) not in seen:
                seen.append((b.action, b.path))
        out[profile] = seen
    return out


def subaction_paths(action_name: str) -> tuple[str, ...]:
    """The top-level user paths an action is bound under in any profile (its `subactionPaths`)."""
    action(action_name)
    users = {
        b.path.split("/input/")[0].split("/output/")[0]
        for s in PROFILES.values()
        for b in s.bindings
        if b.action == action_name
    }
    return tuple(h for h in HANDS if h in users)


def active_actions(profile: str, mode: str) -> set[str]:
    """The actions live in `mode` on `profile`."""
    return PROFILES[profile].live_actions(mode)


class ModeCycle:
    """The current tool mode for the active interaction profile. `menu` → `next()`."""

    def __init__(self, profile: str = TOUCH) -> None:
        self.scheme = PROFILES[profile]
        self.mode = self.scheme.modes[0]
        self._previous = self.mode

    def set_profile(self, profile: str) -> None:
        """The runtime switched controllers: keep the mode if the new profile has it."""
        self.scheme = PROFILES[profile]
        if self.mode not in self.scheme.modes:
            self.mode = self.scheme.modes[0]

    def next(self) -> str:
        modes = self.scheme.modes
        self._previous = self.mode
        self.mode = modes[(modes.index(self.mode) + 1) % len(modes)]
        return self.mode

    def set(self, mode: str) -> str:
        if mode not in self.scheme.modes:
            raise KeyError(f"{self.scheme.title} has no mode {mode!r}")
        if mode != self.mode:
            self._previous, self.mode = self.mode, mode
        return self.mode

    def toggle(self, mode: str) -> str:
        """Enter `mode`, or when already in it go back to the mode before (the viewfinder button)."""
        if self.mode == mode:
            back = self._previous if self._previous != mode else self.scheme.modes[0]
            return self.set(back)
        return self.set(mode)

    def live(self, action_name: str) -> bool:
        """Whether the frame loop should act on `action_name` in the current mode."""
        return action_name in self.scheme.live_actions(self.mode)


def bindings_table_markdown() -> str:
    """The bindings as a Markdown table for the docs: one row per action, one column per profile;
    a binding live only in some modes names them in brackets."""
    schemes = list(PROFILES.values())
    short = {LEFT: "left", RIGHT: "right"}
    rows = [
        "| action | type | " + " | ".join(s.title for s in schemes) + " |",
        "| --- | --- | " + " | ".join("---" for _ in schemes) + " |",
    ]
    for a in ACTIONS:
        cells = []
        for s in schemes:
            by_path: dict[str, set[str]] = defaultdict(set)
            every: set[str] = set()
            for b in s.bindings:
                if b.action != a.name:
                    continue
                user, _, rest = b.path.partition("/input/")
                if not rest:
                    user, _, rest = b.path.partition("/output/")
                    rest = "output/" + rest
                key = rest
                if b.modes:
                    by_path[key].update(b.modes)
                else:
                    every.add(key)
                by_path[key].add(f"@{short[user]}")
            parts = []
            for key, tags in by_path.items():
                hands = sorted(t[1:] for t in tags if t.startswith("@"))
                modes = sorted(t for t in tags if not t.startswith("@"))
                where = "both" if len(hands) == 2 else hands[0]
                text = f"{where} `{key}`"
                if modes and key not in every:
                    text += " [" + ", ".join(modes) + "]"
                parts.append(text)
            cells.append("<br>".join(parts) if parts else "–")
        rows.append(f"| `{a.name}` | {a.type} | " + " | ".join(cells) + " |")
    lines = ["\n".join(rows), ""]
    for s in schemes:
        lines.append(f"- {s.title}: `menu` cycles " + " → ".join(s.modes) + ".")
    return "\n".join(lines) + "\n"
