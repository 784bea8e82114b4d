#version 330 core
// Meshes, drawn instanced (one identity instance for plain meshes).
uniform mat4 u_view_proj;
in vec3 in_position;
in vec3 in_normal;
in vec2 in_uv;
in vec3 in_color;
in mat4 in_model;
out vec3 v_world;
out vec3 v_normal;
out vec2 v_uv;
out vec3 v_color;
// Identical positions in the depth pre-pass and the shaded pass, so '<=' never z-fights.
invariant gl_Position;
void main() {
    vec4 w = in_model * vec4(in_position, 1.0);
    v_world = w.xyz;
    // Instances are rigid or uniformly scaled, so mat3(model) is a valid normal matrix.
    v_normal = mat3(in_model) * in_normal;
    v_uv = in_uv;
    v_color = in_color;
    gl_Position = u_view_proj * w;
}
