#version 330 core
// The benchmark's floor: same geometry and targets, no lighting.
uniform uint u_object_id;
in vec3 v_color;
layout(location = 0) out vec4 f_color;
layout(location = 1) out uint f_id;
void main() {
    f_color = vec4(v_color, 1.0);
    f_id = u_object_id;
}
