"""The typed schema of the live parameters a director steers, and the validator every change passes.

`PARAMS` is the single source of truth: the server validates `SetParams` against it, history stores
only what it admits, `schema_table()` renders it for docs and the CLI.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from bridge.errors import ProtocolError
from bridge.protocol.messages import ParamValue

__all__ = ["LOOKS", "PARAMS", "ParamSpec", "defaults", "schema_records", "schema_table", "validate"]

LOOKS: tuple[str, ...] = ("neutral", "noir", "vibrant", "documentary")
"""The looks the renderer grades (kept equal to `bridge.render.looks.LOOKS` by a test; not imported
from there so that studio stays free of GL imports)."""


def _num(x: object) -> str:
    """A number for people: integral values without a decimal point."""
    if isinstance(x, int | float) and float(x).is_integer():
        return str(int(x))
    return f"{x:g}" if isinstance(x, float) else str(x)


ParamType = Literal["float", "int", "str"]


@dataclass(frozen=True)
class ParamSpec:
    """One live parameter: its wire name, type, unit, admissible values and default."""

    name: str
    type: ParamType
    default: ParamValue
    description: str
    unit: str = ""
    min: float | None = None
    """Inclusive lower bound (numbers)."""
    max: float | None = None
    """Inclusive upper bound (numbers); for strings, the maximum length in characters."""
    choices: tuple[str, ...] = ()
    """The admissible strings, when the parameter is an enumeration."""
    nullable: bool = False
    """None is admitted (and means what `description` says, e.g. "derived from time_of_day")."""

    def range_text(self, *, unit: bool = False) -> str:
        """The admissible values in words: ``-10 … 10``, ``one of neutral, noir``, ``≤ 2000 chars``;
        with `unit`, the unit follows the bounds (``-10 … 10 EV``)."""
        if self.choices:
            text = "one of " + ", ".join(self.choices)
        elif self.type == "str":
            text = f"≤ {_num(self.max)} chars" if self.max is not None else "any text"
        else:
            if self.max is None:
                text = f"≥ {_num(self.min)}" if self.min is not None else "any"
            else:
                text = f"{_num(self.min)} … {_num(self.max)}"
            text += f" {self.unit}" if unit and self.unit else ""
        return text + (", or null" if self.nullable else "")

    def check(self, value: object) -> ParamValue:
        """The value, coerced (int → float for float parameters); ProtocolError naming the problem."""
        if value is None and self.nullable:
            return None
        if self.type == "str":
            if (
                isinstance(value, str)
                and (not self.choices or value in self.choices)
                and (self.max is None or len(value) <= self.max)
            ):
                return value
            return self._fail(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return self._fail(value)
        if self.type == "int":
            if not isinstance(value, int):
                return self._fail(value)
            number: float = value
        else:
            number = float(value)
            if not math.isfinite(number):
                return self._fail(value)
        if (self.min is not None and number < self.min) or (self.max is not None and number > self.max):
            return self._fail(value)
        return value if self.type == "int" else number

    def _fail(self, value: object) -> ParamValue:
        kind = {"float": "a number in ", "int": "an integer in ", "str": "a string of "}[self.type]
        shown = repr(value) if not isinstance(value, str) or len(value) <= 40 else f"{len(value)} chars"
        raise ProtocolError(
            "BAD_REQUEST",
            f"`{self.name}` must be {'' if self.choices else kind}{self.range_text(unit=True)}, got {shown}",
            field=f"$.values.{self.name}",
            hint=f"{self.description} Default: {_shown_default(self)}.",
        )

    def record(self) -> dict[str, Any]:
        """A JSON-ready description (for the state plane or a client building sliders)."""
        return {
            "name": self.name,
            "type": self.type,
            "unit": self.unit,
            "min": self.min,
            "max": self.max,
            "choices": list(self.choices),
            "nullable": self.nullable,
            "default": self.default,
            "description": self.description,
        }


_SPECS = (
    ParamSpec("time_of_day", "float", 14.0, "Local solar time; drives the sun and sky.", "h", 0.0, 24.0),
    ParamSpec("sun_azimuth", "float", None, "Sun azimuth from north, clockwise; null = from time_of_day.",
              "deg", 0.0, 360.0, nullable=True),
    ParamSpec("sun_elevation", "float", None, "Sun elevation above the horizon; null = from time_of_day.",
              "deg", -90.0, 90.0, nullable=True),
    ParamSpec("exposure_ev", "float", 0.0, "Exposure compensation in stops.", "EV", -10.0, 10.0),
    ParamSpec("fog_density", "float", 0.002, "Exponential fog density.", "1/m", 0.0, 0.2),
    ParamSpec("look", "str", "neutral", "Colour grade applied by the post pass.", choices=LOOKS),
    ParamSpec("grain", "float", 0.0, "Film grain amount.", "", 0.0, 1.0),
    ParamSpec("vignette", "float", 0.0, "Vignette amount.", "", 0.0, 1.0),
    ParamSpec("prompt", "str", "", "Text prompt for the neural stylisation pass.", max=2000),
    ParamSpec("seed", "int", 0, "Seed of the neural pass; same seed, same frame.", "", 0, 2**53),
    ParamSpec("cfg_scale", "float", 7.5, "Classifier-free guidance scale of the neural pass.", "", 0.0, 30.0),
    ParamSpec("consistency", "float", 0.5, "Frame-consistency weight: 0 = free, 1 = locked to the last frame.",
              "", 0.0, 1.0),
    ParamSpec("scene", "str", "", "Scene name (scenes/*.toml) or generated scene id; empty = the default.",
              max=128),
)  # fmt: skip

PARAMS: dict[str, ParamSpec] = {spec.name: spec for spec in _SPECS}
"""The schema, by name, in display order."""


def defaults() -> dict[str, ParamValue]:
    """Every parameter at its default value (a fresh dict)."""
    return {name: spec.default for name, spec in PARAMS.items()}


def validate(values: Mapping[str, object]) -> dict[str, ParamValue]:
    """The given (possibly partial) values checked and coerced; ProtocolError BAD_REQUEST on the first
    unknown name (naming close matches) or bad value (naming the parameter, its range and the value)."""
    out: dict[str, ParamValue] = {}
    for name, value in values.items():
        spec = PARAMS.get(name)
        if spec is None:
            close = difflib.get_close_matches(name, PARAMS, n=3, cutoff=0.5)
            near = f"; did you mean {' or '.join(f'`{c}`' for c in close)}?" if close else ""
            raise ProtocolError(
                "BAD_REQUEST",
                f"unknown parameter `{name}`{near}",
                field=f"$.values.{name}",
                hint="the parameters are: " + ", ".join(PARAMS),
            )
        out[name] = spec.check(value)
    return out


def schema_records() -> list[dict[str, Any]]:
    """The schema as JSON-ready records, in display order."""
    return [spec.record() for spec in PARAMS.values()]


def _shown_default(spec: ParamSpec) -> str:
    if spec.default is None:
        return "null"
    return repr(spec.default) if spec.type == "str" else _num(spec.default)


def schema_table() -> str:
    """The schema as a Markdown table (docs/studio.md embeds exactly this; a test keeps them equal)."""
    rows = [
        "| name | type | unit | values | default | description |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for s in PARAMS.values():
        rows.append(
            f"| `{s.name}` | {s.type} | {s.unit or '–'} | {s.range_text()} | {_shown_default(s)} "
            f"| {s.description} |"
        )
    return "\n".join(rows) + "\n"
