"""Two clients share live state: a director changes the look, a viewer sees the delta and a re-render.

Run: .venv/bin/python docs/examples/03_live_parameters.py
"""

from bridge import Client, ServerConfig, ServerThread, look_at
from bridge.server.sources import source_factory

with ServerThread(ServerConfig(port=0), source_factory("testpattern")) as server:
    endpoint = server.endpoints["control"]
    with Client(endpoint, role="director", name="dana") as director, Client(endpoint, name="vic") as viewer:
        stream = viewer.open_stream(width=320, height=180)
        print("before:", stream.render(look_at((0, 2, 6), (0, 0, 0))).header.look)
        stream.grant(1)  # a credit lets the server re-render when the state changes
        director.set_params({"look": "noir", "exposure_ev": -0.5})
        viewer.wait_state(lambda s: s.get("look") == "noir")
        print("viewer state:", {k: viewer.state[k] for k in ("look", "exposure_ev")})
        print("after:", stream.next_frame().header.look)
