// Deferred lighting of one visible pixel from the G-buffer: GGX / height-correlated Smith / Schlick
// sun with a PCF shadow map, point lights, hemispheric sky ambient, environment-BRDF sky reflection,
// emissive. Needs lighting.glsl. The world position is rebuilt from depth along the view ray.
// llvmpipe runs both sides of every branch and at least one trip of every loop, so the shadow lookup
// and the point-light loop are compiled in only when the frame has them (SHADOW, POINT_LIGHTS).
#define MAX_LIGHTS 4
uniform sampler2D u_normal;
uniform sampler2D u_albedo;
uniform sampler2D u_materials;   // one texel per material: emissive.rgb, w = 1 for points
uniform vec3 u_eye;
uniform vec2 u_near_far;
uniform mat4 u_shadow_matrix;
uniform sampler2DShadow u_shadow_map;
uniform float u_shadow_texel;
uniform int u_light_count;
uniform vec3 u_light_pos[MAX_LIGHTS];
uniform vec4 u_light_color[MAX_LIGHTS];   // rgb * intensity, w = 1 / range^2

float linear_z(float d) {
    float n = u_near_far.x, f = u_near_far.y;
    return 2.0 * n * f / (f + n - (2.0 * d - 1.0) * (f - n));
}

// What the BRDF needs of a surface seen from one direction, computed once for all lights.
struct Surface { vec3 n; vec3 v; vec3 kd; vec3 f0; float a2; float a; float nv; float kv; };

vec3 brdf(Surface s, vec3 l) {
    vec3 h = normalize(s.v + l);
    float nl = max(dot(s.n, l), 0.0);
    float nh = max(dot(s.n, h), 0.0);
    float vh = max(dot(s.v, h), 0.0);
    float t = nh * nh * (s.a2 - 1.0) + 1.0;
    float d = s.a2 / (PI * t * t);
    // Height-correlated Smith visibility, the fast approximation.
    float vis = 0.5 / (nl * s.kv + s.nv * (nl * (1.0 - s.a) + s.a) + 1e-5);
    // pow() is a software exp2/log2 on llvmpipe; powers by multiplication are far cheaper.
    float x = 1.0 - vh, x2 = x * x;
    vec3 f = s.f0 + (1.0 - s.f0) * (x2 * x2 * x);
    return ((1.0 - f) * s.kd + f * (d * vis)) * nl;
}

float shadow(vec3 w, vec3 n) {
#ifndef SHADOW
    return 1.0;
#else
    // Normal offset scaled by the texel size keeps acne away without peter-panning.
    vec4 p = u_shadow_matrix * vec4(w + n * (u_shadow_texel * 1.5), 1.0);
    vec3 q = p.xyz / p.w * 0.5 + 0.5;
    if (any(lessThan(q.xy, vec2(0.0))) || any(greaterThan(q.xy, vec2(1.0))) || q.z > 1.0) return 1.0;
    return texture(u_shadow_map, vec3(q.xy, q.z - 0.0015));
#endif
}

// Radiance leaving G-buffer texel `src` toward the eye; `dir` is the unit view ray, `dist` metres along it.
vec3 shade(ivec2 src, uint mat, vec3 dir, float dist) {
    vec4 alb = texelFetch(u_albedo, src, 0);
    vec3 base = alb.rgb * alb.rgb;
    vec4 em = texelFetch(u_materials, ivec2(int(mat), 0), 0);
    if (em.w > 0.5) {  // scan points and splats: colour under sky and a little sun
        return base * (hemisphere(vec3(0.0, 1.0, 0.0)) + u_sun_radiance * max(u_sun_dir.y, 0.0) * 0.3);
    }
    vec3 w = u_eye + dir * dist;
    vec3 v = -dir;
    vec4 nm = texelFetch(u_normal, src, 0);
    vec3 n = normalize(nm.xyz);
    if (dot(n, v) < 0.0) n = -n;  // two-sided: imported meshes are not always closed
    float rough = max(alb.a, 0.04);
    float metal = nm.w;
    vec3 albedo = base * (1.0 - metal);
    vec3 f0 = mix(vec3(0.04), base, metal);
    float a = rough * rough;
    float nv = max(dot(n, v), 1e-4);
    Surface s = Surface(n, v, albedo / PI, f0, a * a, a, nv, nv * (1.0 - a) + a);

    vec3 c = u_sun_radiance * brdf(s, u_sun_dir) * shadow(w, n);
#ifdef POINT_LIGHTS
    for (int i = 0; i < u_light_count; ++i) {
        vec3 dl = u_light_pos[i] - w;
        float d2 = dot(dl, dl);
        // No `if (win > 0)`: llvmpipe would run the BRDF anyway, under a mask. Out of range, win is 0.
        float win = clamp(1.0 - d2 * u_light_color[i].w, 0.0, 1.0);
        c += u_light_color[i].rgb * (win * win / max(d2, 0.01)) * brdf(s, dl * inversesqrt(d2));
    }
#endif
    // Ambient: diffuse from the sky hemisphere, specular from the sky in the mirror direction,
    // weighted by the analytic environment BRDF (Karis' mobile fit).
    vec4 c0 = vec4(-1.0, -0.0275, -0.572, 0.022);
    vec4 c1 = vec4(1.0, 0.0425, 1.04, -0.04);
    vec4 r = rough * c0 + c1;
    float a004 = min(r.x * r.x, exp2(-9.28 * nv)) * r.x + r.y;
    vec2 ab = vec2(-1.04, 1.04) * a004 + r.zw;
    vec3 refl = reflect(-v, n);
    vec3 env = mix(hemisphere(refl), sky_gradient(refl), 1.0 - rough);
    return c + hemisphere(n) * albedo + env * (f0 * ab.x + ab.y) + em.rgb;
}
