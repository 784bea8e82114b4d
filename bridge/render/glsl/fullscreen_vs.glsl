#version 330 core
// One triangle that covers the viewport; no vertex buffer needed. It lies on the far plane (window
// depth 1.0, what the scene pass clears to), so a depth test against the scene's depth splits the
// screen into geometry (stored depth < 1) and sky (== 1) without the fragment shader running.
void main() {
    vec2 p = vec2(float((gl_VertexID & 1) << 2) - 1.0, float((gl_VertexID & 2) << 1) - 1.0);
    gl_Position = vec4(p, 1.0, 1.0);
}
