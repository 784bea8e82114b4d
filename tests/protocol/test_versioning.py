"""The semver handshake rules: same major accepted (minor skew warns), another major refused, bad text refused."""

from __future__ import annotations

import pytest

from bridge.errors import ProtocolError, VersionError
from bridge.protocol import PROTOCOL_VERSION, SemVer, check_compatible, parse_semver


def test_identical_versions_are_accepted_without_a_warning() -> None:
    assert check_compatible("1.0.0", "1.0.0") is None


@pytest.mark.parametrize(
    ("ours", "theirs", "newer"),
    [
        ("1.0.0", "1.3.0", "client"),
        ("1.4.2", "1.0.0", "server"),
        ("1.0.0", "1.0.7", "client"),
        ("1.2.0", "1.1.9", "server"),
    ],
)
def test_minor_or_patch_skew_is_accepted_with_a_warning_naming_both(
    ours: str, theirs: str, newer: str
) -> None:
    warning = check_compatible(ours, theirs)
    assert warning is not None
    assert ours in warning and theirs in warning
    assert f"the {newer} is newer" in warning


@pytest.mark.parametrize(("ours", "theirs"), [("1.0.0", "2.0.0"), ("2.1.0", "1.9.9"), ("1.0.0", "0.9.0")])
def test_other_major_is_unsupported_version_naming_both(ours: str, theirs: str) -> None:
    with pytest.raises(VersionError) as info:
        check_compatible(ours, theirs)
    err = info.value
    assert isinstance(err, ProtocolError)
    assert (err.code, err.field) == ("UNSUPPORTED_VERSION", "$.protocol")
    assert ours in err.message and theirs in err.message
    assert err.hint


@pytest.mark.parametrize(
    "text", ["", "1", "1.0", "v1.0.0", "1.0.0.0", "01.0.0", "1.x.0", " 1.0.0", "1.0.0-", "latest"]
)
def test_malformed_semver_is_bad_request(text: str) -> None:
    with pytest.raises(ProtocolError) as info:
        check_compatible(PROTOCOL_VERSION, text)
    assert not isinstance(info.value, VersionError)
    assert (info.value.code, info.value.field) == ("BAD_REQUEST", "$.protocol")
    assert repr(text) in info.value.message


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("1.0.0", SemVer(1, 0, 0)),
        ("10.20.30", SemVer(10, 20, 30)),
        ("1.2.3-rc.1", SemVer(1, 2, 3)),
        ("1.2.3+build.5", SemVer(1, 2, 3)),
    ],
)
def test_pre_release_and_build_suffixes_are_ignored(text: str, want: SemVer) -> None:
    assert parse_semver(text) == want
    assert str(parse_semver(text)) == f"{want.major}.{want.minor}.{want.patch}"


def test_our_own_version_is_valid_semver() -> None:
    assert parse_semver(PROTOCOL_VERSION).major >= 1
