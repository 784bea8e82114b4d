"""`__all__` of the public packages lists exactly the public names they define or re-export."""

from __future__ import annotations

import types

import pytest

import bridge
import bridge.protocol
from bridge.protocol import messages

PACKAGES = [bridge, bridge.protocol]


def public_names(module: types.ModuleType) -> set[str]:
    """Names a user reaches as `module.X`: not private, not submodules, not `from __future__` features."""
    skip = {"annotations"}
    lazy = set(getattr(module, "_LAZY", {}))  # loaded on first access (module __getattr__), still public
    return lazy | {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType) and name not in skip
    }


@pytest.mark.parametrize("module", PACKAGES, ids=lambda mod: mod.__name__)
def test_all_names_exist(module: types.ModuleType) -> None:
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []


@pytest.mark.parametrize("module", PACKAGES, ids=lambda mod: mod.__name__)
def test_all_has_no_duplicates(module: types.ModuleType) -> None:
    assert len(module.__all__) == len(set(module.__all__))


@pytest.mark.parametrize("module", PACKAGES, ids=lambda mod: mod.__name__)
def test_every_public_name_is_listed_in_all(module: types.ModuleType) -> None:
    listed = set(module.__all__) - {"__version__"}
    assert public_names(module) == listed


def test_every_message_class_is_exported_from_bridge_protocol() -> None:
    for cls in messages.ALL_MESSAGES:
        assert cls.__name__ in bridge.protocol.__all__
        assert getattr(bridge.protocol, cls.__name__) is cls


def test_client_import_does_not_load_the_server_renderer_or_world() -> None:
    import subprocess
    import sys

    code = (
        "import sys, bridge.client_sync\n"
        "heavy = [m for m in ('moderngl', 'bridge.server', 'bridge.world', 'trimesh', 'open3d', 'torch')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"a client-only import loaded {out}"


def test_bridge_version_is_exported() -> None:
    assert "__version__" in bridge.__all__
    assert isinstance(bridge.__version__, str)
