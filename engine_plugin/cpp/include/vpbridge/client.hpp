// vpbridge C++ client core: handshake (CURVE when keys are given), frames under credits into
// caller-owned buffers, shared state (snapshot + deltas, re-snapshot on a gap), scene download,
// camera reports and live parameters.
//
// Threading: single-threaded and poll-based. A Client and its Streams belong to one thread (an
// engine's game thread calls `poll()` from its tick); nothing runs in the background. Use one
// Client per thread if several threads need the server.
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vpbridge/errors.hpp"
#include "vpbridge/messages.hpp"
#include "vpbridge/sha256.hpp"

namespace vpbridge {

using ms = std::chrono::milliseconds;
using msg::Mat4;
using msg::ParamValue;

/// The server answered `error`. Branch on `code()`, never on the message text.
class RemoteError : public Exception {
 public:
  explicit RemoteError(const msg::Error& e)
      : Exception(std::string(msg::to_string(e.code)) + ": " + e.message + (e.hint.empty() ? "" : " (" + e.hint + ")")),
        error_(e) {}
  [[nodiscard]] msg::ErrorCode code() const noexcept { return error_.code; }
  [[nodiscard]] const msg::Error& error() const noexcept { return error_; }

 private:
  msg::Error error_;
};

/// CURVE keys of a client (40-character Z85 text each), as `vpbridge keys --add NAME -o FILE` writes them.
struct CurveKeys {
  std::string public_key;
  std::string secret_key;
  std::string server_public_key;

  /// Read the three keys from a client key file (TOML; only `key = "value"` lines are read).
  [[nodiscard]] static CurveKeys from_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw TransportError("cannot read client key file '" + path + "' (write one with `vpbridge keys --add`)");
    CurveKeys k;
    std::string line;
    while (std::getline(in, line)) {
      const auto eq = line.find('=');
      const auto q1 = line.find('"', eq == std::string::npos ? 0 : eq);
      const auto q2 = q1 == std::string::npos ? q1 : line.find('"', q1 + 1);
      if (eq == std::string::npos || q2 == std::string::npos) continue;
      std::string key = line.substr(0, eq);
      key.erase(key.find_last_not_of(" \t") + 1);
      key.erase(0, key.find_first_not_of(" \t"));
      const std::string value = line.substr(q1 + 1, q2 - q1 - 1);
      if (key == "public_key") k.public_key = value;
      else if (key == "secret_key") k.secret_key = value;
      else if (key == "server_public_key") k.server_public_key = value;
    }
    for (const auto* v : {&k.public_key, &k.secret_key, &k.server_public_key}) {
      if (v->size() != 40) throw TransportError("client key file '" + path + "' lacks a 40-character Z85 key");
    }
    return k;
  }
};

struct ConnectOptions {
  std::string name = "cpp";  ///< shown in presence and server logs
  msg::Role role = msg::Role::viewer;  ///< asked for; with keys the key's role wins
  std::optional<CurveKeys> keys;  ///< CURVE encryption + authentication when set
  ms timeout{10000};  ///< for each control reply
  bool follow_state = true;  ///< subscribe to the state plane and snapshot on connect
};

/// Caller-owned frame storage: buffers grow to fit the largest frame seen and are then reused,
/// so a steady stream allocates no payload memory per frame.
struct FrameBuffers {
  msg::FrameHeader header;
  std::vector<msg::Bytes> parts;  ///< one per `header.parts` entry, raw bytes (docs/protocol.md §2)
  std::int64_t t_received_ns = 0;  ///< client steady clock when the frame was read

  /// The payload part of `kind` ("color", "depth", "ids") for `view`, or nullptr.
  [[nodiscard]] const msg::Bytes* part(msg::PartInfoKind kind, std::int64_t view = 0) const {
    for (std::size_t i = 0; i < header.parts.size() && i < parts.size(); ++i) {
      if (header.parts[i].kind == kind && header.parts[i].view == view) return &parts[i];
    }
    return nullptr;
  }
  [[nodiscard]] const msg::Bytes* color(std::int64_t view = 0) const { return part(msg::PartInfoKind::color, view); }
  [[nodiscard]] const msg::Bytes* depth(std::int64_t view = 0) const { return part(msg::PartInfoKind::depth, view); }
};

/// The scene as GLB bytes and its manifest (JSON text, docs/world.md).
struct Scene {
  msg::SceneInfo info;
  msg::Bytes glb;
  std::string manifest;
};

/// A camera's lens, reported with its pose (`Client::report_camera`).
struct Lens {
  double focal_length_mm = 35.0;
  double aperture_f = 2.8;
  double focus_distance_m = 10.0;
  double sensor_width_mm = 36.0;
  double sensor_height_mm = 24.0;
};

[[nodiscard]] inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class Client;

/// A frame stream. Grant credits, send poses, receive frames. Must not outlive its Client.
class Stream {
 public:
  Stream(Stream&&) noexcept = default;
  Stream& operator=(Stream&&) noexcept = default;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  [[nodiscard]] std::int64_t id() const noexcept { return id_; }
  [[nodiscard]] std::int64_t max_credits() const noexcept { return max_credits_; }
  /// Credits granted and not yet used by a frame (as far as this client knows).
  [[nodiscard]] std::int64_t outstanding() const noexcept { return outstanding_; }

  /// Grant up to `n` credits (capped so that at most `max_credits()` are outstanding).
  inline void grant(std::int64_t n = 1);
  /// Ask for a frame from `T_world_camera` (wire convention). Returns the pose id the frame echoes.
  inline std::int64_t request(const Mat4& T_world_camera, msg::PoseRequest extra = {});
  /// Wait up to `timeout` for the next frame of this stream and copy it into `out`.
  /// Returns false on timeout; throws TransportError if the server closed the stream.
  [[nodiscard]] inline bool receive(FrameBuffers& out, ms timeout);
  /// Request `T_world_camera` and wait for its frame (granting a credit if none is outstanding).
  inline void render(const Mat4& T_world_camera, FrameBuffers& out, ms timeout = ms(10000));
  inline void close();

 private:
  friend class Client;
  Stream(Client* c, std::int64_t id, std::int64_t max_credits) : client_(c), id_(id), max_credits_(max_credits) {}
  Client* client_;
  std::int64_t id_;
  std::int64_t max_credits_;
  std::int64_t outstanding_ = 0;
  std::int64_t next_pose_ = 1;
  bool closed_ = false;
};

/// One connection to a vpbridge server: owns the ZeroMQ context and the three sockets (RAII).
class Client {
 public:
  Client() = default;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client() { close(); }

  /// Handshake on `endpoint` (the control plane), attach the frames socket, snapshot the state.
  inline const msg::Welcome& connect(const std::string& endpoint, ConnectOptions options = {});
  /// Say bye (best effort, short timeout) and close the sockets. Called by the destructor.
  inline void close() noexcept;

  /// Round-trip time in seconds.
  inline double ping();
  [[nodiscard]] inline Stream open_stream(msg::OpenStream req = {});
  [[nodiscard]] inline msg::StateSnapshot get_state();
  /// Change live parameters (director role). Returns the new state seq; CONFLICT if `base_seq` is stale.
  inline std::int64_t set_params(std::map<std::string, ParamValue> values, std::optional<std::int64_t> base_seq = {});
  /// Download the scene (GLB in chunks, checked against its size and SHA-256) and its manifest.
  [[nodiscard]] inline Scene get_scene(std::int64_t chunk_bytes = 1 << 20);
  /// Publish this engine's camera pose (wire convention) and lens. Returns the new state seq.
  inline std::int64_t report_camera(const Mat4& T_world_camera, const Lens& lens = {}, std::int64_t t_ns = 0);

  /// Service the state plane (apply deltas, re-snapshot on gaps) and keep the session alive.
  /// Call once per tick; waits at most `timeout` for the first state message.
  inline void poll(ms timeout = ms(0));
  /// poll() until `pred(state())` holds; false on timeout.
  [[nodiscard]] inline bool wait_state(const std::function<bool(const std::map<std::string, ParamValue>&)>& pred,
                                       ms timeout);

  [[nodiscard]] const std::map<std::string, ParamValue>& state() const noexcept { return state_; }
  [[nodiscard]] std::int64_t state_seq() const noexcept { return seq_; }
  [[nodiscard]] std::int64_t scene_version() const noexcept { return scene_version_; }
  [[nodiscard]] std::int64_t resnapshots() const noexcept { return resnapshots_; }
  /// False once a pong said the server forgot this session (restart): connect() again.
  [[nodiscard]] bool has_session() const noexcept { return has_session_; }
  [[nodiscard]] const msg::Welcome& welcome() const noexcept { return welcome_; }

  /// Send a control request (its rid is assigned here) and return the reply; throws RemoteError.
  template <class Reply, class Request>
  Reply request(Request req, std::optional<ms> timeout = {});

 private:
  friend class Stream;
  inline zmq::socket_t make_socket(zmq::socket_type type);
  template <class Req>
  std::int64_t send_control(Req req);
  inline msg::ControlReply wait_reply(std::int64_t rid, ms timeout);
  inline void on_control(msg::ControlReply reply);
  template <class M>
  void send_frames(const M& m);
  inline bool read_frames(FrameBuffers* out, std::int64_t stream, ms timeout);
  inline void apply(const msg::StateSnapshot& s);
  inline void resnapshot();

  zmq::context_t ctx_;
  zmq::socket_t control_, state_sub_, frames_;
  ConnectOptions options_;
  msg::Welcome welcome_;
  msgpack::sbuffer buf_;
  std::int64_t next_rid_ = 1;
  std::map<std::int64_t, msg::ControlReply> stash_;
  std::map<std::string, ParamValue> state_;
  std::int64_t seq_ = -1, scene_version_ = 0, resnapshots_ = 0;
  std::int64_t last_ping_ns_ = 0;
  bool has_session_ = false;
  std::map<std::int64_t, std::string> closed_reason_;
  std::optional<msg::Error> frames_error_;
  zmq::message_t scratch_;
};

// -- Client ------------------------------------------------------------------------------------------

inline zmq::socket_t Client::make_socket(zmq::socket_type type) {
  zmq::socket_t s(ctx_, type);
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::heartbeat_ivl, 1000);
  s.set(zmq::sockopt::heartbeat_timeout, 3000);
  s.set(zmq::sockopt::heartbeat_ttl, 6000);
  if (options_.keys) {
    s.set(zmq::sockopt::curve_serverkey, options_.keys->server_public_key);
    s.set(zmq::sockopt::curve_publickey, options_.keys->public_key);
    s.set(zmq::sockopt::curve_secretkey, options_.keys->secret_key);
  }
  return s;
}

inline const msg::Welcome& Client::connect(const std::string& endpoint, ConnectOptions options) {
  close();
  options_ = std::move(options);
  try {
    control_ = make_socket(zmq::socket_type::dealer);
    control_.connect(endpoint);
    msg::Hello hello;
    hello.protocol = msg::PROTOCOL_VERSION;
    hello.client = options_.name;
    hello.client_version = "cpp-0.1.0";
    hello.role = options_.role;
    welcome_ = request<msg::Welcome>(hello);
    has_session_ = true;
    if (options_.follow_state) {
      state_sub_ = make_socket(zmq::socket_type::sub);
      state_sub_.set(zmq::sockopt::subscribe, "vpb.state");
      state_sub_.connect(welcome_.endpoints.state);
    }
    frames_ = make_socket(zmq::socket_type::dealer);
    frames_.set(zmq::sockopt::rcvhwm, 64);
    frames_.connect(welcome_.endpoints.frames);
    msg::Attach attach;
    attach.rid = next_rid_++;
    attach.session = welcome_.session;
    send_frames(attach);
    const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    while (true) {  // the attach answer is an `ok` event with our rid
      frames_error_.reset();
      const auto left = std::chrono::duration_cast<ms>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) throw Timeout("frames endpoint did not answer attach in time");
      if (read_frames(nullptr, -attach.rid, left)) break;
      if (frames_error_ && frames_error_->rid == attach.rid) throw RemoteError(*frames_error_);
    }
  } catch (const zmq::error_t& e) {
    throw TransportError(std::string("cannot connect to ") + endpoint + ": " + e.what());
  }
  last_ping_ns_ = now_ns();
  if (options_.follow_state) resnapshot();
  return welcome_;
}

inline void Client::close() noexcept {
  if (!control_) return;
  if (has_session_) {
    try {
      request<msg::Ok>(msg::Bye{}, ms(500));
    } catch (...) {  // the server may be gone; closing must still succeed
    }
  }
  has_session_ = false;
  control_.close();
  if (state_sub_) state_sub_.close();
  if (frames_) frames_.close();
  stash_.clear();
  state_.clear();
  seq_ = -1;
}

template <class Req>
std::int64_t Client::send_control(Req req) {
  if (!control_) throw TransportError("not connected: call connect() first");
  req.rid = next_rid_++;
  msg::encode_into(req, buf_);
  control_.send(zmq::const_buffer(buf_.data(), buf_.size()), zmq::send_flags::none);
  return req.rid;
}

inline void Client::on_control(msg::ControlReply reply) {
  if (auto* pong = std::get_if<msg::Pong>(&reply)) {
    if (!pong->session) has_session_ = false;
  } else if (std::holds_alternative<msg::ServerBye>(reply)) {
    has_session_ = false;
  }
}

inline msg::ControlReply Client::wait_reply(std::int64_t rid, ms timeout) {
  if (auto it = stash_.find(rid); it != stash_.end()) {
    msg::ControlReply r = std::move(it->second);
    stash_.erase(it);
    return r;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<ms>(deadline - std::chrono::steady_clock::now());
    zmq::pollitem_t item{control_.handle(), 0, ZMQ_POLLIN, 0};
    if (left.count() < 0 || zmq::poll(&item, 1, left) == 0) {
      throw Timeout("no reply from the server within " + std::to_string(timeout.count()) + " ms; is it running?");
    }
    if (!control_.recv(scratch_, zmq::recv_flags::dontwait)) continue;
    msg::ControlReply reply;
    try {
      reply = msg::decode_control_reply(scratch_.data(), scratch_.size());
    } catch (const UnknownMessage&) {
      continue;  // a newer server's reply type
    }
    const std::int64_t got = std::visit(
        [](const auto& m) -> std::int64_t {
          if constexpr (std::is_same_v<std::decay_t<decltype(m)>, msg::ServerBye>) {
            return -1;
          } else {
            return m.rid;
          }
        },
        reply);
    if (got == rid) return reply;
    on_control(reply);
    if (got > 0 && !std::holds_alternative<msg::Pong>(reply)) stash_.emplace(got, std::move(reply));
  }
}

template <class Reply, class Request>
Reply Client::request(Request req, std::optional<ms> timeout) {
  const std::int64_t rid = send_control(std::move(req));
  msg::ControlReply reply = wait_reply(rid, timeout.value_or(options_.timeout));
  if (auto* err = std::get_if<msg::Error>(&reply)) throw RemoteError(*err);
  if (auto* r = std::get_if<Reply>(&reply)) return std::move(*r);
  throw DecodeError(std::string("expected a `") + Reply::TAG + "` reply, got another message type");
}

inline double Client::ping() {
  msg::Ping p;
  p.t_client_ns = now_ns();
  const std::int64_t t0 = now_ns();
  const auto pong = request<msg::Pong>(p);
  has_session_ = pong.session;
  return static_cast<double>(now_ns() - t0) / 1e9;
}

inline Stream Client::open_stream(msg::OpenStream req) {
  const auto opened = request<msg::StreamOpened>(std::move(req));
  return Stream(this, opened.stream, opened.max_credits);
}

inline msg::StateSnapshot Client::get_state() { return request<msg::StateSnapshot>(msg::GetState{}); }

inline std::int64_t Client::set_params(std::map<std::string, ParamValue> values, std::optional<std::int64_t> base_seq) {
  msg::SetParams req;
  req.values = std::move(values);
  req.base_seq = base_seq;
  return std::stoll(request<msg::Ok>(std::move(req)).detail);
}

inline std::int64_t Client::report_camera(const Mat4& T_world_camera, const Lens& lens, std::int64_t t_ns) {
  msg::CameraReport r;
  r.T_world_camera = T_world_camera;
  r.focal_length_mm = lens.focal_length_mm;
  r.aperture_f = lens.aperture_f;
  r.focus_distance_m = lens.focus_distance_m;
  r.sensor_width_mm = lens.sensor_width_mm;
  r.sensor_height_mm = lens.sensor_height_mm;
  r.t_ns = t_ns != 0 ? t_ns : now_ns();
  return std::stoll(request<msg::Ok>(r).detail);
}

inline Scene Client::get_scene(std::int64_t chunk_bytes) {
  msg::GetScene gs;
  gs.chunk_bytes = chunk_bytes;
  Scene scene;
  scene.info = request<msg::SceneInfo>(gs);
  scene.glb.reserve(static_cast<std::size_t>(scene.info.nbytes));
  constexpr std::int64_t window = 4;  // chunks in flight: hides the round trip without flooding
  for (std::int64_t start = 0; start < scene.info.chunks; start += window) {
    std::vector<std::int64_t> rids;
    for (std::int64_t i = start; i < std::min(scene.info.chunks, start + window); ++i) {
      msg::GetSceneChunk c;
      c.scene_version = scene.info.scene_version;
      c.index = i;
      c.chunk_bytes = chunk_bytes;
      rids.push_back(send_control(c));
    }
    for (std::int64_t rid : rids) {
      msg::ControlReply reply = wait_reply(rid, options_.timeout);
      if (auto* err = std::get_if<msg::Error>(&reply)) throw RemoteError(*err);
      auto* chunk = std::get_if<msg::SceneChunk>(&reply);
      if (chunk == nullptr) throw DecodeError("expected a `scene_chunk` reply");
      scene.glb.insert(scene.glb.end(), chunk->data.begin(), chunk->data.end());
    }
  }
  if (static_cast<std::int64_t>(scene.glb.size()) != scene.info.nbytes ||
      sha256_hex(scene.glb.data(), scene.glb.size()) != scene.info.sha256) {
    throw DecodeError("the scene download does not match its size or sha256; try again");
  }
  scene.manifest = scene.info.manifest;
  return scene;
}

inline void Client::apply(const msg::StateSnapshot& s) {
  state_ = s.values;
  seq_ = s.seq;
  scene_version_ = s.scene_version;
}

inline void Client::resnapshot() {
  ++resnapshots_;
  apply(get_state());
}

inline void Client::poll(ms timeout) {
  if (!control_) throw TransportError("not connected: call connect() first");
  // Keep the session alive without blocking the tick: the pong is read whenever it arrives.
  if (now_ns() - last_ping_ns_ > welcome_.limits.heartbeat_ms * 1000000) {
    msg::Ping p;
    p.t_client_ns = now_ns();
    send_control(p);
    last_ping_ns_ = now_ns();
  }
  while (control_.recv(scratch_, zmq::recv_flags::dontwait)) {
    try {
      msg::ControlReply r = msg::decode_control_reply(scratch_.data(), scratch_.size());
      on_control(r);
      if (!std::holds_alternative<msg::Pong>(r) && !std::holds_alternative<msg::ServerBye>(r)) {
        std::visit([this](auto& m) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(m)>, msg::ServerBye>) stash_.emplace(m.rid, std::move(m));
        }, r);
      }
    } catch (const DecodeError&) {
    }
  }
  if (!state_sub_) return;
  zmq::pollitem_t item{state_sub_.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, timeout) == 0) return;
  zmq::message_t topic, body;
  while (state_sub_.recv(topic, zmq::recv_flags::dontwait)) {
    if (!topic.more() || !state_sub_.recv(body, zmq::recv_flags::none)) continue;
    msg::StateMessage m;
    try {
      m = msg::decode_state_message(body.data(), body.size());
    } catch (const DecodeError&) {
      continue;
    }
    if (auto* d = std::get_if<msg::StateDelta>(&m)) {
      if (d->seq <= seq_) continue;  // already in the snapshot
      if (d->seq != seq_ + 1) {
        resnapshot();  // a gap: deltas were missed
        continue;
      }
      for (auto& [k, v] : d->values) state_[k] = v;
      for (const auto& k : d->removed) state_.erase(k);
      seq_ = d->seq;
      scene_version_ = d->scene_version;
    } else if (auto* hb = std::get_if<msg::StateHeartbeat>(&m)) {
      if (hb->seq > seq_) resnapshot();
    } else {
      has_session_ = false;  // server_bye
    }
  }
}

inline bool Client::wait_state(const std::function<bool(const std::map<std::string, ParamValue>&)>& pred,
                               ms timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred(state_)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    poll(ms(20));
  }
  return true;
}

template <class M>
void Client::send_frames(const M& m) {
  if (!frames_) throw TransportError("not connected: call connect() first");
  msg::encode_into(m, buf_);
  frames_.send(zmq::const_buffer(buf_.data(), buf_.size()), zmq::send_flags::none);
}

// Read frames-plane messages for up to `timeout`. Returns true when a frame of `stream` was copied
// into `out`, or (stream < 0) when the `ok` event with rid == -stream arrived.
inline bool Client::read_frames(FrameBuffers* out, std::int64_t stream, ms timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<ms>(deadline - std::chrono::steady_clock::now());
    zmq::pollitem_t item{frames_.handle(), 0, ZMQ_POLLIN, 0};
    if (left.count() < 0 || zmq::poll(&item, 1, left) == 0) return false;
    if (!frames_.recv(scratch_, zmq::recv_flags::dontwait)) continue;
    const std::string_view topic(static_cast<const char*>(scratch_.data()), scratch_.size());
    if (!scratch_.more()) continue;
    const bool is_frame = topic == "vpb.frame";
    if (!frames_.recv(scratch_, zmq::recv_flags::none)) continue;
    if (is_frame) {
      const std::int64_t t = now_ns();
      msg::FrameHeader header = msg::decode<msg::FrameHeader>(scratch_.data(), scratch_.size());
      const bool mine = out != nullptr && header.stream == stream;
      if (mine) out->parts.resize(header.parts.size());
      for (std::size_t i = 0; scratch_.more(); ++i) {
        if (mine && i < header.parts.size()) {
          msg::Bytes& dst = out->parts[i];
          dst.resize(static_cast<std::size_t>(header.parts[i].nbytes));  // no allocation once sized
          const auto got = frames_.recv(zmq::mutable_buffer(dst.data(), dst.size()), zmq::recv_flags::none);
          if (!got || got->untruncated_size != dst.size()) {
            throw DecodeError("frame part " + std::to_string(i) + " has another size than its header says");
          }
          if (!frames_.get(zmq::sockopt::rcvmore)) break;
        } else {
          if (!frames_.recv(scratch_, zmq::recv_flags::none)) break;  // another stream's frame: drop it
        }
      }
      if (!mine) continue;
      out->header = std::move(header);
      out->t_received_ns = t;
      return true;
    }
    msg::FramesEvent evt;
    try {
      evt = msg::decode_frames_event(scratch_.data(), scratch_.size());
    } catch (const UnknownMessage&) {
      continue;  // events of a newer server are ignored (docs/protocol.md §11)
    }
    if (auto* ok = std::get_if<msg::Ok>(&evt)) {
      if (stream < 0 && ok->rid == -stream) return true;
    } else if (auto* err = std::get_if<msg::Error>(&evt)) {
      frames_error_ = *err;
      if (stream < 0) return false;
      throw RemoteError(*err);
    } else if (auto* closed = std::get_if<msg::StreamClosed>(&evt)) {
      closed_reason_[closed->stream] = closed->reason;
      if (closed->stream == stream) throw TransportError("stream " + std::to_string(stream) + " was closed: " + closed->reason);
    } else {
      has_session_ = false;  // server_bye
    }
  }
}

// -- Stream ------------------------------------------------------------------------------------------

inline void Stream::grant(std::int64_t n) {
  n = std::min(n, max_credits_ - outstanding_);
  if (n <= 0) return;
  outstanding_ += n;
  msg::Credit c;
  c.stream = id_;
  c.n = n;
  client_->send_frames(c);
}

inline std::int64_t Stream::request(const Mat4& T_world_camera, msg::PoseRequest extra) {
  if (closed_) throw TransportError("stream " + std::to_string(id_) + " is closed");
  extra.stream = id_;
  extra.pose_id = next_pose_++;
  extra.T_world_camera = T_world_camera;
  if (extra.t_pose_ns == 0) extra.t_pose_ns = now_ns();
  client_->send_frames(extra);
  return extra.pose_id;
}

inline bool Stream::receive(FrameBuffers& out, ms timeout) {
  if (closed_) throw TransportError("stream " + std::to_string(id_) + " is closed");
  if (auto it = client_->closed_reason_.find(id_); it != client_->closed_reason_.end()) {
    closed_ = true;
    throw TransportError("stream " + std::to_string(id_) + " was closed: " + it->second);
  }
  if (!client_->read_frames(&out, id_, timeout)) return false;
  outstanding_ = std::max<std::int64_t>(0, outstanding_ - 1);
  return true;
}

inline void Stream::render(const Mat4& T_world_camera, FrameBuffers& out, ms timeout) {
  const std::int64_t pose_id = request(T_world_camera);
  if (outstanding_ == 0) grant(1);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<ms>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !receive(out, left)) {
      throw Timeout("no frame for pose " + std::to_string(pose_id) + " on stream " + std::to_string(id_) + " in time");
    }
    if (out.header.pose_id >= pose_id) return;
  }
}

inline void Stream::close() {
  if (closed_) return;
  closed_ = true;
  msg::CloseStream c;
  c.stream = id_;
  client_->request<msg::Ok>(c);
}

}  // namespace vpbridge
