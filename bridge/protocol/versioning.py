"""Semver rules of the handshake: same major is accepted (minor skew is a warning), another major is refused."""

from __future__ import annotations

import re
from typing import NamedTuple

from bridge.errors import ProtocolError, VersionError

__all__ = ["SemVer", "check_compatible", "parse_semver"]

_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:[-+][0-9A-Za-z.-]+)?$")


class SemVer(NamedTuple):
    major: int
    minor: int
    patch: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


def parse_semver(text: str, *, field: str = "$.protocol") -> SemVer:
    """Parse "MAJOR.MINOR.PATCH" (a pre-release or build suffix is allowed and ignored)."""
    m = _SEMVER.match(text)
    if m is None:
        raise ProtocolError(
            "BAD_REQUEST",
            f"`protocol` must be a semantic version like '1.0.0', got {text!r}",
            field=field,
            hint="send bridge.protocol.PROTOCOL_VERSION",
        )
    return SemVer(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def check_compatible(ours: str, theirs: str) -> str | None:
    """Return a warning for minor skew, None when equal; raise VersionError for another major."""
    a, b = parse_semver(ours), parse_semver(theirs)
    if a.major != b.major:
        raise VersionError(
            "UNSUPPORTED_VERSION",
            f"client speaks protocol {b}, server speaks {a}: major versions differ",
            field="$.protocol",
            hint=f"use a vpbridge client of protocol {a.major}.x",
        )
    if (a.minor, a.patch) != (b.minor, b.patch):
        newer = "client" if (b.minor, b.patch) > (a.minor, a.patch) else "server"
        return (
            f"protocol skew: client {b}, server {a}; the {newer} is newer, "
            "fields unknown to the other side are ignored"
        )
    return None
