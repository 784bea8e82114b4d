"""CURVE keys and roles: the keys file format, key generation, and the ZAP handler that admits only
listed client keys and tells the server which role each key holds."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import tomli_w
import tomllib
import zmq
import zmq.asyncio
import zmq.utils.z85

from bridge.errors import ConfigError

__all__ = [
    "ClientKeys",
    "KeysFile",
    "ZapHandler",
    "add_client",
    "generate_keypair",
    "load_client_keys",
    "load_keys_file",
]

log = logging.getLogger("vpbridge.security")
RoleName = Literal["director", "viewer", "engine"]
ROLES: tuple[RoleName, ...] = ("director", "viewer", "engine")


def generate_keypair() -> tuple[str, str]:
    """A new CURVE keypair as Z85 text: (public, secret)."""
    public, secret = zmq.curve_keypair()
    return public.decode(), secret.decode()


def _check_key(value: object, what: str, path: Path) -> str:
    if not isinstance(value, str) or len(value) != 40:
        raise ConfigError(
            f"{path}: `{what}` must be a 40-character Z85 CURVE key; generate one with `vpbridge keys`"
        )
    try:
        zmq.utils.z85.decode(value)
    except (ValueError, KeyError):
        raise ConfigError(
            f"{path}: `{what}` is not valid Z85 text; generate keys with `vpbridge keys`"
        ) from None
    return value


@dataclass(frozen=True)
class ClientEntry:
    name: str
    role: RoleName
    public_key: str


@dataclass
class KeysFile:
    """The server's keys file: its own keypair and the clients it admits, each bound to a role."""

    path: Path
    server_public: str
    server_secret: str
    clients: list[ClientEntry] = field(default_factory=list)

    def role_of(self, public_key: str) -> RoleName | None:
        for c in self.clients:
            if c.public_key == public_key:
                return c.role
        return None

    def name_of(self, public_key: str) -> str:
        for c in self.clients:
            if c.public_key == public_key:
                return c.name
        return ""

    def save(self) -> None:
        doc: dict[str, Any] = {
            "server": {"public_key": self.server_public, "secret_key": self.server_secret},
            "clients": [{"name": c.name, "role": c.role, "public_key": c.public_key} for c in self.clients],
        }
        self.path.write_text(
            "# vpbridge server keys: keep this file private (it holds the server's secret key).\n"
            + tomli_w.dumps(doc)
        )
        self.path.chmod(0o600)


def load_keys_file(path: str | Path) -> KeysFile:
    p = Path(path)
    try:
        doc = tomllib.loads(p.read_text())
    except FileNotFoundError:
        raise ConfigError(
            f"keys file {p} does not exist; create it with `vpbridge keys --file {p} --add NAME`"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"keys file {p} is not valid TOML: {exc}") from None
    server = doc.get("server")
    if not isinstance(server, dict):
        raise ConfigError(
            f"keys file {p} has no [server] table; create it with `vpbridge keys --file {p} --add NAME`"
        )
    kf = KeysFile(
        p,
        _check_key(server.get("public_key"), "server.public_key", p),
        _check_key(server.get("secret_key"), "server.secret_key", p),
    )
    for i, c in enumerate(doc.get("clients", [])):
        role = c.get("role")
        if role not in ROLES:
            raise ConfigError(f"{p}: clients[{i}].role must be one of {', '.join(ROLES)}, got {role!r}")
        kf.clients.append(
            ClientEntry(
                str(c.get("name", f"client{i}")),
                role,
                _check_key(c.get("public_key"), f"clients[{i}].public_key", p),
            )
        )
    return kf


@dataclass(frozen=True)
class ClientKeys:
    """What a client needs to connect with CURVE: its keypair and the server's public key."""

    public: str
    secret: str
    server_public: str


def load_client_keys(path: str | Path) -> ClientKeys:
    p = Path(path)
    try:
        doc = tomllib.loads(p.read_text())
    except FileNotFoundError:
        raise ConfigError(
            f"client keys file {p} does not exist; make one with `vpbridge keys --add NAME -o {p}`"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"client keys file {p} is not valid TOML: {exc}") from None
    return ClientKeys(
        _check_key(doc.get("public_key"), "public_key", p),
        _check_key(doc.get("secret_key"), "secret_key", p),
        _check_key(doc.get("server_public_key"), "server_public_key", p),
    )


def add_client(keys_path: str | Path, name: str, role: str, out: str | Path) -> tuple[KeysFile, Path]:
    """Create the keys file if needed, add a client with a fresh keypair, write the client's key file."""
    if role not in ROLES:
        raise ConfigError(f"`--role` must be one of {', '.join(ROLES)}, got {role!r}")
    kp = Path(keys_path)
    if kp.exists():
        kf = load_keys_file(kp)
    else:
        pub, sec = generate_keypair()
        kf = KeysFile(kp, pub, sec)
    if any(c.name == name for c in kf.clients):
        raise ConfigError(f"{kp} already has a client named {name!r}; pick another `--add` name")
    pub, sec = generate_keypair()
    kf.clients.append(ClientEntry(name, role, pub))
    kf.save()
    outp = Path(out)
    outp.write_text(
        f"# vpbridge client keys for {name!r} (role {role}); keep private.\n"
        + tomli_w.dumps(
            {
                "name": name,
                "role": role,
                "public_key": pub,
                "secret_key": sec,
                "server_public_key": kf.server_public,
            }
        )
    )
    outp.chmod(0o600)
    return kf, outp


class ZapHandler:
    """A ZAP (RFC 27) handler on the server's event loop: admits CURVE clients listed in the keys file.

    The admitted key's Z85 text becomes the ZMQ User-Id of every message from that connection, which
    the server maps to the key's role.
    """

    def __init__(self, ctx: zmq.asyncio.Context, keys: KeysFile) -> None:
        self.keys = keys
        self.denied = 0
        self._sock = ctx.socket(zmq.REP)
        self._sock.setsockopt(zmq.LINGER, 0)
        self._sock.bind("inproc://zeromq.zap.01")
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="zap")

    async def _run(self) -> None:
        while True:
            frames = await self._sock.recv_multipart()
            await self._sock.send_multipart(self._answer(frames))

    def _answer(self, frames: list[bytes]) -> list[bytes]:
        if len(frames) < 6:
            return [b"1.0", b"", b"500", b"malformed ZAP request", b"", b""]
        version, request_id, _domain, address, _identity, mechanism = frames[:6]
        if mechanism == b"CURVE" and len(frames) >= 7 and len(frames[6]) == 32:
            key = zmq.utils.z85.encode(frames[6]).decode()
            if self.keys.role_of(key) is not None:
                return [version, request_id, b"200", b"OK", key.encode(), b""]
        self.denied += 1
        log.warning(
            "refused a %s connection from %s: key not in %s",
            mechanism.decode(errors="replace"),
            address.decode(errors="replace") or "?",
            self.keys.path,
        )
        return [version, request_id, b"400", b"key not allowed", b"", b""]

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self._sock.close(linger=0)
