#version 330 core
// Scan points and splats as screen-aligned sprites sized by their world radius.
uniform mat4 u_view_proj;
uniform float u_focal_px;
in vec3 in_position;
in vec3 in_color;
in float in_radius;
out vec3 v_color;
void main() {
    gl_Position = u_view_proj * vec4(in_position, 1.0);
    v_color = in_color;
    gl_PointSize = clamp(2.0 * in_radius * u_focal_px / max(gl_Position.w, 1e-3), 1.0, 64.0);
}
