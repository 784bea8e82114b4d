#version 330 core
uniform mat4 u_view_proj;
in vec3 in_position;
in mat4 in_model;
// Identical positions in the depth pre-pass and the shaded pass, so '<=' never z-fights.
invariant gl_Position;
void main() {
    gl_Position = u_view_proj * (in_model * vec4(in_position, 1.0));
}
