"""Start a server in this process, connect a client, and save one colour frame and its depth.

Run: .venv/bin/python docs/examples/01_stream_frames.py [OUT_DIR]
"""

import sys
from pathlib import Path

import numpy as np
from PIL import Image

from bridge import Client, ServerConfig, ServerThread, look_at
from bridge.server.sources import source_factory

out = Path(sys.argv[1] if len(sys.argv) > 1 else "out")
out.mkdir(exist_ok=True)

with ServerThread(ServerConfig(port=0), source_factory("testpattern")) as server:
    with Client(server.endpoints["control"], name="example-01") as client:
        stream = client.open_stream(width=640, height=360)
        frame = stream.render(look_at((0.0, 1.7, 6.0), (0.0, 0.0, -4.0)))
        Image.fromarray(np.asarray(frame.color)).save(out / "example_01.png")
        np.save(out / "example_01_depth.npy", frame.depth)
        print(frame.latency_table())
