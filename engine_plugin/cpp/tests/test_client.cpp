// Tests of the C++ client core. Groups (argv[1]): codec, coords (no server); live (a real
// `vpbridge serve --source testpattern`); scene (`--scene studio_set`); curve (keys + CURVE).
#include <dirent.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

#include "testing.hpp"
#include "vpbridge/client.hpp"
#include "vpbridge/coords.hpp"

using namespace vpbridge;
using testing::Server;

namespace {

const Mat4 EYE = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
const Mat4 POSE = {1, 0, 0, 0.5, 0, 1, 0, 1.7, 0, 0, 1, 3.0, 0, 0, 0, 1};

Server& testpattern() {
  static Server s({"--source", "testpattern"});
  return s;
}

std::vector<char> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Re-encode `v`; fail unless the bytes decode back to an equal value.
template <class V, class Decode>
std::vector<char> reencode(const V& v, Decode decode) {
  msgpack::sbuffer buf;
  msg::encode_into(v, buf);
  if (!(decode(buf.data(), buf.size()) == v)) throw testing::Failure{"re-encoded message decodes to another value"};
  return {buf.data(), buf.data() + buf.size()};
}

// Decode a released fixture with the plane union its tag belongs to; return the re-encoded bytes.
std::vector<char> roundtrip_fixture(const std::string& tag, const std::vector<char>& d) {
  if (tag == "frame_header") return reencode(msg::decode<msg::FrameHeader>(d.data(), d.size()), msg::decode<msg::FrameHeader>);
  for (int plane = 0; plane < 5; ++plane) {
    try {
      switch (plane) {
        case 0: return reencode(msg::decode_control_request(d.data(), d.size()), msg::decode_control_request);
        case 1: return reencode(msg::decode_control_reply(d.data(), d.size()), msg::decode_control_reply);
        case 2: return reencode(msg::decode_frames_request(d.data(), d.size()), msg::decode_frames_request);
        case 3: return reencode(msg::decode_frames_event(d.data(), d.size()), msg::decode_frames_event);
        default: return reencode(msg::decode_state_message(d.data(), d.size()), msg::decode_state_message);
      }
    } catch (const UnknownMessage&) {
    }
  }
  throw testing::Failure{"no plane decodes " + tag};
}

double dist(const coords::Vec3& a, const coords::Vec3& b) {
  return std::abs(a.x - b.x) + std::abs(a.y - b.y) + std::abs(a.z - b.z);
}

double dist(const Mat4& a, const Mat4& b) {
  double d = 0;
  for (int i = 0; i < 16; ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

// A pose with every axis off the cardinal directions (rotations about Y then X) and a translation.
Mat4 oblique_pose() {
  const double a = 0.7, b = -0.4;
  const double ca = std::cos(a), sa = std::sin(a), cb = std::cos(b), sb = std::sin(b);
  // R = Ry(a) · Rx(b)
  return {ca, sa * sb, sa * cb, 1.25, 0, cb, -sb, 2.5, -sa, ca * sb, ca * cb, -3.75, 0, 0, 0, 1};
}

}  // namespace

// -- codec -------------------------------------------------------------------------------------------

TEST_CASE("codec", every_released_fixture_decodes_and_reencodes_to_the_same_bytes) {
  DIR* dir = ::opendir(VPBRIDGE_FIXTURES_DIR);
  CHECK(dir != nullptr);
  int n = 0;
  while (dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name.size() < 9 || name.substr(name.size() - 8) != ".msgpack") continue;
    const std::string tag = name.substr(0, name.find('.'));
    const auto data = read_file(std::string(VPBRIDGE_FIXTURES_DIR) + "/" + name);
    const auto again = roundtrip_fixture(tag, data);
    // Byte-identical, except that maps are re-encoded in key order (std::map; Python keeps insertion
    // order: same length, equal value, checked by reencode) and frame_header.full, whose `protocol`
    // equals the default (msgspec wrote it, C++ omits it).
    const bool reordered = again.size() == data.size();
    if (again != data && !reordered && name != "frame_header.full.msgpack") {
      throw testing::Failure{name + " re-encodes to other bytes"};
    }
    ++n;
  }
  ::closedir(dir);
  CHECK(n >= 50);
}

TEST_CASE("codec", unknown_keys_are_skipped_and_missing_optional_fields_take_defaults) {
  msgpack::sbuffer buf;
  msg::Packer pk(buf);
  pk.pack_map(4);
  msg::write_value(pk, std::string_view("type"));
  msg::write_value(pk, std::string_view("open_stream"));
  msg::write_value(pk, std::string_view("rid"));
  msg::write_value(pk, std::int64_t{7});
  msg::write_value(pk, std::string_view("from_the_future"));
  msg::write_value(pk, std::string_view("ignored"));
  msg::write_value(pk, std::string_view("width"));
  msg::write_value(pk, std::int64_t{640});
  const auto req = std::get<msg::OpenStream>(msg::decode_control_request(buf.data(), buf.size()));
  CHECK(req.rid == 7 && req.width == 640 && req.height == 720);
  CHECK(req.color == msg::ColorEncoding::rgba8 && !req.fov.has_value() && req.far == 2000.0);
}

TEST_CASE("codec", a_missing_required_field_and_an_unknown_type_are_named) {
  msgpack::sbuffer buf;
  msg::Packer pk(buf);
  pk.pack_map(1);
  msg::write_value(pk, std::string_view("type"));
  msg::write_value(pk, std::string_view("stream_opened"));
  try {
    (void)msg::decode_control_reply(buf.data(), buf.size());
    CHECK(false);
  } catch (const DecodeError& e) {
    CHECK(std::string(e.what()).find("`rid`") != std::string::npos);
  }
  buf.clear();
  msg::Packer pk2(buf);
  pk2.pack_map(1);
  msg::write_value(pk2, std::string_view("type"));
  msg::write_value(pk2, std::string_view("hologram"));
  CHECK_THROWS_AS(msg::decode_control_reply(buf.data(), buf.size()), UnknownMessage);
}

TEST_CASE("codec", sha256_matches_known_answers) {
  CHECK(sha256_hex("abc", 3) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("", 0) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string s56 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  CHECK(sha256_hex(s56.data(), s56.size()) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

// -- coords ------------------------------------------------------------------------------------------

TEST_CASE("coords", unreal_axes_map_forward_right_up_and_metres_to_centimetres) {
  using coords::Vec3;
  CHECK(dist(coords::unreal_from_wire_direction({0, 0, -1}), Vec3{1, 0, 0}) < 1e-12);  // forward -> +X
  CHECK(dist(coords::unreal_from_wire_direction({1, 0, 0}), Vec3{0, 1, 0}) < 1e-12);   // right -> +Y
  CHECK(dist(coords::unreal_from_wire_direction({0, 1, 0}), Vec3{0, 0, 1}) < 1e-12);   // up -> +Z
  CHECK(dist(coords::unreal_from_wire_point({1, 2, 3}), Vec3{-300, 100, 200}) < 1e-9);
  // The identity wire camera looks down wire −Z: as an Unreal camera its +X axis is that direction.
  const Mat4 ue = coords::unreal_from_wire_pose(POSE);
  CHECK(dist(Vec3{ue[0], ue[4], ue[8]}, coords::unreal_from_wire_direction({0, 0, -1})) < 1e-12);
  CHECK(dist(Vec3{ue[2], ue[6], ue[10]}, Vec3{0, 0, 1}) < 1e-12);
  CHECK(dist(Vec3{ue[3], ue[7], ue[11]}, Vec3{-300, 50, 170}) < 1e-9);
}

TEST_CASE("coords", blender_axes_map_y_up_to_z_up_and_keep_the_camera_frame) {
  using coords::Vec3;
  CHECK(dist(coords::blender_from_wire_point({1, 2, 3}), Vec3{1, -3, 2}) < 1e-12);
  CHECK(dist(coords::blender_from_wire_direction({0, 1, 0}), Vec3{0, 0, 1}) < 1e-12);   // up -> +Z
  CHECK(dist(coords::blender_from_wire_direction({0, 0, -1}), Vec3{0, 1, 0}) < 1e-12);  // wire forward -> +Y
  // The identity wire camera (looking along wire −Z, horizontal) is Blender's camera rotated 90° about X.
  const Mat4 b = coords::blender_from_wire_pose(EYE);
  CHECK(dist(b, Mat4{1, 0, 0, 0, 0, 0, -1, 0, 0, 1, 0, 0, 0, 0, 0, 1}) < 1e-12);
}

TEST_CASE("coords", conversions_round_trip_to_identity_both_ways) {
  const Mat4 p = oblique_pose();
  CHECK(dist(coords::wire_from_unreal_pose(coords::unreal_from_wire_pose(p)), p) < 1e-9);
  CHECK(dist(coords::unreal_from_wire_pose(coords::wire_from_unreal_pose(p)), p) < 1e-9);
  CHECK(dist(coords::wire_from_blender_pose(coords::blender_from_wire_pose(p)), p) < 1e-9);
  CHECK(dist(coords::blender_from_wire_pose(coords::wire_from_blender_pose(p)), p) < 1e-9);
  const coords::Vec3 v{0.3, -1.2, 7.5};
  CHECK(dist(coords::wire_from_unreal_point(coords::unreal_from_wire_point(v)), v) < 1e-9);
  CHECK(dist(coords::wire_from_blender_point(coords::blender_from_wire_point(v)), v) < 1e-9);
  CHECK(dist(coords::wire_from_unreal_direction(coords::unreal_from_wire_direction(v)), v) < 1e-9);
  CHECK(dist(coords::wire_from_blender_direction(coords::blender_from_wire_direction(v)), v) < 1e-9);
  const auto fov = coords::fov_from_lens(18.0, 36.0, 24.0);
  CHECK(std::abs(fov.right - M_PI / 4) < 1e-12 && fov.left == -fov.right && fov.down == -fov.up);
}

// -- live server -----------------------------------------------------------------------------------

TEST_CASE("live", handshake_gives_a_session_and_ping_answers) {
  Client c;
  const auto& w = c.connect(testpattern().control, {});
  CHECK(w.protocol == msg::PROTOCOL_VERSION && w.role == msg::Role::viewer && !w.session.empty());
  CHECK(w.limits.max_credits >= 1);
  CHECK(c.ping() > 0.0 && c.has_session());
  CHECK(c.state_seq() >= 0 && c.state().count("time_of_day") == 1);
}

TEST_CASE("live", one_credit_gives_exactly_one_frame_into_reused_buffers) {
  Client c;
  (void)c.connect(testpattern().control, {});
  msg::OpenStream req;
  req.width = 64;
  req.height = 48;
  Stream st = c.open_stream(req);
  FrameBuffers fb;
  const auto pose_id = st.request(POSE);
  CHECK(!st.receive(fb, ms(300)));  // no credit, no frame
  st.grant(1);
  CHECK(st.receive(fb, ms(10000)));
  CHECK(fb.header.pose_id == pose_id && fb.header.stream == st.id());
  CHECK(fb.color() != nullptr && fb.color()->size() == 64u * 48u * 4u);
  CHECK(fb.depth() != nullptr && fb.depth()->size() == 64u * 48u * 2u);
  CHECK(fb.header.times.t_pose != 0 && fb.t_received_ns >= fb.header.times.t_pose);
  CHECK(!st.receive(fb, ms(300)));  // the credit is used up
  const auto* color = fb.color()->data();
  st.render(EYE, fb);
  CHECK(fb.header.pose_id == pose_id + 1 && fb.color()->data() == color);  // same storage, no reallocation
  st.close();
}

TEST_CASE("live", a_late_joiner_follows_the_state_a_director_sets) {
  Client a, b;
  ConnectOptions director;
  director.role = msg::Role::director;
  (void)a.connect(testpattern().control, director);
  (void)b.connect(testpattern().control, {});
  const auto seq = a.set_params({{"exposure_ev", 1.5}, {"look", std::string("noir")}});
  CHECK(b.wait_state([](const auto& s) { return s.count("look") && s.at("look") == ParamValue(std::string("noir")); },
                     ms(5000)));
  CHECK(b.state().at("exposure_ev") == ParamValue(1.5) && b.state_seq() >= seq);
}

TEST_CASE("live", a_stale_base_seq_is_conflict_and_a_viewer_is_forbidden) {
  Client a, v;
  ConnectOptions director;
  director.role = msg::Role::director;
  (void)a.connect(testpattern().control, director);
  (void)v.connect(testpattern().control, {});
  const auto base = a.get_state().seq;
  (void)a.set_params({{"grain", 0.25}}, base);
  try {
    (void)a.set_params({{"grain", 0.5}}, base);
    CHECK(false);
  } catch (const RemoteError& e) {
    CHECK(e.code() == msg::ErrorCode::CONFLICT);
  }
  try {
    (void)v.set_params({{"grain", 0.5}});
    CHECK(false);
  } catch (const RemoteError& e) {
    CHECK(e.code() == msg::ErrorCode::FORBIDDEN);
  }
}

TEST_CASE("live", a_reported_camera_with_its_lens_is_visible_in_the_state) {
  Client eng, v;
  ConnectOptions engine;
  engine.role = msg::Role::engine;
  (void)eng.connect(testpattern().control, engine);
  (void)v.connect(testpattern().control, {});
  Lens lens;
  lens.focal_length_mm = 50.0;
  lens.aperture_f = 1.4;
  (void)eng.report_camera(POSE, lens);
  const std::string key = "camera." + eng.welcome().session.substr(0, 8);
  CHECK(v.wait_state([&](const auto& s) { return s.count(key) == 1; }, ms(5000)));
  const auto& values = std::get<std::vector<double>>(v.state().at(key));
  CHECK(values.size() == 21 && values[3] == 0.5 && values[16] == 50.0 && values[17] == 1.4);
}

TEST_CASE("live", an_unknown_server_fails_with_a_timeout_not_a_hang) {
  Client c;
  ConnectOptions o;
  o.timeout = ms(300);
  CHECK_THROWS_AS(c.connect("tcp://127.0.0.1:9", o), Timeout);
}

// -- scene -------------------------------------------------------------------------------------------

TEST_CASE("scene", get_scene_downloads_the_glb_and_manifest_intact) {
  Server srv({"--scene", "studio_set"});
  Client c;
  (void)c.connect(srv.control, {});
  const Scene s = c.get_scene(64 * 1024);  // several chunks, pipelined
  CHECK(s.info.chunks > 1 && static_cast<std::int64_t>(s.glb.size()) == s.info.nbytes);
  CHECK(std::memcmp(s.glb.data(), "glTF", 4) == 0);
  CHECK(sha256_hex(s.glb.data(), s.glb.size()) == s.info.sha256);
  CHECK(!s.manifest.empty() && s.manifest.front() == '{');
  if (const char* out = std::getenv("VPBRIDGE_SCENE_OUT")) {  // the Python test compares with its client
    std::ofstream(out, std::ios::binary).write(reinterpret_cast<const char*>(s.glb.data()),
                                               static_cast<std::streamsize>(s.glb.size()));
  }
}

// -- CURVE ---------------------------------------------------------------------------------------------

TEST_CASE("curve", curve_keys_from_a_client_key_file_give_the_keys_role) {
  const char* py = std::getenv("VPBRIDGE_PYTHON");
  const std::string dir = "/tmp/vpb-cpp-keys-" + std::to_string(::getpid());
  const std::string cmd = std::string(py) + " -m bridge.cli keys --file " + dir + "/server.toml --add cam --role engine -o " +
                          dir + "/cam.toml > /dev/null";
  CHECK(std::system(("mkdir -p " + dir).c_str()) == 0 && std::system(cmd.c_str()) == 0);
  {
    Server srv({"--source", "testpattern", "--keys", dir + "/server.toml"});
    Client c;
    ConnectOptions o;
    o.keys = CurveKeys::from_file(dir + "/cam.toml");
    const auto& w = c.connect(srv.control, o);
    CHECK(w.role == msg::Role::engine);
    Stream st = c.open_stream();
    FrameBuffers fb;
    st.render(EYE, fb);
    CHECK(fb.color() != nullptr);
    Client anon;  // no keys: the ZAP handler refuses the connection, so no reply ever comes
    ConnectOptions quick;
    quick.timeout = ms(500);
    CHECK_THROWS_AS(anon.connect(srv.control, quick), Timeout);
  }
  CHECK(std::system(("rm -rf " + dir).c_str()) == 0);
}

int main(int argc, char** argv) { return testing::run(argc, argv); }
