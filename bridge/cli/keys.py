"""`vpbridge keys`: create a server keys file and add clients with roles (CURVE keypairs)."""

from __future__ import annotations

import argparse
from pathlib import Path

from bridge.cli._common import subparser
from bridge.transport.security import KeysFile, add_client, generate_keypair, load_keys_file


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparser(
        sub,
        "keys",
        "generate CURVE keys: the server's, and one per client with a role",
        "Creates FILE (the server keys file) if needed. --add NAME adds a client bound to --role and\n"
        "writes that client's key file (-o), which the client passes as `keys=`.",
        "vpbridge keys --file keys.toml --add alice --role director -o alice.toml",
    )
    p.add_argument(
        "--file", type=Path, default=Path("keys.toml"), help="server keys file (default keys.toml)"
    )
    p.add_argument("--add", metavar="NAME", help="add a client with this name")
    p.add_argument(
        "--role", choices=("director", "viewer", "engine"), default="viewer", help="role for --add"
    )
    p.add_argument("-o", "--out", type=Path, help="client key file for --add (default NAME.client.toml)")
    p.add_argument("--list", action="store_true", help="list the clients in FILE")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.add:
        kf, out = add_client(args.file, args.add, args.role, args.out or Path(f"{args.add}.client.toml"))
        print(f"added {args.add!r} ({args.role}) to {kf.path}; client key file: {out}")
        print(f"serve with: vpbridge serve --keys {kf.path}")
        return 0
    if args.file.exists():
        kf = load_keys_file(args.file)
    else:
        pub, sec = generate_keypair()
        kf = KeysFile(args.file, pub, sec)
        kf.save()
        print(f"created {kf.path}")
    print(f"server public key: {kf.server_public}")
    if args.list or kf.clients:
        for c in kf.clients:
            print(f"  {c.name:<16} {c.role:<9} {c.public_key}")
    return 0
