"""CURVE + ZAP: unlisted clients get nothing; roles come from keys, not from what a client asks for."""

from __future__ import annotations

import numpy as np
import pytest
import zmq

from bridge.client_sync import Client
from bridge.errors import RemoteError, Timeout
from bridge.protocol import Hello
from bridge.transport.security import ClientKeys, add_client, generate_keypair, load_keys_file


@pytest.fixture
def keys(tmp_path):  # type: ignore[no-untyped-def]
    kf = tmp_path / "keys.toml"
    add_client(kf, "dana", "director", tmp_path / "dana.toml")
    add_client(kf, "vic", "viewer", tmp_path / "vic.toml")
    return kf


def test_client_without_a_key_receives_nothing(make_server, keys, raw) -> None:  # type: ignore[no-untyped-def]
    srv = make_server(keys_file=keys)
    plain = raw(srv.endpoints["control"])
    plain.send(Hello(rid=1, protocol="1.0.0"))
    assert plain.recv_parts(timeout=1.0) is None


def test_client_with_an_unlisted_key_receives_nothing(make_server, keys, zctx) -> None:  # type: ignore[no-untyped-def]
    srv = make_server(keys_file=keys)
    pub, sec = generate_keypair()
    sock = zctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.curve_serverkey = load_keys_file(keys).server_public.encode()
    sock.curve_publickey, sock.curve_secretkey = pub.encode(), sec.encode()
    sock.connect(srv.endpoints["control"])
    from bridge.protocol import encode

    try:
        sock.send(encode(Hello(rid=1, protocol="1.0.0")))
        assert sock.poll(1000) == 0
        assert srv.call(lambda s: s._zap.denied) >= 1
    finally:
        sock.close(linger=0)


def test_viewer_key_cannot_do_director_actions_even_when_asking_for_director(
    make_server, keys, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    srv = make_server(keys_file=keys)
    with Client(
        srv.endpoints["control"], role="director", keys=tmp_path / "vic.toml", follow_state=False
    ) as c:
        assert c.welcome.role == "viewer"
        assert any("grants 'viewer'" in w for w in c.welcome.warnings)
        with pytest.raises(RemoteError) as err:
            c.set_params({"look": "noir"})
        assert err.value.code == "FORBIDDEN"
        assert c.open_stream(width=16, height=16).render(np.eye(4)).color.shape == (16, 16, 4)


def test_director_key_steers_and_streams_encrypted(make_server, keys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    srv = make_server(keys_file=keys)
    with Client(srv.endpoints["control"], role="director", keys=tmp_path / "dana.toml") as c:
        assert c.welcome.role == "director"
        c.set_params({"look": "vibrant"})
        c.wait_state(lambda s: s.get("look") == "vibrant", timeout=5)
        assert c.open_stream(width=32, height=16).render(np.eye(4)).header.look == "vibrant"


def test_wrong_server_key_times_out_instead_of_connecting(make_server, keys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    srv = make_server(keys_file=keys)
    from bridge.transport.security import load_client_keys

    good = load_client_keys(tmp_path / "dana.toml")
    bad = ClientKeys(good.public, good.secret, generate_keypair()[0])
    with pytest.raises(Timeout):
        Client(srv.endpoints["control"], keys=bad, timeout=1.0)


def test_keys_file_errors_name_the_file_and_the_fix(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bridge.errors import ConfigError

    bad = tmp_path / "bad.toml"
    bad.write_text('[server]\npublic_key = "short"\nsecret_key = "x"\n')
    with pytest.raises(ConfigError, match="server.public_key.*40-character"):
        load_keys_file(bad)
    with pytest.raises(ConfigError, match="does not exist.*vpbridge keys"):
        load_keys_file(tmp_path / "missing.toml")
