"""docs/studio.md cannot go stale: its parameter table is exactly what `schema_table()` renders."""

from __future__ import annotations

import re
from pathlib import Path

from bridge.studio import schema_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "studio.md"


def test_docs_parameter_table_matches_the_schema() -> None:
    found = re.search(r"<!-- params:begin -->\n(.*?)<!-- params:end -->", DOC.read_text(), re.S)
    assert found is not None, "docs/studio.md has no <!-- params:begin --> … <!-- params:end --> block"
    assert found.group(1) == schema_table(), "regenerate the table in docs/studio.md from schema_table()"
