// Streaming benchmark of the C++ client, driven by bench/clients.py: keeps `credits` frames in
// flight, sends a new pose per frame received, prints one JSON line (frames/s, latency ms).
// Usage: bench_client ENDPOINT FRAMES WIDTH HEIGHT [CREDITS]
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "vpbridge/client.hpp"

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: bench_client ENDPOINT FRAMES WIDTH HEIGHT [CREDITS]\n");
    return 2;
  }
  const int frames = std::stoi(argv[2]);
  vpbridge::Client client;
  vpbridge::ConnectOptions opts;
  opts.follow_state = false;
  (void)client.connect(argv[1], opts);
  vpbridge::msg::OpenStream req;
  req.width = std::stoi(argv[3]);
  req.height = std::stoi(argv[4]);
  vpbridge::Stream st = client.open_stream(req);
  const std::int64_t credits = argc > 5 ? std::stoi(argv[5]) : 2;
  vpbridge::FrameBuffers fb;
  vpbridge::Mat4 pose = {1, 0, 0, 0, 0, 1, 0, 1.7, 0, 0, 1, 5, 0, 0, 0, 1};
  std::vector<double> lat;
  std::size_t bytes = 0;
  st.render(pose, fb);  // warm-up: sizes the buffers
  (void)st.request(pose);
  st.grant(credits);
  const std::int64_t t0 = vpbridge::now_ns();
  for (int i = 0; i < frames; ++i) {
    if (!st.receive(fb, vpbridge::ms(10000))) {
      std::fprintf(stderr, "timeout after %d frames\n", i);
      return 1;
    }
    lat.push_back(static_cast<double>(fb.t_received_ns - fb.header.times.t_pose) / 1e6);
    for (const auto& p : fb.parts) bytes += p.size();
    pose[3] = 0.001 * i;  // a new pose each frame
    (void)st.request(pose);
    st.grant(1);
  }
  const double secs = static_cast<double>(vpbridge::now_ns() - t0) / 1e9;
  std::sort(lat.begin(), lat.end());
  std::printf("{\"frames\": %d, \"seconds\": %.6f, \"fps\": %.3f, \"mb_per_s\": %.3f, \"latency_p50_ms\": %.4f, "
              "\"latency_p95_ms\": %.4f}\n",
              frames, secs, frames / secs, bytes / secs / 1e6, lat[lat.size() / 2], lat[lat.size() * 95 / 100]);
  return 0;
}
