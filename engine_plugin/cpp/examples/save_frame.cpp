// Connect, render one frame from a pose, save its colour as a PPM image. Usage: save_frame [endpoint]
#include <fstream>

#include "vpbridge/client.hpp"

int main(int argc, char** argv) {
  vpbridge::Client client;
  client.connect(argc > 1 ? argv[1] : "tcp://127.0.0.1:5555");
  vpbridge::Stream stream = client.open_stream();  // 1280×720 RGBA8 + f16 depth
  vpbridge::FrameBuffers frame;  // caller-owned, reused across frames
  stream.render({1, 0, 0, 0, 0, 1, 0, 1.7, 0, 0, 1, 5, 0, 0, 0, 1}, frame);  // T_world_camera: 1.7 m up, 5 m back
  const auto& p = frame.header.parts[0];
  std::ofstream out("frame.ppm", std::ios::binary);
  out << "P6 " << p.width << " " << p.height << " 255\n";
  for (std::size_t i = 0; i < frame.color()->size(); i += 4) out.write(reinterpret_cast<const char*>(&(*frame.color())[i]), 3);
}
