"""Prompt -> WorldSpec for the procedural builder: place, biome, time of day, weather, palette,
era and size from a fixed vocabulary (listed in docs/world.md). Words it does not use are returned,
never silently dropped, so the caller can report them.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from bridge.errors import ConfigError
from bridge.world.spec import WorldSpec

__all__ = ["STOP_WORDS", "VOCABULARY", "spec_from_prompt"]

# word -> {spec field: value}; multi-word phrases are matched first.
VOCABULARY: dict[str, dict[str, Any]] = {}


def _add(words: str, **fields: Any) -> None:
    for w in words.split(","):
        VOCABULARY[w.strip()] = fields


_add(
    "city, street, streets, downtown, urban, metropolis, alley, avenue, skyline, skyscrapers, town, buildings, block",
    place="city",
)
_add("cyberpunk, blade runner", place="city", palette="neon", era="futuristic")
_add("desert, dunes, arid, badlands, mesa, mesas", place="terrain", biome="desert")
_add("canyon, canyons, gorge, ravine", place="terrain", canyon=0.85)
_add(
    "forest, woods, woodland, meadow, hills, valley, countryside, landscape, terrain, lake, river",
    place="terrain",
    biome="temperate",
)
_add("mountain, mountains, alpine, peaks, summit", place="terrain", biome="alpine")
_add("jungle, tropical, rainforest, palms", place="terrain", biome="tropical")
_add("tundra, arctic, frozen, glacier", place="terrain", biome="tundra")
_add(
    "coast, coastal, beach, bay, harbour, harbor, seaside, shore, island, port, fishing village, village by the sea",
    place="coast",
)
_add("village, hamlet", era="historic")
_add(
    "interior, room, studio, indoor, indoors, apartment, loft, stage, living room, film set, soundstage, set",
    place="interior",
)
_add("office", place="interior", era="modern")
_add("warehouse, factory, industrial", era="industrial")
_add("dawn, daybreak", time_of_day_h=6.4)
_add("sunrise", time_of_day_h=6.8)
_add("morning", time_of_day_h=8.5)
_add("noon, midday, day, daytime", time_of_day_h=12.5)
_add("afternoon", time_of_day_h=15.0)
_add("golden hour", time_of_day_h=17.2)
_add("sunset, sundown", time_of_day_h=17.6)
_add("dusk, twilight, blue hour", time_of_day_h=18.6)
_add("evening", time_of_day_h=19.6)
_add("night, nighttime, midnight", time_of_day_h=22.5)
_add("clear, sunny, bright", weather="clear")
_add("overcast, cloudy, grey, gray, gloomy", weather="overcast")
_add("fog, foggy, mist, misty, haze, hazy", weather="fog")
_add("rain, rainy, wet, storm, stormy, drizzle", weather="rain")
_add("snow, snowy, winter, blizzard", weather="snow")
_add("neon, synthwave, vaporwave", palette="neon")
_add("warm, golden, orange, amber", palette="warm")
_add("cool, blue, icy, teal", palette="cool")
_add("pastel, pastels, colourful, colorful", palette="pastel")
_add("noir, monochrome, black and white", palette="noir")
_add("earthy, rustic, brown, terracotta", palette="earthy")
_add("natural, realistic", palette="natural")
_add("modern, contemporary", era="modern")
_add("futuristic, future, sci-fi, scifi, science fiction", era="futuristic")
_add("historic, old, medieval, victorian, ancient, old town, cobblestone", era="historic")
_add("small, tiny, little, compact", size=0.6)
_add("large, big, huge, vast, sprawling, wide", size=1.6)
_add("dense, crowded, busy", density=0.97)
_add("sparse, empty, quiet, deserted", density=0.6)
_add("tall, towering, high-rise", floors=1.5)

STOP_WORDS = frozenset(
    "a an the of in at on by with and or to into from for near under over during some very its their this that "
    "is are scene set place view shot lots full".split()
)
_TIME = re.compile(r"\b(\d{1,2})(?::(\d\d))?\s*(am|pm|h)\b")
_TOKEN = re.compile(r"[a-z0-9][a-z0-9\-']*")
_PHRASES = sorted(VOCABULARY, key=lambda w: -len(w.split()))


def _slug(prompt: str) -> str:
    words = _TOKEN.findall(prompt.lower())
    return "_".join(w for w in words if w not in STOP_WORDS)[:40].strip("_") or "generated"


def spec_from_prompt(prompt: str, seed: int = 0) -> tuple[WorldSpec, list[str]]:
    """A spec for `prompt` and the prompt words it did not use (in order, each once)."""
    if not isinstance(prompt, str) or not prompt.strip():
        raise ConfigError("`prompt` is empty; describe a place, e.g. 'desert canyon at sunset'")
    if not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise ConfigError(f"`seed` must be an integer in 0..2**32-1, got {seed!r}")
    text = " " + re.sub(r"[^a-z0-9:\-' ]+", " ", prompt.lower()) + " "
    fields: dict[str, Any] = {}
    hit = _TIME.search(text)
    if hit:
        hour = int(hit.group(1)) % 24 + (int(hit.group(2) or 0) / 60.0)
        if hit.group(3) == "pm" and hour < 12:
            hour += 12
        elif hit.group(3) == "am" and hour >= 12:
            hour -= 12
        fields["time_of_day_h"] = round(min(hour, 24.0), 3)
        text = text[: hit.start()] + " " + text[hit.end() :]
    for phrase in _PHRASES:  # longest phrases first so "living room" beats "room"
        pattern = f" {phrase} "
        while pattern in text:
            for k, v in VOCABULARY[phrase].items():
                if k == "place" and "place" in fields and fields["place"] != v:
                    # a coast or interior word outranks a generic one ("village by the bay")
                    v = fields["place"] if fields["place"] in ("coast", "interior") else v
                fields.setdefault(k, v) if k != "place" else fields.__setitem__(k, v)
            text = text.replace(pattern, " ", 1)
    unused: list[str] = []
    for w in _TOKEN.findall(text):
        if w not in STOP_WORDS and w not in unused:
            unused.append(w)
    return _spec(prompt, seed, fields), unused


def _spec(prompt: str, seed: int, f: dict[str, Any]) -> WorldSpec:
    place = f.get(
        "place", "city" if "era" in f and "biome" not in f else "terrain" if "biome" in f else "city"
    )
    night = f.get("time_of_day_h", 14.0) < 6.5 or f.get("time_of_day_h", 14.0) > 19.0
    default_palette = {
        "city": "neon" if night else "natural",
        "terrain": "warm" if f.get("biome") == "desert" else "natural",
        "coast": "pastel",
        "interior": "warm",
    }[place]
    data: dict[str, Any] = {
        "name": _slug(prompt),
        "description": f"Generated from the prompt {prompt.strip()[:80]!r}",
        "place": place,
        "biome": f.get("biome", "temperate"),
        "time_of_day_h": f.get("time_of_day_h", 14.0),
        "weather": f.get("weather", "clear"),
        "palette": f.get("palette", default_palette),
        "era": f.get("era", "modern"),
        "seed": seed,
        "prompt": prompt.strip(),
    }
    size = f.get("size", 1.0)
    if place == "city":
        data["size_m"] = 420.0 * size
        data["city"] = {
            "density": f.get("density", 0.85),
            "max_floors": int(28 * f.get("floors", 1.0)) if data["era"] != "historic" else 7,
            "min_floors": 2 if data["era"] == "historic" else 3,
        }
    elif place in ("terrain", "coast"):
        desert = data["biome"] == "desert"
        data["size_m"] = (900.0 if desert else 700.0 if place == "terrain" else 600.0) * size
        data["terrain"] = {
            "canyon": f.get("canyon", 0.6 if desert else 0.0),
            "height_m": 180.0 if data["biome"] == "alpine" else 110.0 if desert else 60.0,
            "roughness": 0.8 if data["biome"] == "alpine" else 0.55 if desert else 0.4,
        }
        if place == "coast":
            data["terrain"]["water_level"] = 0.3
        elif "lake" in prompt.lower() or "river" in prompt.lower():
            data["terrain"]["water_level"] = 0.25
    else:
        data["interior"] = {
            "width_m": 18.0 * size**0.5,
            "depth_m": 14.0 * size**0.5,
            "studio": "studio" in prompt.lower() or "set" in prompt.lower(),
        }
    try:
        return msgspec.convert(data, WorldSpec)
    except msgspec.ValidationError as exc:  # pragma: no cover - the vocabulary only produces valid values
        raise ConfigError(f"prompt {prompt!r} produced an invalid spec: {exc}") from exc
