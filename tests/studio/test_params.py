"""The parameter schema: validation errors name the parameter, its range and the bad value."""

from __future__ import annotations

import pytest

from bridge.errors import ProtocolError
from bridge.studio import LOOKS, PARAMS, defaults, schema_records, schema_table, validate


def bad(values: dict[str, object]) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        validate(values)
    assert info.value.code == "BAD_REQUEST"
    return info.value


def test_schema_covers_every_parameter_the_issue_names() -> None:
    assert list(PARAMS) == [
        "time_of_day", "sun_azimuth", "sun_elevation", "exposure_ev", "fog_density", "look", "grain",
        "vignette", "prompt", "seed", "cfg_scale", "consistency", "scene",
    ]  # fmt: skip


def test_defaults_validate_unchanged() -> None:
    assert validate(defaults()) == defaults()


def test_out_of_range_error_names_param_range_unit_and_value() -> None:
    err = bad({"exposure_ev": 12.5})
    assert err.field == "$.values.exposure_ev"
    assert "`exposure_ev`" in err.message and "-10 … 10 EV" in err.message and "12.5" in err.message


def test_bad_choice_error_lists_the_choices() -> None:
    err = bad({"look": "noire"})
    assert err.field == "$.values.look"
    assert all(look in err.message for look in LOOKS) and "'noire'" in err.message


def test_unknown_name_error_suggests_close_matches() -> None:
    err = bad({"exposure": 1.0})
    assert err.field == "$.values.exposure"
    assert "unknown parameter `exposure`" in err.message and "`exposure_ev`" in err.message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("seed", 1.5),
        ("seed", -1),
        ("seed", True),
        ("grain", "0.5"),
        ("grain", float("nan")),
        ("fog_density", float("inf")),
        ("time_of_day", 24.01),
        ("sun_elevation", -91.0),
        ("prompt", "x" * 2001),
        ("prompt", 3),
        ("look", None),
        ("cfg_scale", [1.0]),
    ],
)
def test_wrong_type_or_range_is_refused_naming_the_field(name: str, value: object) -> None:
    err = bad({name: value})
    assert err.field == f"$.values.{name}" and f"`{name}`" in err.message


def test_int_is_coerced_to_float_for_float_params() -> None:
    out = validate({"exposure_ev": 2, "time_of_day": 0})
    assert out == {"exposure_ev": 2.0, "time_of_day": 0.0}
    assert all(type(v) is float for v in out.values())


def test_null_sun_angles_mean_from_time_of_day_and_are_accepted() -> None:
    assert validate({"sun_azimuth": None, "sun_elevation": None}) == {
        "sun_azimuth": None,
        "sun_elevation": None,
    }
    assert validate({"sun_azimuth": 359.5, "sun_elevation": -5}) == {
        "sun_azimuth": 359.5,
        "sun_elevation": -5.0,
    }


def test_bounds_are_inclusive() -> None:
    assert validate({"fog_density": 0.2, "grain": 0, "seed": 0, "time_of_day": 24}) is not None


def test_looks_match_the_renderers_looks() -> None:
    from bridge.render.looks import LOOKS as RENDER_LOOKS

    assert LOOKS == RENDER_LOOKS


def test_schema_table_has_a_row_per_param_and_records_are_json_ready() -> None:
    import json

    table = schema_table()
    assert all(f"| `{name}` |" in table for name in PARAMS)
    records = json.loads(json.dumps(schema_records()))
    assert [r["name"] for r in records] == list(PARAMS)


def test_studio_all_lists_exactly_its_public_names() -> None:
    import types

    import bridge.studio as studio

    public = {
        n for n, v in vars(studio).items() if not n.startswith("_") and not isinstance(v, types.ModuleType)
    }
    assert public - {"annotations"} == set(studio.__all__) and len(studio.__all__) == len(set(studio.__all__))
