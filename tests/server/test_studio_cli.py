"""`vpbridge params` and `vpbridge history` against an in-process server, with and without --json."""

from __future__ import annotations

import json

import pytest

from bridge.cli import main


def test_params_set_get_and_history_log_branch_checkout_diff(srv, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    ep = srv.endpoints["control"]
    assert main(["params", ep, "set", "look=noir", "exposure_ev=-0.5", "--message", "noir", "--json"]) == 0
    set_out = json.loads(capsys.readouterr().out)
    assert set_out["values"] == {"look": "noir", "exposure_ev": -0.5} and set_out["version"] == 2
    assert main(["params", ep, "get", "--json"]) == 0
    state = json.loads(capsys.readouterr().out)
    assert state["look"] == "noir" and state["history.head"] == 2
    assert main(["history", ep, "branch", "neutral", "1"]) == 0
    assert "at version 1" in capsys.readouterr().out
    assert main(["history", ep, "diff", "main", "neutral", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["look"] == {"a": "noir", "b": "neutral"}
    assert main(["history", ep, "checkout", "neutral"]) == 0
    capsys.readouterr()
    assert main(["history", ep, "log", "main", "--json"]) == 0
    log = json.loads(capsys.readouterr().out)
    assert log["branch"] == "neutral" and [v["id"] for v in log["versions"]] == [2, 1]
    assert main(["history", ep, "log"]) == 0
    assert "HEAD 1 (branch neutral)" in capsys.readouterr().out
    assert main(["params", ep, "watch", "--seconds", "0.2"]) == 0
    assert 'look="neutral"' in capsys.readouterr().out


def test_bad_studio_arguments_give_one_line(srv, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    ep = srv.endpoints["control"]
    assert main(["params", ep, "set", "nonsense"]) == 1
    assert "KEY=VALUE" in capsys.readouterr().err
    assert main(["params", ep, "set", "exposure_ev=99"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "exposure_ev" in err
    assert main(["history", ep, "diff", "main"]) == 1
    assert "A B" in capsys.readouterr().err
