#version 330 core
// Deferred geometry pass: the cheapest shader that keeps what lighting needs. Hidden layers cost only
// this (early depth test); the lighting runs once per visible pixel in the post pass (shading.glsl).
uniform vec4 u_base_color;
#ifdef TEXTURED
uniform sampler2D u_texture;   // compiled in only for textured meshes: llvmpipe samples untaken branches
in vec2 v_uv;
#endif
uniform uint u_object_id;
uniform uint u_material;       // texel of the material table (emissive)
uniform float u_roughness;
uniform float u_metallic;
in vec3 v_normal;
in vec3 v_color;
layout(location = 0) out vec4 f_normal;   // RGBA16F: world normal (not yet normalised), metallic
layout(location = 1) out uvec2 f_id;      // RG16UI: object id, material
layout(location = 2) out vec4 f_albedo;   // RGBA8: sqrt(linear base colour) for precision where it is dark, roughness
void main() {
    vec4 base = u_base_color * vec4(v_color, 1.0);
#ifdef TEXTURED
    base *= texture(u_texture, v_uv);
#endif
    f_normal = vec4(v_normal, u_metallic);
    f_id = uvec2(u_object_id, u_material);
    f_albedo = vec4(sqrt(base.rgb), u_roughness);
}
