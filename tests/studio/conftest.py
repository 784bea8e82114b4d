"""Fixtures for studio tests: a History on a real SQLite file in tmp_path, closed at teardown."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bridge.studio import History


@pytest.fixture
def open_history(tmp_path: Path) -> Iterator[Callable[..., History]]:
    """Open Histories (default file tmp_path/history.db); every one is closed at teardown."""
    opened: list[History] = []

    def make(path: Path | None = None, **kwargs: Any) -> History:
        h = History(path or tmp_path / "history.db", **kwargs)
        opened.append(h)
        return h

    yield make
    for h in opened:
        h.close()


@pytest.fixture
def history(open_history: Callable[..., History]) -> History:
    return open_history()
