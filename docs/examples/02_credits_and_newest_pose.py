"""Credits bound what is in flight: with one credit, a burst of poses yields one frame of the newest.

Run: .venv/bin/python docs/examples/02_credits_and_newest_pose.py
"""

from bridge import Client, ServerConfig, ServerThread, Timeout, look_at
from bridge.server.sources import source_factory

with ServerThread(ServerConfig(port=0), source_factory("testpattern")) as server:
    with Client(server.endpoints["control"], follow_state=False) as client:
        stream = client.open_stream(width=320, height=180)
        stream.grant(1)
        stream.request(look_at((0, 2, 6), (0, 0, 0)))  # rendered at once: a credit is waiting
        for x in range(1, 10):
            stream.request(look_at((x * 0.5, 2, 6), (0, 0, 0)))  # each replaces the one before
        print("first frame for pose", stream.next_frame().pose_id)
        stream.grant(1)
        print("next frame for pose", stream.next_frame().pose_id, "(the newest)")
        try:
            stream.next_frame(timeout=0.3)
        except Timeout:
            print("no third frame: no credit left")
