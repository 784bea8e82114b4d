// Shared lighting state (uploaded once per frame) and the analytic sky.
uniform vec3 u_sun_dir;        // towards the sun (or moon at night)
uniform vec3 u_sun_radiance;   // key light colour * intensity after the atmosphere
uniform vec3 u_sky_zenith;
uniform vec3 u_sky_horizon;
uniform vec3 u_ground;         // light bounced from the ground (lower hemisphere)
uniform vec3 u_glow;           // Mie glow around the sun
uniform float u_night;         // 0 day .. 1 night
uniform vec3 u_ambient;        // extra ambient: city light bounced off clouds and walls at night
uniform sampler2D u_panorama;   // with PANORAMA: the scene's sky (compiled in only then, as llvmpipe
                                // pays for both sides of every branch, uniform or not)

const float PI = 3.14159265;

vec3 panorama(vec3 d) {
    // Column 0 at -Z, wrapping left to right (clockwise seen from above), row 0 at the zenith.
    float u = fract(atan(d.x, -d.z) / (2.0 * PI));
    float v = acos(clamp(d.y, -1.0, 1.0)) / PI;
    return textureLod(u_panorama, vec2(u, v), 0.0).rgb;
}

vec3 sky_gradient(vec3 d) {
    // The sky without its sun disc and stars; cheap enough for reflections and fog colour.
#ifdef PANORAMA
    return panorama(d);
#else
    float up = 1.0 - max(d.y, 0.0);
    vec3 c = mix(u_sky_zenith, u_sky_horizon, up * up * up);   // horizon band thins with altitude
    c = mix(c, u_ground, smoothstep(0.0, -0.25, d.y));
    float cs = max(dot(d, u_sun_dir), 0.0);
    float c8 = cs * cs; c8 *= c8; c8 *= c8;
    float c128 = c8 * c8; c128 *= c128; c128 *= c128; c128 *= c128;
    return c + u_glow * (0.25 * c8 + 1.5 * c128) * smoothstep(-0.1, 0.05, d.y);
#endif
}

vec3 sky_radiance(vec3 d) {
    vec3 c = sky_gradient(d);
#ifdef PANORAMA
    return c;
#else
    float cs = dot(d, u_sun_dir);
    // Sun disc ~0.55 degrees; at night the key light is the moon, a smaller, dimmer disc.
    c += u_sun_radiance * (mix(40.0, 12.0, u_night) * smoothstep(0.99994, 0.99997, cs));
#ifdef STARS
    // Compiled in only for frames with some night (u_night > 0).
    vec3 q = floor(d * 300.0);
    float h = fract(sin(dot(q, vec3(12.9898, 78.233, 37.719))) * 43758.5453);
    c += vec3(0.9, 0.95, 1.0) * (step(0.9985, h) * u_night * 0.08 * max(d.y, 0.0));
#endif
    return c;
#endif
}

vec3 hemisphere(vec3 n) {
    // Irradiance-like ambient from the sky above and the ground below.
    vec3 skyavg = mix(u_sky_horizon, u_sky_zenith, 0.5);
    return mix(u_ground, skyavg, 0.5 + 0.5 * n.y) + u_ambient;
}
