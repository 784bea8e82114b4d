"""A structural check of the Unreal plugin (it cannot be compiled here): the .uplugin parses and names
its module, Build.cs finds the core, and every header and source the module includes exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "engine_plugin" / "unreal" / "VPBridge"
MODULE = PLUGIN / "Source" / "VPBridge"


def test_uplugin_is_json_naming_the_runtime_module() -> None:
    doc = json.loads((PLUGIN / "VPBridge.uplugin").read_text())
    assert doc["FileVersion"] == 3
    assert [(m["Name"], m["Type"]) for m in doc["Modules"]] == [("VPBridge", "Runtime")]
    assert (PLUGIN / "Source" / "VPBridge" / "VPBridge.Build.cs").is_file()


def test_build_cs_reaches_the_core_headers_and_links_libzmq() -> None:
    cs = (MODULE / "VPBridge.Build.cs").read_text()
    assert '"cpp", "include"' in cs and "libzmq" in cs and "Cpp17" in cs
    core = (MODULE / ".." / ".." / ".." / ".." / "cpp" / "include").resolve()
    assert (core / "vpbridge" / "client.hpp").is_file() and (core / "vpbridge" / "coords.hpp").is_file()


def test_every_module_include_resolves() -> None:
    local = {p.name for p in MODULE.rglob("*.h")}
    core = {p.name for p in (ROOT / "engine_plugin" / "cpp" / "include" / "vpbridge").glob("*.hpp")}
    for src in [*MODULE.rglob("*.h"), *MODULE.rglob("*.cpp")]:
        for inc in re.findall(r'#include "([^"]+)"', src.read_text()):
            name = Path(inc).name
            if inc.startswith("vpbridge/"):
                assert name in core, f"{src.name}: {inc}"
            elif name.startswith("VPBridge") and not name.endswith(".generated.h"):
                assert name in local, f"{src.name}: {inc}"


def test_every_uclass_header_has_its_source() -> None:
    for header in (MODULE / "Public").glob("*.h"):
        text = header.read_text()
        if "UCLASS(" in text or "IMPLEMENT_MODULE" in text or "class VPBRIDGE_API" in text:
            assert (MODULE / "Private" / f"{header.stem}.cpp").is_file(), header.name
        if "UCLASS(" in text:
            assert f'#include "{header.stem}.generated.h"' in text, header.name
