"""Shared fixtures: an in-process vpbridge server (test-pattern source) on free loopback tcp ports.

`server` is a started ServerThread (use `server.endpoints["control"]`); `server_factory(**overrides)`
starts one per call with ServerConfig overrides, e.g. `server_factory(limits=Limits(max_credits=1))`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bridge.server import ServerConfig, ServerThread


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Servers started by a test (in-process or `vpbridge serve` subprocesses) keep their history in
    a directory of their own, never in ~/.local/share."""
    monkeypatch.setenv("VPBRIDGE_DATA", str(tmp_path_factory.mktemp("data")))


@pytest.fixture
def server_factory() -> Iterator[Callable[..., ServerThread]]:
    """Start servers with `ServerConfig` overrides (port defaults to 0); all are stopped at teardown."""
    started: list[ServerThread] = []

    def make(**config_overrides: Any) -> ServerThread:
        config = ServerConfig(**{"port": 0, **config_overrides})
        srv = ServerThread(config).start()
        started.append(srv)
        return srv

    yield make
    for srv in reversed(started):
        srv.stop()


@pytest.fixture
def server(server_factory: Callable[..., ServerThread]) -> ServerThread:
    """A started server with default limits and the deterministic test-pattern source."""
    return server_factory()
