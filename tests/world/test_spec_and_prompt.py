"""WorldSpec TOML round trip, the shipped specs, and prompt parsing with unused words reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.errors import ConfigError
from bridge.world import WorldSpec, load_spec, save_spec, shipped_specs, spec_from_prompt


def test_four_shipped_specs_load_with_descriptions() -> None:
    specs = shipped_specs()
    assert {"neon_city", "desert_canyon", "coastal_village", "studio_set"} <= set(specs)
    places = {load_spec(name).place for name in specs}
    assert places == {"city", "terrain", "coast", "interior"}
    assert all(desc and "\n" not in desc for _, desc in specs.values())


def test_spec_round_trips_through_toml(tmp_path: Path) -> None:
    spec = load_spec("desert_canyon")
    path = save_spec(spec, tmp_path / "canyon.toml")
    assert load_spec(path) == spec


def test_scenes_env_var_points_shipped_specs_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_spec(WorldSpec(name="mine", description="my own set"), tmp_path / "mine.toml")
    monkeypatch.setenv("VPBRIDGE_SCENES", str(tmp_path))
    assert shipped_specs() == {"mine": (tmp_path / "mine.toml", "my own set")}
    assert load_spec("mine").name == "mine"


def test_unknown_spec_name_and_bad_values_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no scene spec named 'nowhere'.*neon_city"):
        load_spec("nowhere")
    bad = tmp_path / "bad.toml"
    bad.write_text('place = "moon"\n')
    with pytest.raises(ConfigError, match="bad.toml"):
        load_spec(bad)
    typo = tmp_path / "typo.toml"
    typo.write_text("tim_of_day_h = 3\n")
    with pytest.raises(ConfigError, match="tim_of_day_h"):
        load_spec(typo)
    with pytest.raises(ConfigError, match="time_of_day_h"):
        WorldSpec(time_of_day_h=30.0)


@pytest.mark.parametrize(
    ("prompt", "place", "biome", "hour", "weather", "palette", "era"),
    [
        ("neon city street at night in the rain", "city", None, 22.5, "rain", "neon", None),
        ("desert canyon at sunset", "terrain", "desert", 17.6, "clear", "warm", None),
        ("coastal village in the morning", "coast", None, 8.5, None, "pastel", "historic"),
        ("interior studio living room set at 7pm", "interior", None, 19.0, None, None, None),
        ("misty alpine mountains at dawn, noir", "terrain", "alpine", 6.4, "fog", "noir", None),
        (
            "futuristic downtown, cool palette, foggy afternoon",
            "city",
            None,
            15.0,
            "fog",
            "cool",
            "futuristic",
        ),
    ],
)
def test_prompt_sets_place_time_weather_palette_and_era(prompt: str, place: str, biome: str | None, hour: float,
                                                        weather: str | None, palette: str | None, era: str | None) -> None:  # fmt: skip
    spec, unused = spec_from_prompt(prompt, seed=4)
    assert (spec.place, spec.time_of_day_h, spec.seed, spec.prompt) == (place, hour, 4, prompt)
    for field, want in (("biome", biome), ("weather", weather), ("palette", palette), ("era", era)):
        if want is not None:
            assert getattr(spec, field) == want
    assert unused == [] or "palette" in unused


def test_prompt_reports_words_it_did_not_use_in_order_once() -> None:
    spec, unused = spec_from_prompt("a neon city with flying cars and dragons, dragons everywhere", seed=1)
    assert spec.place == "city" and spec.palette == "neon"
    assert unused == ["flying", "cars", "dragons", "everywhere"]


def test_empty_prompt_and_bad_seed_are_refused() -> None:
    with pytest.raises(ConfigError, match="prompt"):
        spec_from_prompt("   ")
    with pytest.raises(ConfigError, match="seed"):
        spec_from_prompt("city", seed=-1)
