/* vpbridge headless OpenXR runtime: a scripted, recording OpenXR 1.0 runtime for tests.
 *
 * Loaded by any OpenXR loader through XR_RUNTIME_JSON. It renders nothing: it plays a script
 * (VPBRIDGE_XR_SCRIPT: head and hand poses, input values, FOVs, when to end the session) and records
 * what the application did (VPBRIDGE_XR_RECORD: events.jsonl and the released swapchain pixels of
 * chosen frames). Graphics: OpenGL through EGL (XR_KHR_opengl_enable + XR_MNDX_egl_enable); swapchain
 * images are textures created in the application's own (current) EGL context.
 *
 * Tracking: STAGE and LOCAL share one origin; the script's head and hand poses are in it. Located
 * poses ignore the requested time: they are the script's values at the current frame (frame F = the
 * (F+1)-th xrWaitFrame). Session states: IDLE, READY on xrCreateSession; SYNCHRONIZED at the first
 * xrWaitFrame; VISIBLE, FOCUSED after the first xrEndFrame; STOPPING (through VISIBLE, SYNCHRONIZED)
 * after `exit_after` ended frames or xrRequestExitSession; IDLE, EXITING on xrEndSession.
 *
 * Build: gcc -shared -fPIC -O1 -Wall -Werror -DXR_USE_PLATFORM_EGL -DXR_USE_GRAPHICS_API_OPENGL \
 *            -o libvpbridge_headless_xr.so vpbridge_headless_xr.c -ldl -lm
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <EGL/egl.h>
#include <openxr/openxr.h>
#include <openxr/openxr_platform.h>
#include <openxr/openxr_reflection.h>

#define EXPORT __attribute__((visibility("default")))

/* ---- loader negotiation (loader_interfaces.h is not installed by libopenxr-dev) -------------- */

typedef enum XrLoaderInterfaceStructs {
    XR_LOADER_INTERFACE_STRUCT_UNINTIALIZED = 0,
    XR_LOADER_INTERFACE_STRUCT_LOADER_INFO,
    XR_LOADER_INTERFACE_STRUCT_API_LAYER_REQUEST,
    XR_LOADER_INTERFACE_STRUCT_RUNTIME_REQUEST,
    XR_LOADER_INTERFACE_STRUCT_API_LAYER_CREATE_INFO,
    XR_LOADER_INTERFACE_STRUCT_API_LAYER_NEXT_INFO,
} XrLoaderInterfaceStructs;

typedef struct XrNegotiateLoaderInfo {
    XrLoaderInterfaceStructs structType;
    uint32_t structVersion;
    size_t structSize;
    uint32_t minInterfaceVersion;
    uint32_t maxInterfaceVersion;
    XrVersion minApiVersion;
    XrVersion maxApiVersion;
} XrNegotiateLoaderInfo;

typedef struct XrNegotiateRuntimeRequest {
    XrLoaderInterfaceStructs structType;
    uint32_t structVersion;
    size_t structSize;
    uint32_t runtimeInterfaceVersion;
    XrVersion runtimeApiVersion;
    PFN_xrGetInstanceProcAddr getInstanceProcAddr;
} XrNegotiateRuntimeRequest;

/* ---- the few GL declarations used (no GL headers) ------------------------------------------- */

typedef unsigned int GLenum;
typedef unsigned int GLuint;
typedef int GLint;
typedef int GLsizei;
typedef void (*PFN_glGenTextures)(GLsizei, GLuint *);
typedef void (*PFN_glDeleteTextures)(GLsizei, const GLuint *);
typedef void (*PFN_glBindTexture)(GLenum, GLuint);
typedef void (*PFN_glTexStorage2D)(GLenum, GLsizei, GLenum, GLsizei, GLsizei);
typedef void (*PFN_glTexStorage3D)(GLenum, GLsizei, GLenum, GLsizei, GLsizei, GLsizei);
typedef void (*PFN_glTexImage2D)(GLenum, GLint, GLint, GLsizei, GLsizei, GLint, GLenum, GLenum, const void *);
typedef void (*PFN_glTexParameteri)(GLenum, GLenum, GLint);
typedef void (*PFN_glGetTexImage)(GLenum, GLint, GLenum, GLenum, void *);
typedef void (*PFN_glGetIntegerv)(GLenum, GLint *);
typedef void (*PFN_glPixelStorei)(GLenum, GLint);
typedef void (*PFN_glBindBuffer)(GLenum, GLuint);
typedef GLenum (*PFN_glGetError)(void);
typedef EGLContext (*PFN_eglGetCurrentContext)(void);

#define GL_TEXTURE_2D 0x0DE1
#define GL_TEXTURE_2D_ARRAY 0x8C1A
#define GL_TEXTURE_BINDING_2D 0x8069
#define GL_TEXTURE_BINDING_2D_ARRAY 0x8C1D
#define GL_TEXTURE_MIN_FILTER 0x2801
#define GL_TEXTURE_MAG_FILTER 0x2800
#define GL_TEXTURE_MAX_LEVEL 0x813D
#define GL_LINEAR 0x2601
#define GL_LINEAR_MIPMAP_LINEAR 0x2703
#define GL_NEAREST 0x2600
#define GL_RGBA 0x1908
#define GL_UNSIGNED_BYTE 0x1401
#define GL_UNSIGNED_SHORT 0x1403
#define GL_UNSIGNED_INT 0x1405
#define GL_FLOAT 0x1406
#define GL_DEPTH_COMPONENT 0x1902
#define GL_PACK_ALIGNMENT 0x0D05
#define GL_PIXEL_PACK_BUFFER 0x88EB
#define GL_PIXEL_PACK_BUFFER_BINDING 0x88ED
#define GL_NO_ERROR 0

#define FMT_SRGB8_ALPHA8 0x8C43
#define FMT_RGBA8 0x8058
#define FMT_DEPTH32F 0x8CAC
#define FMT_DEPTH24 0x81A6
#define FMT_DEPTH16 0x81A5

static const int64_t FORMATS[] = {FMT_SRGB8_ALPHA8, FMT_RGBA8, FMT_DEPTH32F, FMT_DEPTH24, FMT_DEPTH16};
#define N_FORMATS ((uint32_t)(sizeof(FORMATS) / sizeof(FORMATS[0])))

static int format_is_depth(int64_t f) { return f == FMT_DEPTH32F || f == FMT_DEPTH24 || f == FMT_DEPTH16; }

/* ---- constants ------------------------------------------------------------------------------- */

#define RUNTIME_NAME "vpbridge headless"
#define SYSTEM_ID ((XrSystemId)1)
#define PERIOD_NS 11111111LL
#define N_IMAGES 3
#define MAX_EVENTS 64
#define MAX_SUBS 8
#define MAX_LAYERS 16
#define MAX_SIZE 4096
#define NAME_LEN 64
#define N_PROFILES 3

enum { EXT_OPENGL = 1, EXT_EGL = 2, EXT_DEPTH = 4 };
enum { OT_INSTANCE = 1, OT_SESSION, OT_SPACE, OT_SWAPCHAIN, OT_ACTIONSET, OT_ACTION };
enum { SE_HEAD = 1, SE_HAND, SE_INPUT };
enum { SIDE_LEFT = 0, SIDE_RIGHT = 1, SIDE_ANY = 2 };

/* ---- maths ------------------------------------------------------------------------------------ */

typedef struct Pose {
    double q[4]; /* x y z w */
    double p[3];
} Pose;

static const Pose POSE_IDENTITY = {{0, 0, 0, 1}, {0, 0, 0}};

static void quat_mul(const double a[4], const double b[4], double out[4]) {
    double r[4];
    r[0] = a[3] * b[0] + a[0] * b[3] + a[1] * b[2] - a[2] * b[1];
    r[1] = a[3] * b[1] - a[0] * b[2] + a[1] * b[3] + a[2] * b[0];
    r[2] = a[3] * b[2] + a[0] * b[1] - a[1] * b[0] + a[2] * b[3];
    r[3] = a[3] * b[3] - a[0] * b[0] - a[1] * b[1] - a[2] * b[2];
    memcpy(out, r, sizeof r);
}

static void quat_rotate(const double q[4], const double v[3], double out[3]) {
    /* v' = v + 2w (u x v) + 2 u x (u x v), u = q.xyz */
    double u[3] = {q[0], q[1], q[2]}, w = q[3];
    double t[3] = {2 * (u[1] * v[2] - u[2] * v[1]), 2 * (u[2] * v[0] - u[0] * v[2]), 2 * (u[0] * v[1] - u[1] * v[0])};
    double r[3];
    r[0] = v[0] + w * t[0] + (u[1] * t[2] - u[2] * t[1]);
    r[1] = v[1] + w * t[1] + (u[2] * t[0] - u[0] * t[2]);
    r[2] = v[2] + w * t[2] + (u[0] * t[1] - u[1] * t[0]);
    memcpy(out, r, sizeof r);
}

static Pose pose_mul(Pose a, Pose b) { /* a ∘ b: b expressed in a's frame */
    Pose r;
    quat_mul(a.q, b.q, r.q);
    double n = sqrt(r.q[0] * r.q[0] + r.q[1] * r.q[1] + r.q[2] * r.q[2] + r.q[3] * r.q[3]);
    for (int i = 0; i < 4; i++) r.q[i] /= n;
    quat_rotate(a.q, b.p, r.p);
    for (int i = 0; i < 3; i++) r.p[i] += a.p[i];
    return r;
}

static Pose pose_inv(Pose a) {
    Pose r;
    r.q[0] = -a.q[0];
    r.q[1] = -a.q[1];
    r.q[2] = -a.q[2];
    r.q[3] = a.q[3];
    quat_rotate(r.q, a.p, r.p);
    for (int i = 0; i < 3; i++) r.p[i] = -r.p[i];
    return r;
}

static Pose pose_from_xr(const XrPosef *x) {
    Pose r = {{x->orientation.x, x->orientation.y, x->orientation.z, x->orientation.w},
              {x->position.x, x->position.y, x->position.z}};
    return r;
}

static XrPosef pose_to_xr(Pose p) {
    XrPosef x;
    x.orientation.x = (float)p.q[0];
    x.orientation.y = (float)p.q[1];
    x.orientation.z = (float)p.q[2];
    x.orientation.w = (float)p.q[3];
    x.position.x = (float)p.p[0];
    x.position.y = (float)p.p[1];
    x.position.z = (float)p.p[2];
    return x;
}

static int xr_pose_valid(const XrPosef *x) {
    double n = sqrt((double)x->orientation.x * x->orientation.x + (double)x->orientation.y * x->orientation.y +
                    (double)x->orientation.z * x->orientation.z + (double)x->orientation.w * x->orientation.w);
    if (!(fabs(n - 1.0) < 1e-2)) return 0;
    return isfinite(x->position.x) && isfinite(x->position.y) && isfinite(x->position.z);
}

/* ---- time ------------------------------------------------------------------------------------- */

static XrTime now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (XrTime)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_until(XrTime t) {
    XrTime n = now_ns();
    if (t <= n) return;
    struct timespec ts = {(time_t)((t - n) / 1000000000LL), (long)((t - n) % 1000000000LL)};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

/* ---- profiles (OpenXR 1.0 spec, "Interaction Profile Paths") --------------------------------- */

static const char *const SIMPLE_BOTH[] = {"/input/select/click", "/input/menu/click", "/input/grip/pose",
                                          "/input/aim/pose", "/output/haptic", NULL};
static const char *const TOUCH_LEFT[] = {
    "/input/x/click",       "/input/x/touch",         "/input/y/click",           "/input/y/touch",
    "/input/menu/click",    "/input/squeeze/value",   "/input/trigger/value",     "/input/trigger/touch",
    "/input/thumbstick/x",  "/input/thumbstick/y",    "/input/thumbstick/click",  "/input/thumbstick/touch",
    "/input/thumbrest/touch", "/input/grip/pose",     "/input/aim/pose",          "/output/haptic",
    NULL};
static const char *const TOUCH_RIGHT[] = {
    "/input/a/click",       "/input/a/touch",         "/input/b/click",           "/input/b/touch",
    "/input/system/click",  "/input/squeeze/value",   "/input/trigger/value",     "/input/trigger/touch",
    "/input/thumbstick/x",  "/input/thumbstick/y",    "/input/thumbstick/click",  "/input/thumbstick/touch",
    "/input/thumbrest/touch", "/input/grip/pose",     "/input/aim/pose",          "/output/haptic",
    NULL};
static const char *const INDEX_BOTH[] = {
    "/input/system/click",   "/input/system/touch",   "/input/a/click",          "/input/a/touch",
    "/input/b/click",        "/input/b/touch",        "/input/squeeze/value",    "/input/squeeze/force",
    "/input/trigger/click",  "/input/trigger/value",  "/input/trigger/touch",    "/input/thumbstick/x",
    "/input/thumbstick/y",   "/input/thumbstick/click", "/input/thumbstick/touch", "/input/trackpad/x",
    "/input/trackpad/y",     "/input/trackpad/force", "/input/trackpad/touch",   "/input/grip/pose",
    "/input/aim/pose",       "/output/haptic",        NULL};

typedef struct ProfileDef {
    const char *path;
    const char *label;
    const char *const *comps[2]; /* left, right */
} ProfileDef;

static const ProfileDef PROFILES[N_PROFILES] = {
    {"/interaction_profiles/khr/simple_controller", "Simple Controller", {SIMPLE_BOTH, SIMPLE_BOTH}},
    {"/interaction_profiles/oculus/touch_controller", "Oculus Touch Controller", {TOUCH_LEFT, TOUCH_RIGHT}},
    {"/interaction_profiles/valve/index_controller", "Valve Index Controller", {INDEX_BOTH, INDEX_BOTH}},
};

static const char *const HAND_PATHS[2] = {"/user/hand/left", "/user/hand/right"};

static int profile_index(const char *path) {
    for (int i = 0; i < N_PROFILES; i++)
        if (strcmp(PROFILES[i].path, path) == 0) return i;
    return -1;
}

/* Splits "/user/hand/right/input/a/click" into side (0/1) and the component part "/input/a/click". */
static int split_hand_path(const char *path, const char **rest) {
    for (int s = 0; s < 2; s++) {
        size_t n = strlen(HAND_PATHS[s]);
        if (strncmp(path, HAND_PATHS[s], n) == 0 && (path[n] == '/' || path[n] == 0)) {
            *rest = path + n;
            return s;
        }
    }
    return -1;
}

/* 1: `sub` is a component ("/input/a/click"), 2: a whole-identifier shorthand ("/input/trigger",
 * "/input/grip"), 0: not in the profile for that hand. */
static int profile_has(int pi, int side, const char *sub) {
    if (pi < 0 || side < 0 || side > 1) return 0;
    size_t n = strlen(sub);
    int found = 0;
    for (const char *const *c = PROFILES[pi].comps[side]; *c; c++) {
        if (strcmp(*c, sub) == 0) return 1;
        if (n > 7 && strncmp(*c, sub, n) == 0 && (*c)[n] == '/' && strncmp(sub, "/input/", 7) == 0) found = 2;
    }
    return found;
}

static int any_profile_has(int side, const char *sub) {
    int r = 0;
    for (int i = 0; i < N_PROFILES; i++) {
        int h = profile_has(i, side, sub);
        if (h == 1) return 1;
        if (h) r = h;
    }
    return r;
}

static const char *leaf(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* ---- objects ---------------------------------------------------------------------------------- */

typedef struct ActState {
    float v[2];
    int active;
    int changed;
    XrTime last_change;
} ActState;

typedef struct ScriptEvent {
    int64_t frame;
    int kind, side, tracked, nv;
    Pose pose;
    XrPath path;
    float v[2];
} ScriptEvent;

typedef struct Script {
    char profile[XR_MAX_PATH_LENGTH];
    int view_w, view_h;
    float fov[2][4];
    double ipd;
    int64_t exit_after;
    int depth_layer;
    int capture_all;
    int64_t *capture;
    int ncapture;
    double throttle_hz;
    ScriptEvent *ev;
    int nev;
} Script;

struct Session;
struct Action;

typedef struct Binding {
    struct Action *action;
    XrPath path;
} Binding;

typedef struct Instance {
    int type;
    int exts;
    char app_name[XR_MAX_APPLICATION_NAME_SIZE];
    Script script;
    char **paths;
    float *input; /* per path id: scripted value of that input component */
    int npaths, cappaths;
    int reqs_called;
    XrEventDataBuffer events[MAX_EVENTS];
    int ev_head, ev_count;
    struct Session *session;
    Binding *suggested[N_PROFILES];
    int nsuggested[N_PROFILES];
    int next_swapchain_id;
    FILE *rec;
    char rec_dir[1024];
    /* live script state */
    int script_pos;
    Pose head, hand[2];
    int hand_tracked[2];
} Instance;

typedef struct GL {
    PFN_glGenTextures GenTextures;
    PFN_glDeleteTextures DeleteTextures;
    PFN_glBindTexture BindTexture;
    PFN_glTexStorage2D TexStorage2D;
    PFN_glTexStorage3D TexStorage3D;
    PFN_glTexImage2D TexImage2D;
    PFN_glTexParameteri TexParameteri;
    PFN_glGetTexImage GetTexImage;
    PFN_glGetIntegerv GetIntegerv;
    PFN_glPixelStorei PixelStorei;
    PFN_glBindBuffer BindBuffer;
    PFN_glGetError GetError;
    PFN_eglGetCurrentContext GetCurrentContext;
} GL;

typedef struct Session {
    int type;
    Instance *inst;
    XrSessionState state;
    int running, stopping, exit_requested, ended;
    int64_t wait_count;  /* xrWaitFrame calls */
    int64_t begun_frame; /* index of the frame begun and not ended, -1 when none */
    int64_t waited_frame; /* index of the frame waited and not begun, -1 when none */
    XrTime last_wait, last_display_time;
    XrTime waited_time, begun_time; /* predicted display times of the waited / begun frame */
    XrTime base_wall, base_display;  /* wall clock and display time of frame 0 */
    int warned_context;
    int64_t frames_ended_running;
    GL gl;
    EGLContext egl_context;
    int attached;
    int profile; /* index into PROFILES, -1 none */
    XrPath profile_path;
} Session;

typedef struct ActionSet {
    int type;
    Instance *inst;
    char name[XR_MAX_ACTION_SET_NAME_SIZE];
    char loc[XR_MAX_LOCALIZED_ACTION_SET_NAME_SIZE];
    uint32_t priority;
    int attached;
    int synced_active; /* in the last xrSyncActions: 0 no, else mask bit0 left bit1 right bit2 all */
} ActionSet;

typedef struct Action {
    int type;
    ActionSet *set;
    char name[XR_MAX_ACTION_NAME_SIZE];
    char loc[XR_MAX_LOCALIZED_ACTION_NAME_SIZE];
    XrActionType atype;
    XrPath subs[MAX_SUBS];
    int nsubs;
    ActState st[3]; /* left, right, any */
} Action;

typedef struct Space {
    int type;
    Session *session;
    int is_action;
    XrReferenceSpaceType ref;
    Action *action;
    XrPath sub;
    Pose pose; /* poseInReferenceSpace / poseInActionSpace */
} Space;

typedef struct Swapchain {
    int type;
    Session *session;
    int id;
    int64_t format;
    uint32_t w, h, array_size, mip_count, nimg;
    XrSwapchainUsageFlags usage;
    XrSwapchainCreateFlags flags;
    GLuint tex[N_IMAGES];
    int acq[N_IMAGES]; /* FIFO of acquired (not yet released) image indices */
    int nacq;
    int waited; /* the oldest acquired image has been waited */
    int next;
    int last_released;
    int ever_acquired;
} Swapchain;

#define MAX_OBJS 4096
static void *g_objs[MAX_OBJS];
static int g_nobjs;

static void obj_add(void *o) {
    for (int i = 0; i < g_nobjs; i++)
        if (!g_objs[i]) {
            g_objs[i] = o;
            return;
        }
    if (g_nobjs < MAX_OBJS) g_objs[g_nobjs++] = o;
}

static void obj_del(void *o) {
    for (int i = 0; i < g_nobjs; i++)
        if (g_objs[i] == o) g_objs[i] = NULL;
}

static void *obj_get(const void *h, int type) {
    if (!h) return NULL;
    for (int i = 0; i < g_nobjs; i++)
        if (g_objs[i] == h && *(int *)g_objs[i] == type) return g_objs[i];
    return NULL;
}

#define GET(T, var, handle, otype)                        \
    T *var = (T *)obj_get((const void *)(handle), otype); \
    if (!var) return XR_ERROR_HANDLE_INVALID

/* ---- strings / JSON -------------------------------------------------------------------------- */

static void copy_str(char *dst, size_t cap, const char *src) {
    snprintf(dst, cap, "%s", src ? src : "");
}

static const char *json_str(const char *s, char *buf, size_t cap) {
    size_t o = 0;
    buf[o++] = '"';
    for (; s && *s && o + 8 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)c;
        } else if (c < 0x20) {
            o += (size_t)snprintf(buf + o, cap - o, "\\u%04x", c);
        } else {
            buf[o++] = (char)c;
        }
    }
    buf[o++] = '"';
    buf[o] = 0;
    return buf;
}

static void rec(Instance *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rec(Instance *in, const char *fmt, ...) {
    if (!in || !in->rec) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(in->rec, fmt, ap);
    va_end(ap);
    fputc('\n', in->rec);
    fflush(in->rec);
}

static int fmt_pose(char *buf, size_t cap, Pose p) {
    return snprintf(buf, cap, "[%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g]", p.p[0], p.p[1], p.p[2], p.q[0], p.q[1],
                    p.q[2], p.q[3]);
}

/* ---- paths ------------------------------------------------------------------------------------ */

static int path_well_formed(const char *s) {
    size_t n = strnlen(s, XR_MAX_PATH_LENGTH);
    if (n == 0 || n >= XR_MAX_PATH_LENGTH || s[0] != '/' || s[n - 1] == '/') return 0;
    const char *seg = s + 1;
    for (const char *c = s + 1;; c++) {
        if (*c == '/' || *c == 0) {
            size_t len = (size_t)(c - seg);
            if (len == 0) return 0;
            int dots = 1;
            for (const char *d = seg; d < c; d++) dots &= (*d == '.');
            if (dots) return 0;
            if (*c == 0) break;
            seg = c + 1;
            continue;
        }
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.'))
            return 0;
    }
    return 1;
}

static XrPath path_intern(Instance *in, const char *s) {
    for (int i = 0; i < in->npaths; i++)
        if (strcmp(in->paths[i], s) == 0) return (XrPath)(i + 1);
    if (in->npaths == in->cappaths) {
        int cap = in->cappaths ? in->cappaths * 2 : 64;
        char **p = realloc(in->paths, sizeof(char *) * (size_t)cap);
        float *v = realloc(in->input, sizeof(float) * (size_t)cap);
        if (!p || !v) abort();
        in->paths = p;
        in->input = v;
        in->cappaths = cap;
    }
    in->paths[in->npaths] = strdup(s);
    in->input[in->npaths] = 0.0f;
    in->npaths++;
    return (XrPath)in->npaths;
}

static const char *path_str(Instance *in, XrPath p) {
    if (p == XR_NULL_PATH || p > (XrPath)in->npaths) return NULL;
    return in->paths[p - 1];
}

static float input_get(Instance *in, const char *path) {
    for (int i = 0; i < in->npaths; i++)
        if (strcmp(in->paths[i], path) == 0) return in->input[i];
    return 0.0f;
}

static void input_set(Instance *in, const char *path, float v) { in->input[path_intern(in, path) - 1] = v; }

/* 0 left, 1 right, -1 another or invalid top-level user path */
static int hand_of_path(Instance *in, XrPath p) {
    const char *s = path_str(in, p);
    if (!s) return -1;
    for (int i = 0; i < 2; i++)
        if (strcmp(s, HAND_PATHS[i]) == 0) return i;
    return -1;
}

/* ---- events ----------------------------------------------------------------------------------- */

static const char *state_name(XrSessionState s) {
    switch (s) {
#define X(name, val) \
    case name:       \
        return #name + 17;
        XR_LIST_ENUM_XrSessionState(X)
#undef X
        default:
            return "UNKNOWN";
    }
}

static void push_event(Instance *in, const void *ev, size_t size) {
    if (in->ev_count == MAX_EVENTS) { /* drop the oldest and tell the app */
        in->ev_head = (in->ev_head + 1) % MAX_EVENTS;
        in->ev_count--;
    }
    XrEventDataBuffer *slot = &in->events[(in->ev_head + in->ev_count) % MAX_EVENTS];
    memset(slot, 0, sizeof *slot);
    memcpy(slot, ev, size);
    in->ev_count++;
}

static void set_state(Session *s, XrSessionState st) {
    s->state = st;
    XrEventDataSessionStateChanged ev = {XR_TYPE_EVENT_DATA_SESSION_STATE_CHANGED};
    ev.session = (XrSession)s;
    ev.state = st;
    ev.time = now_ns();
    push_event(s->inst, &ev, sizeof ev);
    rec(s->inst, "{\"event\":\"state\",\"state\":\"%s\",\"frame\":%lld}", state_name(st), (long long)s->wait_count);
}

/* ---- script ----------------------------------------------------------------------------------- */

static void script_defaults(Script *sc) {
    memset(sc, 0, sizeof *sc);
    copy_str(sc->profile, sizeof sc->profile, PROFILES[0].path);
    sc->view_w = 512;
    sc->view_h = 512;
    const float fl[4] = {-0.80f, 0.70f, 0.75f, -0.85f}, fr[4] = {-0.70f, 0.80f, 0.75f, -0.85f};
    memcpy(sc->fov[0], fl, sizeof fl);
    memcpy(sc->fov[1], fr, sizeof fr);
    sc->ipd = 0.064;
    sc->exit_after = 0;
    sc->depth_layer = 1;
}

static void script_free(Script *sc) {
    free(sc->capture);
    free(sc->ev);
    sc->capture = NULL;
    sc->ev = NULL;
}

static int parse_num(const char *t, double *out) {
    char *end;
    if (!t) return 0;
    errno = 0;
    *out = strtod(t, &end);
    return end != t && *end == 0 && errno == 0 && isfinite(*out);
}

static int parse_int(const char *t, int64_t *out) {
    char *end;
    if (!t) return 0;
    errno = 0;
    long long v = strtoll(t, &end, 10);
    *out = v;
    return end != t && *end == 0 && errno == 0;
}

static int parse_pose(char **tok, int n, Pose *p, const char **why) {
    double v[7];
    if (n != 7) {
        *why = "a pose is 7 numbers: x y z qx qy qz qw";
        return 0;
    }
    for (int i = 0; i < 7; i++)
        if (!parse_num(tok[i], &v[i])) {
            *why = "a pose is 7 numbers: x y z qx qy qz qw";
            return 0;
        }
    double len = sqrt(v[3] * v[3] + v[4] * v[4] + v[5] * v[5] + v[6] * v[6]);
    if (len < 1e-6) {
        *why = "the quaternion is zero";
        return 0;
    }
    for (int i = 0; i < 3; i++) p->p[i] = v[i];
    for (int i = 0; i < 4; i++) p->q[i] = v[3 + i] / len;
    return 1;
}

static int cmp_event(const void *a, const void *b) {
    const ScriptEvent *x = a, *y = b;
    return x->frame < y->frame ? -1 : x->frame > y->frame ? 1 : 0;
}

/* Parses one line's tokens into the script. Returns NULL or the reason it is wrong. */
static const char *script_line(Instance *in, Script *sc, char **tok, int n) {
    const char *cmd = tok[0];
    double d;
    int64_t k;
    if (strcmp(cmd, "profile") == 0) {
        if (n != 2 || profile_index(tok[1]) < 0)
            return "profile takes one of /interaction_profiles/khr/simple_controller, "
                   "/interaction_profiles/oculus/touch_controller, /interaction_profiles/valve/index_controller";
        copy_str(sc->profile, sizeof sc->profile, tok[1]);
    } else if (strcmp(cmd, "view_size") == 0) {
        int64_t w, h;
        if (n != 3 || !parse_int(tok[1], &w) || !parse_int(tok[2], &h) || w < 1 || h < 1 || w > MAX_SIZE ||
            h > MAX_SIZE)
            return "view_size takes WIDTH HEIGHT (1..4096)";
        sc->view_w = (int)w;
        sc->view_h = (int)h;
    } else if (strcmp(cmd, "fov") == 0) {
        int eye = n > 1 ? (strcmp(tok[1], "left") == 0 ? 0 : strcmp(tok[1], "right") == 0 ? 1 : -1) : -1;
        double a[4];
        if (n != 6 || eye < 0) return "fov takes left|right angleLeft angleRight angleUp angleDown (radians)";
        for (int i = 0; i < 4; i++)
            if (!parse_num(tok[2 + i], &a[i])) return "fov angles must be numbers (radians)";
        if (!(a[0] < a[1] && a[3] < a[2])) return "fov needs angleLeft < angleRight and angleDown < angleUp";
        for (int i = 0; i < 4; i++) sc->fov[eye][i] = (float)a[i];
    } else if (strcmp(cmd, "ipd") == 0) {
        if (n != 2 || !parse_num(tok[1], &d) || d < 0 || d > 1) return "ipd takes metres (0..1)";
        sc->ipd = d;
    } else if (strcmp(cmd, "exit_after") == 0) {
        if (n != 2 || !parse_int(tok[1], &k) || k < 0) return "exit_after takes a frame count (0 = never)";
        sc->exit_after = k;
    } else if (strcmp(cmd, "depth_layer") == 0) {
        if (n != 2 || (strcmp(tok[1], "0") && strcmp(tok[1], "1"))) return "depth_layer takes 0 or 1";
        sc->depth_layer = tok[1][0] == '1';
    } else if (strcmp(cmd, "throttle_hz") == 0) {
        if (n != 2 || !parse_num(tok[1], &d) || d < 0) return "throttle_hz takes a rate (0 = no throttle)";
        sc->throttle_hz = d;
    } else if (strcmp(cmd, "capture") == 0) {
        if (n < 2) return "capture takes frame indices, `all` or `none`";
        if (n == 2 && strcmp(tok[1], "all") == 0) {
            sc->capture_all = 1;
            return NULL;
        }
        if (n == 2 && strcmp(tok[1], "none") == 0) {
            sc->capture_all = 0;
            sc->ncapture = 0;
            return NULL;
        }
        int64_t *c = realloc(sc->capture, sizeof(int64_t) * (size_t)(sc->ncapture + n - 1));
        if (!c) return "out of memory";
        sc->capture = c;
        for (int i = 1; i < n; i++) {
            if (!parse_int(tok[i], &k) || k < 0) return "capture takes frame indices (>= 0), `all` or `none`";
            sc->capture[sc->ncapture++] = k;
        }
    } else if (strcmp(cmd, "at") == 0) {
        ScriptEvent e;
        memset(&e, 0, sizeof e);
        if (n < 3 || !parse_int(tok[1], &e.frame) || e.frame < 0)
            return "at takes FRAME (>= 0) then head|hand|input ...";
        const char *what = tok[2], *why = NULL;
        if (strcmp(what, "head") == 0) {
            e.kind = SE_HEAD;
            if (!parse_pose(tok + 3, n - 3, &e.pose, &why)) return why;
        } else if (strcmp(what, "hand") == 0) {
            e.kind = SE_HAND;
            e.side = n > 3 ? (strcmp(tok[3], "left") == 0 ? 0 : strcmp(tok[3], "right") == 0 ? 1 : -1) : -1;
            if (e.side < 0) return "at F hand takes left|right then a pose (7 numbers) or `lost`";
            e.tracked = 1;
            if (n == 5 && strcmp(tok[4], "lost") == 0)
                e.tracked = 0;
            else if (!parse_pose(tok + 4, n - 4, &e.pose, &why))
                return why;
        } else if (strcmp(what, "input") == 0) {
            e.kind = SE_INPUT;
            if (n != 5 && n != 6) return "at F input takes PATH VALUE [VALUE2]";
            const char *rest;
            char full[XR_MAX_PATH_LENGTH + 16];
            int side = path_well_formed(tok[3]) ? split_hand_path(tok[3], &rest) : -1;
            int has = side >= 0 ? any_profile_has(side, rest) : 0;
            if (!has || strncmp(rest, "/input/", 7) != 0)
                return "unknown input path (want /user/hand/left|right/input/<identifier>[/<component>] "
                       "of a supported profile)";
            e.nv = n - 4;
            for (int i = 0; i < e.nv; i++)
                if (!parse_num(tok[4 + i], &d)) return "input values must be numbers";
                else e.v[i] = (float)d;
            if (e.nv == 2) {
                snprintf(full, sizeof full, "%s/x", rest);
                if (has != 2 || any_profile_has(side, full) != 1)
                    return "two values need a 2-D input (a thumbstick or trackpad identifier)";
                e.path = path_intern(in, tok[3]);
            } else if (has == 1) {
                e.path = path_intern(in, tok[3]);
            } else {
                snprintf(full, sizeof full, "%s/value", rest);
                const char *comp = any_profile_has(side, full) == 1 ? "value" : "click";
                snprintf(full, sizeof full, "%s/%s", rest, comp);
                if (any_profile_has(side, full) != 1) return "this identifier has no value or click component";
                snprintf(full, sizeof full, "%s/%s", tok[3], comp);
                e.path = path_intern(in, full);
            }
        } else {
            return "at F takes head, hand or input";
        }
        ScriptEvent *ev = realloc(sc->ev, sizeof(ScriptEvent) * (size_t)(sc->nev + 1));
        if (!ev) return "out of memory";
        sc->ev = ev;
        sc->ev[sc->nev++] = e;
    } else {
        return "unknown command (profile, view_size, fov, ipd, exit_after, depth_layer, capture, throttle_hz, at)";
    }
    return NULL;
}

/* Loads VPBRIDGE_XR_SCRIPT (defaults when unset). 0 on success; else prints FILE:LINE: reason. */
static int script_load(Instance *in, Script *sc) {
    script_defaults(sc);
    const char *file = getenv("VPBRIDGE_XR_SCRIPT");
    if (!file || !*file) return 0;
    FILE *f = fopen(file, "r");
    if (!f) {
        fprintf(stderr, "vpbridge headless runtime: %s: cannot open the script (%s)\n", file, strerror(errno));
        return -1;
    }
    char line[4096];
    int lineno = 0, ok = 1;
    while (ok && fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        char *tok[32], *save = NULL;
        int n = 0;
        for (char *t = strtok_r(line, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
            if (n == 32) {
                n = -1;
                break;
            }
            tok[n++] = t;
        }
        if (n == 0) continue;
        const char *why = n < 0 ? "too many fields" : script_line(in, sc, tok, n);
        if (why) {
            fprintf(stderr, "vpbridge headless runtime: %s:%d: %s\n", file, lineno, why);
            ok = 0;
        }
    }
    fclose(f);
    if (!ok) {
        script_free(sc);
        return -1;
    }
    if (sc->nev > 1) { /* stable order by frame */
        for (int i = 1; i < sc->nev; i++) {
            ScriptEvent e = sc->ev[i];
            int j = i - 1;
            while (j >= 0 && cmp_event(&sc->ev[j], &e) > 0) {
                sc->ev[j + 1] = sc->ev[j];
                j--;
            }
            sc->ev[j + 1] = e;
        }
    }
    return 0;
}

static int script_captures(const Script *sc, int64_t frame) {
    if (sc->capture_all) return 1;
    for (int i = 0; i < sc->ncapture; i++)
        if (sc->capture[i] == frame) return 1;
    return 0;
}

/* Applies the script's events up to and including `frame`. */
static void script_advance(Instance *in, int64_t frame) {
    Script *sc = &in->script;
    while (in->script_pos < sc->nev && sc->ev[in->script_pos].frame <= frame) {
        ScriptEvent *e = &sc->ev[in->script_pos++];
        if (e->kind == SE_HEAD) {
            in->head = e->pose;
        } else if (e->kind == SE_HAND) {
            in->hand_tracked[e->side] = e->tracked;
            if (e->tracked) in->hand[e->side] = e->pose;
        } else if (e->kind == SE_INPUT) {
            const char *p = path_str(in, e->path);
            if (e->nv == 2) {
                char full[XR_MAX_PATH_LENGTH + 8];
                snprintf(full, sizeof full, "%s/x", p);
                input_set(in, full, e->v[0]);
                p = path_str(in, e->path); /* input_set may have grown the table */
                snprintf(full, sizeof full, "%s/y", p);
                input_set(in, full, e->v[1]);
            } else {
                in->input[e->path - 1] = e->v[0];
            }
        }
    }
}

/* ---- instance --------------------------------------------------------------------------------- */

#define TWO_CALL(cap, count_out, n)                              \
    do {                                                         \
        if (!(count_out)) return XR_ERROR_VALIDATION_FAILURE;    \
        *(count_out) = (uint32_t)(n);                            \
        if ((cap) == 0) return XR_SUCCESS;                       \
        if ((cap) < (uint32_t)(n)) return XR_ERROR_SIZE_INSUFFICIENT; \
    } while (0)

static const char *const EXT_NAMES[3] = {XR_KHR_OPENGL_ENABLE_EXTENSION_NAME, XR_MNDX_EGL_ENABLE_EXTENSION_NAME,
                                         XR_KHR_COMPOSITION_LAYER_DEPTH_EXTENSION_NAME};
static const uint32_t EXT_VERSIONS[3] = {XR_KHR_opengl_enable_SPEC_VERSION, XR_MNDX_egl_enable_SPEC_VERSION,
                                         XR_KHR_composition_layer_depth_SPEC_VERSION};

/* The depth extension is offered unless the script says `depth_layer 0`. */
static uint32_t offered_extensions(void) {
    Instance tmp;
    memset(&tmp, 0, sizeof tmp);
    Script sc;
    uint32_t n = 3;
    FILE *saved = stderr;
    (void)saved;
    if (script_load(&tmp, &sc) == 0) {
        if (!sc.depth_layer) n = 2;
        script_free(&sc);
    }
    for (int i = 0; i < tmp.npaths; i++) free(tmp.paths[i]);
    free(tmp.paths);
    free(tmp.input);
    return n;
}

static XrResult XRAPI_CALL rt_xrEnumerateInstanceExtensionProperties(const char *layerName, uint32_t cap,
                                                                    uint32_t *count, XrExtensionProperties *props) {
    if (layerName && *layerName) return XR_ERROR_API_LAYER_NOT_PRESENT;
    uint32_t n = offered_extensions();
    TWO_CALL(cap, count, n);
    for (uint32_t i = 0; i < n; i++) {
        if (props[i].type != XR_TYPE_EXTENSION_PROPERTIES) return XR_ERROR_VALIDATION_FAILURE;
        copy_str(props[i].extensionName, XR_MAX_EXTENSION_NAME_SIZE, EXT_NAMES[i]);
        props[i].extensionVersion = EXT_VERSIONS[i];
    }
    return XR_SUCCESS;
}

static void session_destroy_all(Session *s);

static XrResult XRAPI_CALL rt_xrCreateInstance(const XrInstanceCreateInfo *ci, XrInstance *out) {
    if (!ci || !out || ci->type != XR_TYPE_INSTANCE_CREATE_INFO) return XR_ERROR_VALIDATION_FAILURE;
    if (XR_VERSION_MAJOR(ci->applicationInfo.apiVersion) != 1) return XR_ERROR_API_VERSION_UNSUPPORTED;
    if (ci->applicationInfo.applicationName[0] == 0) return XR_ERROR_NAME_INVALID;
    uint32_t offered = offered_extensions();
    int exts = 0;
    for (uint32_t i = 0; i < ci->enabledExtensionCount; i++) {
        int found = -1;
        for (uint32_t e = 0; e < offered; e++)
            if (ci->enabledExtensionNames[i] && strcmp(ci->enabledExtensionNames[i], EXT_NAMES[e]) == 0) found = (int)e;
        if (found < 0) return XR_ERROR_EXTENSION_NOT_PRESENT;
        exts |= 1 << found;
    }
    Instance *in = calloc(1, sizeof *in);
    if (!in) return XR_ERROR_OUT_OF_MEMORY;
    in->type = OT_INSTANCE;
    in->exts = exts;
    copy_str(in->app_name, sizeof in->app_name, ci->applicationInfo.applicationName);
    if (script_load(in, &in->script) != 0) {
        for (int i = 0; i < in->npaths; i++) free(in->paths[i]);
        free(in->paths);
        free(in->input);
        free(in);
        return XR_ERROR_RUNTIME_FAILURE;
    }
    const char *dir = getenv("VPBRIDGE_XR_RECORD");
    if (dir && *dir) {
        static int opened_before = 0;
        char path[1100];
        copy_str(in->rec_dir, sizeof in->rec_dir, dir);
        for (char *c = in->rec_dir + 1; *c; c++) /* mkdir -p */
            if (*c == '/') {
                *c = 0;
                mkdir(in->rec_dir, 0777);
                *c = '/';
            }
        mkdir(in->rec_dir, 0777);
        snprintf(path, sizeof path, "%s/events.jsonl", in->rec_dir);
        in->rec = fopen(path, opened_before ? "a" : "w");
        if (!in->rec) fprintf(stderr, "vpbridge headless runtime: cannot write %s (%s)\n", path, strerror(errno));
        opened_before = 1;
    }
    in->head = POSE_IDENTITY;
    in->head.p[1] = 1.6;
    for (int s = 0; s < 2; s++) {
        in->hand[s] = POSE_IDENTITY;
        in->hand[s].p[0] = s ? 0.2 : -0.2;
        in->hand[s].p[1] = 1.2;
        in->hand[s].p[2] = -0.3;
        in->hand_tracked[s] = 1;
    }
    script_advance(in, 0);
    char name[300], ext_list[256] = "";
    for (int e = 0; e < 3; e++)
        if (exts & (1 << e))
            snprintf(ext_list + strlen(ext_list), sizeof ext_list - strlen(ext_list), "%s\"%s\"",
                     ext_list[0] ? "," : "", EXT_NAMES[e]);
    rec(in, "{\"event\":\"instance\",\"app\":%s,\"api_version\":\"%u.%u.%u\",\"extensions\":[%s]}",
        json_str(in->app_name, name, sizeof name), XR_VERSION_MAJOR(ci->applicationInfo.apiVersion),
        XR_VERSION_MINOR(ci->applicationInfo.apiVersion), XR_VERSION_PATCH(ci->applicationInfo.apiVersion), ext_list);
    obj_add(in);
    *out = (XrInstance)in;
    return XR_SUCCESS;
}

static void action_set_free(void *set);

static XrResult XRAPI_CALL rt_xrDestroyInstance(XrInstance instance) {
    GET(Instance, in, instance, OT_INSTANCE);
    if (in->session) session_destroy_all(in->session);
    for (int i = 0; i < g_nobjs; i++) /* action sets (and their actions) */
        if (g_objs[i] && *(int *)g_objs[i] == OT_ACTIONSET && ((ActionSet *)g_objs[i])->inst == in)
            action_set_free(g_objs[i]);
    rec(in, "{\"event\":\"destroy_instance\"}");
    if (in->rec) fclose(in->rec);
    for (int p = 0; p < N_PROFILES; p++) free(in->suggested[p]);
    for (int i = 0; i < in->npaths; i++) free(in->paths[i]);
    free(in->paths);
    free(in->input);
    script_free(&in->script);
    obj_del(in);
    free(in);
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrGetInstanceProperties(XrInstance instance, XrInstanceProperties *props) {
    GET(Instance, in, instance, OT_INSTANCE);
    (void)in;
    if (!props || props->type != XR_TYPE_INSTANCE_PROPERTIES) return XR_ERROR_VALIDATION_FAILURE;
    props->runtimeVersion = XR_MAKE_VERSION(0, 1, 0);
    copy_str(props->runtimeName, XR_MAX_RUNTIME_NAME_SIZE, RUNTIME_NAME);
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrPollEvent(XrInstance instance, XrEventDataBuffer *buf) {
    GET(Instance, in, instance, OT_INSTANCE);
    if (!buf || buf->type != XR_TYPE_EVENT_DATA_BUFFER) return XR_ERROR_VALIDATION_FAILURE;
    if (in->ev_count == 0) return XR_EVENT_UNAVAILABLE;
    *buf = in->events[in->ev_head];
    in->ev_head = (in->ev_head + 1) % MAX_EVENTS;
    in->ev_count--;
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrResultToString(XrInstance instance, XrResult value, char buffer[XR_MAX_RESULT_STRING_SIZE]) {
    GET(Instance, in, instance, OT_INSTANCE);
    (void)in;
    switch (value) {
#define X(name, val)                                         \
    case name:                                               \
        copy_str(buffer, XR_MAX_RESULT_STRING_SIZE, #name); \
        return XR_SUCCESS;
        XR_LIST_ENUM_XrResult(X)
#undef X
        default:
            snprintf(buffer, XR_MAX_RESULT_STRING_SIZE, "XR_UNKNOWN_%s_%d", value < 0 ? "FAILURE" : "SUCCESS",
                     (int)value);
            return XR_SUCCESS;
    }
}

static XrResult XRAPI_CALL rt_xrStructureTypeToString(XrInstance instance, XrStructureType value,
                                                      char buffer[XR_MAX_STRUCTURE_NAME_SIZE]) {
    GET(Instance, in, instance, OT_INSTANCE);
    (void)in;
    switch (value) {
#define X(name, val)                                          \
    case name:                                                \
        copy_str(buffer, XR_MAX_STRUCTURE_NAME_SIZE, #name); \
        return XR_SUCCESS;
        XR_LIST_ENUM_XrStructureType(X)
#undef X
        default:
            snprintf(buffer, XR_MAX_STRUCTURE_NAME_SIZE, "XR_UNKNOWN_STRUCTURE_TYPE_%d", (int)value);
            return XR_SUCCESS;
    }
}

/* ---- system ----------------------------------------------------------------------------------- */

static XrResult XRAPI_CALL rt_xrGetSystem(XrInstance instance, const XrSystemGetInfo *info, XrSystemId *id) {
    GET(Instance, in, instance, OT_INSTANCE);
    (void)in;
    if (!info || !id || info->type != XR_TYPE_SYSTEM_GET_INFO) return XR_ERROR_VALIDATION_FAILURE;
    if (info->formFactor == XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY) {
        *id = SYSTEM_ID;
        return XR_SUCCESS;
    }
    if (info->formFactor == XR_FORM_FACTOR_HANDHELD_DISPLAY) return XR_ERROR_FORM_FACTOR_UNSUPPORTED;
    return XR_ERROR_VALIDATION_FAILURE;
}

#define CHECK_SYSTEM(id) \
    if ((id) != SYSTEM_ID) return XR_ERROR_SYSTEM_INVALID

static XrResult XRAPI_CALL rt_xrGetSystemProperties(XrInstance instance, XrSystemId systemId, XrSystemProperties *p) {
    GET(Instance, in, instance, OT_INSTANCE);
    (void)in;
    CHECK_SYSTEM(systemId);
    if (!p || p->type != XR_TYPE_SYSTEM_PROPERTIES) return XR_ERROR_VALIDATION_FAILURE;
    p->systemId = systemId;
    p->vendorId = 0x7662; /* "vb" */
    copy_str(p->systemName, XR_MAX_SYSTEM_NAME_SIZE, "vpbridge headless HMD");
    p->graphicsProperties.maxSwapchainImageWidth = MAX_SIZE;
    p->graphicsProperties.maxSwapchainImageHeight = MAX_SIZE;
    p->graphicsProperties.maxLayerCount = MAX_LAYERS;
    p->trackingProperties.orientationTracking = XR_TRUE;
    p->trackingProperties.positionTracking = XR_TRUE;
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrEnumerateEnvironmentBlendModes(XrInstance instance, XrSystemId systemId,
                                                              XrViewConfigurationType vct, uint32_t cap,
                                                              uint32_t *count, XrEnvironmentBlendMode *modes) {
    GET(Instance, in, instance, OT_INSTANCE);
    (void)in;
    CHECK_SYSTEM(systemId);
    if (vct != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO) return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
    TWO_CALL(cap, count, 1);
    modes[0] = XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrEnumerateViewConfigurations(XrInstance instance, XrSystemId systemId, uint32_t cap,
                                                           uint32_t *count, XrViewConfigurationType *types) {
    GET(Instance, in, instance, OT_INSTANCE);
    (void)in;
    CHECK_SYSTEM(systemId);
    TWO_CALL(cap, count, 1);
    types[0] = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrGetViewConfigurationProperties(XrInstance instance, XrSystemId systemId,
                                                              XrViewConfigurationType vct,
                                                              XrViewConfigurationProperties *p) {
    GET(Instance, in, instance, OT_INSTANCE);
    (void)in;
    CHECK_SYSTEM(systemId);
    if (!p || p->type != XR_TYPE_VIEW_CONFIGURATION_PROPERTIES) return XR_ERROR_VALIDATION_FAILURE;
    if (vct != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO) return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
    p->viewConfigurationType = vct;
    p->fovMutable = XR_TRUE;
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrEnumerateViewConfigurationViews(XrInstance instance, XrSystemId systemId,
                                                               XrViewConfigurationType vct, uint32_t cap,
                                                               uint32_t *count, XrViewConfigurationView *views) {
    GET(Instance, in, instance, OT_INSTANCE);
    CHECK_SYSTEM(systemId);
    if (vct != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO) return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
    TWO_CALL(cap, count, 2);
    for (int i = 0; i < 2; i++) {
        if (views[i].type != XR_TYPE_VIEW_CONFIGURATION_VIEW) return XR_ERROR_VALIDATION_FAILURE;
        views[i].recommendedImageRectWidth = (uint32_t)in->script.view_w;
        views[i].recommendedImageRectHeight = (uint32_t)in->script.view_h;
        views[i].maxImageRectWidth = MAX_SIZE;
        views[i].maxImageRectHeight = MAX_SIZE;
        views[i].recommendedSwapchainSampleCount = 1;
        views[i].maxSwapchainSampleCount = 1;
    }
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrGetOpenGLGraphicsRequirementsKHR(XrInstance instance, XrSystemId systemId,
                                                                XrGraphicsRequirementsOpenGLKHR *reqs) {
    GET(Instance, in, instance, OT_INSTANCE);
    CHECK_SYSTEM(systemId);
    if (!reqs || reqs->type != XR_TYPE_GRAPHICS_REQUIREMENTS_OPENGL_KHR) return XR_ERROR_VALIDATION_FAILURE;
    reqs->minApiVersionSupported = XR_MAKE_VERSION(3, 3, 0);
    reqs->maxApiVersionSupported = XR_MAKE_VERSION(4, 6, 0);
    in->reqs_called = 1;
    return XR_SUCCESS;
}

/* ---- small helpers ---------------------------------------------------------------------------- */

typedef struct Str {
    char *s;
    size_t n, cap;
} Str;

static void str_add(Str *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void str_add(Str *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    if (b->n + (size_t)k + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->n + (size_t)k + 1) cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) abort();
        b->s = s;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

static const void *find_next(const void *next, XrStructureType type) {
    for (const XrBaseInStructure *b = next; b; b = b->next)
        if (b->type == type) return b;
    return NULL;
}

#define LOCATED_ALL                                                                        \
    (XR_SPACE_LOCATION_ORIENTATION_VALID_BIT | XR_SPACE_LOCATION_POSITION_VALID_BIT |      \
     XR_SPACE_LOCATION_ORIENTATION_TRACKED_BIT | XR_SPACE_LOCATION_POSITION_TRACKED_BIT)

/* ---- sessions --------------------------------------------------------------------------------- */

static int gl_resolve(GL *gl, PFNEGLGETPROCADDRESSPROC gpa) {
#define R(field, name)                       \
    gl->field = (PFN_##name)gpa(#name);      \
    if (!gl->field) {                        \
        fprintf(stderr, "vpbridge headless runtime: getProcAddress(\"%s\") failed\n", #name); \
        return 0;                            \
    }
    R(GenTextures, glGenTextures)
    R(DeleteTextures, glDeleteTextures)
    R(BindTexture, glBindTexture)
    R(TexStorage2D, glTexStorage2D)
    R(TexStorage3D, glTexStorage3D)
    R(TexParameteri, glTexParameteri)
    R(GetTexImage, glGetTexImage)
    R(GetIntegerv, glGetIntegerv)
    R(PixelStorei, glPixelStorei)
    R(BindBuffer, glBindBuffer)
    R(GetError, glGetError)
#undef R
    gl->TexImage2D = (PFN_glTexImage2D)gpa("glTexImage2D");
    gl->GetCurrentContext = (PFN_eglGetCurrentContext)gpa("eglGetCurrentContext");
    if (!gl->GetCurrentContext) {
        void *lib = dlopen("libEGL.so.1", RTLD_LAZY);
        if (lib) gl->GetCurrentContext = (PFN_eglGetCurrentContext)dlsym(lib, "eglGetCurrentContext");
    }
    if (!gl->GetCurrentContext) fprintf(stderr, "vpbridge headless runtime: no eglGetCurrentContext\n");
    return gl->GetCurrentContext != NULL;
}

/* 1 when the session's EGL context (or, with a warning, another one) is current on this thread. */
static int gl_current(Session *s, const char *what) {
    EGLContext cur = s->gl.GetCurrentContext();
    if (!cur) {
        fprintf(stderr, "vpbridge headless runtime: %s needs the session's EGL context current on this thread\n",
                what);
        return 0;
    }
    if (cur != s->egl_context && !s->warned_context) {
        s->warned_context = 1;
        fprintf(stderr, "vpbridge headless runtime: warning: %s with another EGL context current than the "
                        "session's (textures live in the current one)\n", what);
    }
    return 1;
}

static void gl_drain_errors(GL *gl) {
    for (int i = 0; i < 32 && gl->GetError() != GL_NO_ERROR; i++) {
    }
}

static void swapchain_free(Swapchain *sc) {
    Session *s = sc->session;
    if (s->gl.GetCurrentContext && s->gl.GetCurrentContext() == s->egl_context)
        s->gl.DeleteTextures((GLsizei)sc->nimg, sc->tex);
    obj_del(sc);
    free(sc);
}

static void session_destroy_all(Session *s) {
    for (int i = 0; i < g_nobjs; i++) {
        void *o = g_objs[i];
        if (!o) continue;
        if (*(int *)o == OT_SPACE && ((Space *)o)->session == s) {
            obj_del(o);
            free(o);
        } else if (*(int *)o == OT_SWAPCHAIN && ((Swapchain *)o)->session == s) {
            swapchain_free(o);
        }
    }
    if (s->inst->session == s) s->inst->session = NULL;
    obj_del(s);
    free(s);
}

static XrResult XRAPI_CALL rt_xrCreateSession(XrInstance instance, const XrSessionCreateInfo *ci, XrSession *out) {
    GET(Instance, in, instance, OT_INSTANCE);
    if (!ci || !out || ci->type != XR_TYPE_SESSION_CREATE_INFO) return XR_ERROR_VALIDATION_FAILURE;
    CHECK_SYSTEM(ci->systemId);
    if ((in->exts & (EXT_OPENGL | EXT_EGL)) != (EXT_OPENGL | EXT_EGL)) {
        fprintf(stderr, "vpbridge headless runtime: a session needs XR_KHR_opengl_enable and XR_MNDX_egl_enable\n");
        return XR_ERROR_GRAPHICS_DEVICE_INVALID;
    }
    if (!in->reqs_called) return XR_ERROR_GRAPHICS_REQUIREMENTS_CALL_MISSING;
    if (in->session) return XR_ERROR_LIMIT_REACHED;
    const XrGraphicsBindingEGLMNDX *b = find_next(ci->next, XR_TYPE_GRAPHICS_BINDING_EGL_MNDX);
    if (!b || !b->getProcAddress || !b->display || !b->context) {
        fprintf(stderr, "vpbridge headless runtime: xrCreateSession needs an XrGraphicsBindingEGLMNDX with "
                        "getProcAddress, display and context\n");
        return XR_ERROR_GRAPHICS_DEVICE_INVALID;
    }
    Session *s = calloc(1, sizeof *s);
    if (!s) return XR_ERROR_OUT_OF_MEMORY;
    if (!gl_resolve(&s->gl, b->getProcAddress)) {
        free(s);
        return XR_ERROR_GRAPHICS_DEVICE_INVALID;
    }
    s->type = OT_SESSION;
    s->inst = in;
    s->egl_context = b->context;
    s->state = XR_SESSION_STATE_UNKNOWN;
    s->begun_frame = -1;
    s->waited_frame = -1;
    s->profile = -1;
    if (s->gl.GetCurrentContext() != b->context)
        fprintf(stderr, "vpbridge headless runtime: warning: the binding's EGL context is not current\n");
    obj_add(s);
    in->session = s;
    rec(in, "{\"event\":\"session\",\"egl_display\":\"%p\",\"egl_config\":\"%p\",\"egl_context\":\"%p\"}",
        (void *)b->display, (void *)b->config, (void *)b->context);
    set_state(s, XR_SESSION_STATE_IDLE);
    set_state(s, XR_SESSION_STATE_READY);
    *out = (XrSession)s;
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrDestroySession(XrSession session) {
    GET(Session, s, session, OT_SESSION);
    Instance *in = s->inst;
    session_destroy_all(s);
    rec(in, "{\"event\":\"destroy_session\"}");
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrBeginSession(XrSession session, const XrSessionBeginInfo *bi) {
    GET(Session, s, session, OT_SESSION);
    if (!bi || bi->type != XR_TYPE_SESSION_BEGIN_INFO) return XR_ERROR_VALIDATION_FAILURE;
    if (bi->primaryViewConfigurationType != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO)
        return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
    if (s->running) return XR_ERROR_SESSION_RUNNING;
    if (s->state != XR_SESSION_STATE_READY) return XR_ERROR_SESSION_NOT_READY;
    s->running = 1;
    s->stopping = 0;
    s->begun_frame = -1;
    s->waited_frame = -1;
    s->frames_ended_running = 0;
    rec(s->inst, "{\"event\":\"begin_session\",\"frame\":%lld}", (long long)s->wait_count);
    return XR_SUCCESS;
}

/* Winds the running session down to STOPPING through the states the spec allows. */
static void session_stop(Session *s) {
    if (s->stopping || !s->running) return;
    s->stopping = 1;
    if (s->state == XR_SESSION_STATE_FOCUSED) set_state(s, XR_SESSION_STATE_VISIBLE);
    if (s->state == XR_SESSION_STATE_VISIBLE || s->state == XR_SESSION_STATE_READY)
        set_state(s, XR_SESSION_STATE_SYNCHRONIZED);
    set_state(s, XR_SESSION_STATE_STOPPING);
}

static XrResult XRAPI_CALL rt_xrRequestExitSession(XrSession session) {
    GET(Session, s, session, OT_SESSION);
    if (!s->running) return XR_ERROR_SESSION_NOT_RUNNING;
    s->exit_requested = 1;
    rec(s->inst, "{\"event\":\"request_exit\",\"frame\":%lld}", (long long)s->wait_count);
    session_stop(s);
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrEndSession(XrSession session) {
    GET(Session, s, session, OT_SESSION);
    if (!s->running) return XR_ERROR_SESSION_NOT_RUNNING;
    if (s->state != XR_SESSION_STATE_STOPPING) return XR_ERROR_SESSION_NOT_STOPPING;
    s->running = 0;
    s->ended = 1;
    s->begun_frame = -1;
    s->waited_frame = -1;
    rec(s->inst, "{\"event\":\"end_session\",\"frame\":%lld}", (long long)s->wait_count);
    set_state(s, XR_SESSION_STATE_IDLE);
    set_state(s, XR_SESSION_STATE_EXITING);
    return XR_SUCCESS;
}

/* ---- spaces ----------------------------------------------------------------------------------- */

static const XrReferenceSpaceType REF_SPACES[] = {XR_REFERENCE_SPACE_TYPE_VIEW, XR_REFERENCE_SPACE_TYPE_LOCAL,
                                                  XR_REFERENCE_SPACE_TYPE_STAGE};

static XrResult XRAPI_CALL rt_xrEnumerateReferenceSpaces(XrSession session, uint32_t cap, uint32_t *count,
                                                        XrReferenceSpaceType *spaces) {
    GET(Session, s, session, OT_SESSION);
    (void)s;
    TWO_CALL(cap, count, 3);
    for (int i = 0; i < 3; i++) spaces[i] = REF_SPACES[i];
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrCreateReferenceSpace(XrSession session, const XrReferenceSpaceCreateInfo *ci,
                                                    XrSpace *out) {
    GET(Session, s, session, OT_SESSION);
    if (!ci || !out || ci->type != XR_TYPE_REFERENCE_SPACE_CREATE_INFO) return XR_ERROR_VALIDATION_FAILURE;
    int known = 0;
    for (int i = 0; i < 3; i++) known |= ci->referenceSpaceType == REF_SPACES[i];
    if (!known) return XR_ERROR_REFERENCE_SPACE_UNSUPPORTED;
    if (!xr_pose_valid(&ci->poseInReferenceSpace)) return XR_ERROR_POSE_INVALID;
    Space *sp = calloc(1, sizeof *sp);
    if (!sp) return XR_ERROR_OUT_OF_MEMORY;
    sp->type = OT_SPACE;
    sp->session = s;
    sp->ref = ci->referenceSpaceType;
    sp->pose = pose_from_xr(&ci->poseInReferenceSpace);
    obj_add(sp);
    *out = (XrSpace)sp;
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrGetReferenceSpaceBoundsRect(XrSession session, XrReferenceSpaceType type,
                                                           XrExtent2Df *bounds) {
    GET(Session, s, session, OT_SESSION);
    (void)s;
    if (!bounds) return XR_ERROR_VALIDATION_FAILURE;
    int known = 0;
    for (int i = 0; i < 3; i++) known |= type == REF_SPACES[i];
    if (!known) return XR_ERROR_REFERENCE_SPACE_UNSUPPORTED;
    if (type == XR_REFERENCE_SPACE_TYPE_STAGE) {
        bounds->width = 3.0f;
        bounds->height = 3.0f;
        return XR_SUCCESS;
    }
    bounds->width = 0.0f;
    bounds->height = 0.0f;
    return XR_SPACE_BOUNDS_UNAVAILABLE;
}

/* 1 when action `a` may take input from `side` (it lists that hand, or no subaction paths at all). */
static int action_takes(Instance *in, Action *a, int side) {
    if (a->nsubs == 0) return 1;
    for (int i = 0; i < a->nsubs; i++)
        if (hand_of_path(in, a->subs[i]) == side) return 1;
    return 0;
}

/* Bindings of `a` in the session's current profile on hand `side` (0, 1; 2 either). */
static int action_bound(Session *s, Action *a, int side) {
    if (!s || !a || s->profile < 0 || !a->set->attached) return 0;
    Instance *in = s->inst;
    int n = 0;
    for (int i = 0; i < in->nsuggested[s->profile]; i++) {
        Binding *b = &in->suggested[s->profile][i];
        const char *rest;
        if (b->action != a) continue;
        int bs = split_hand_path(path_str(in, b->path), &rest);
        if (bs < 0 || !action_takes(in, a, bs)) continue;
        if (side == 2 || bs == side) n++;
    }
    return n;
}

/* The hand an action space follows, -1 none (unbound, not attached). */
static int action_space_side(Space *sp) {
    Session *s = sp->session;
    if (!sp->action) return -1;
    if (sp->sub != XR_NULL_PATH) {
        int side = hand_of_path(s->inst, sp->sub);
        return side >= 0 && action_bound(s, sp->action, side) ? side : -1;
    }
    for (int side = 0; side < 2; side++)
        if (action_bound(s, sp->action, side)) return side;
    return -1;
}

/* The origin of a space in the tracking space (STAGE == LOCAL) now; 0 when it is not tracked. */
static int space_origin(Space *sp, Pose *out) {
    Instance *in = sp->session->inst;
    if (!sp->is_action) {
        *out = sp->ref == XR_REFERENCE_SPACE_TYPE_VIEW ? pose_mul(in->head, sp->pose) : sp->pose;
        return 1;
    }
    int side = action_space_side(sp);
    if (side < 0 || !in->hand_tracked[side]) return 0;
    *out = pose_mul(in->hand[side], sp->pose);
    return 1;
}

static XrResult XRAPI_CALL rt_xrCreateActionSpace(XrSession session, const XrActionSpaceCreateInfo *ci,
                                                 XrSpace *out) {
    GET(Session, s, session, OT_SESSION);
    if (!ci || !out || ci->type != XR_TYPE_ACTION_SPACE_CREATE_INFO) return XR_ERROR_VALIDATION_FAILURE;
    GET(Action, a, ci->action, OT_ACTION);
    if (a->set->inst != s->inst) return XR_ERROR_HANDLE_INVALID;
    if (a->atype != XR_ACTION_TYPE_POSE_INPUT) return XR_ERROR_ACTION_TYPE_MISMATCH;
    if (ci->subactionPath != XR_NULL_PATH) {
        if (!path_str(s->inst, ci->subactionPath)) return XR_ERROR_PATH_INVALID;
        int listed = 0;
        for (int i = 0; i < a->nsubs; i++) listed |= a->subs[i] == ci->subactionPath;
        if (!listed) return XR_ERROR_PATH_UNSUPPORTED;
    }
    if (!xr_pose_valid(&ci->poseInActionSpace)) return XR_ERROR_POSE_INVALID;
    Space *sp = calloc(1, sizeof *sp);
    if (!sp) return XR_ERROR_OUT_OF_MEMORY;
    sp->type = OT_SPACE;
    sp->session = s;
    sp->is_action = 1;
    sp->action = a;
    sp->sub = ci->subactionPath;
    sp->pose = pose_from_xr(&ci->poseInActionSpace);
    obj_add(sp);
    *out = (XrSpace)sp;
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrDestroySpace(XrSpace space) {
    GET(Space, sp, space, OT_SPACE);
    obj_del(sp);
    free(sp);
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrLocateSpace(XrSpace space, XrSpace baseSpace, XrTime time, XrSpaceLocation *loc) {
    GET(Space, sp, space, OT_SPACE);
    GET(Space, base, baseSpace, OT_SPACE);
    if (!loc || loc->type != XR_TYPE_SPACE_LOCATION) return XR_ERROR_VALIDATION_FAILURE;
    if (sp->session != base->session) return XR_ERROR_VALIDATION_FAILURE;
    if (time <= 0) return XR_ERROR_TIME_INVALID;
    XrSpaceVelocity *vel = (XrSpaceVelocity *)find_next(loc->next, XR_TYPE_SPACE_VELOCITY);
    if (vel) { /* poses are piecewise constant: no velocity is reported */
        vel->velocityFlags = 0;
        memset(&vel->linearVelocity, 0, sizeof vel->linearVelocity);
        memset(&vel->angularVelocity, 0, sizeof vel->angularVelocity);
    }
    Pose a, b;
    if (!space_origin(sp, &a) || !space_origin(base, &b)) {
        loc->locationFlags = 0;
        loc->pose = pose_to_xr(POSE_IDENTITY);
        return XR_SUCCESS;
    }
    loc->pose = pose_to_xr(pose_mul(pose_inv(b), a));
    loc->locationFlags = LOCATED_ALL;
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrLocateViews(XrSession session, const XrViewLocateInfo *li, XrViewState *vs,
                                           uint32_t cap, uint32_t *count, XrView *views) {
    GET(Session, s, session, OT_SESSION);
    Instance *in = s->inst;
    if (!li || li->type != XR_TYPE_VIEW_LOCATE_INFO || !vs || vs->type != XR_TYPE_VIEW_STATE)
        return XR_ERROR_VALIDATION_FAILURE;
    if (li->viewConfigurationType != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO)
        return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
    GET(Space, base, li->space, OT_SPACE);
    if (base->session != s) return XR_ERROR_VALIDATION_FAILURE;
    if (li->displayTime <= 0) return XR_ERROR_TIME_INVALID;
    TWO_CALL(cap, count, 2);
    for (int i = 0; i < 2; i++)
        if (views[i].type != XR_TYPE_VIEW) return XR_ERROR_VALIDATION_FAILURE;
    Pose b;
    int ok = space_origin(base, &b);
    vs->viewStateFlags = ok ? (XR_VIEW_STATE_ORIENTATION_VALID_BIT | XR_VIEW_STATE_POSITION_VALID_BIT |
                               XR_VIEW_STATE_ORIENTATION_TRACKED_BIT | XR_VIEW_STATE_POSITION_TRACKED_BIT)
                            : 0;
    for (int i = 0; i < 2; i++) {
        Pose off = POSE_IDENTITY;
        off.p[0] = (i ? 0.5 : -0.5) * in->script.ipd;
        Pose eye = pose_mul(in->head, off);
        views[i].pose = pose_to_xr(ok ? pose_mul(pose_inv(b), eye) : POSE_IDENTITY);
        views[i].fov.angleLeft = in->script.fov[i][0];
        views[i].fov.angleRight = in->script.fov[i][1];
        views[i].fov.angleUp = in->script.fov[i][2];
        views[i].fov.angleDown = in->script.fov[i][3];
    }
    return XR_SUCCESS;
}

/* ---- swapchains ------------------------------------------------------------------------------- */

static XrResult XRAPI_CALL rt_xrEnumerateSwapchainFormats(XrSession session, uint32_t cap, uint32_t *count,
                                                         int64_t *formats) {
    GET(Session, s, session, OT_SESSION);
    (void)s;
    TWO_CALL(cap, count, N_FORMATS);
    for (uint32_t i = 0; i < N_FORMATS; i++) formats[i] = FORMATS[i];
    return XR_SUCCESS;
}

static GLenum swapchain_target(const Swapchain *sc) { return sc->array_size > 1 ? GL_TEXTURE_2D_ARRAY : GL_TEXTURE_2D; }

static GLenum target_binding(GLenum target) {
    return target == GL_TEXTURE_2D_ARRAY ? GL_TEXTURE_BINDING_2D_ARRAY : GL_TEXTURE_BINDING_2D;
}

static XrResult XRAPI_CALL rt_xrCreateSwapchain(XrSession session, const XrSwapchainCreateInfo *ci,
                                               XrSwapchain *out) {
    GET(Session, s, session, OT_SESSION);
    Instance *in = s->inst;
    if (!ci || !out || ci->type != XR_TYPE_SWAPCHAIN_CREATE_INFO) return XR_ERROR_VALIDATION_FAILURE;
    if (ci->createFlags & XR_SWAPCHAIN_CREATE_PROTECTED_CONTENT_BIT) return XR_ERROR_FEATURE_UNSUPPORTED;
    int known = 0;
    for (uint32_t i = 0; i < N_FORMATS; i++) known |= ci->format == FORMATS[i];
    if (!known) return XR_ERROR_SWAPCHAIN_FORMAT_UNSUPPORTED;
    if (ci->sampleCount != 1 || ci->faceCount != 1) return XR_ERROR_FEATURE_UNSUPPORTED;
    if (ci->width < 1 || ci->height < 1 || ci->width > MAX_SIZE || ci->height > MAX_SIZE || ci->arraySize < 1 ||
        ci->arraySize > 64 || ci->mipCount < 1 || ci->mipCount > 13)
        return XR_ERROR_VALIDATION_FAILURE;
    if (!gl_current(s, "xrCreateSwapchain")) return XR_ERROR_RUNTIME_FAILURE;
    Swapchain *sc = calloc(1, sizeof *sc);
    if (!sc) return XR_ERROR_OUT_OF_MEMORY;
    sc->type = OT_SWAPCHAIN;
    sc->session = s;
    sc->format = ci->format;
    sc->w = ci->width;
    sc->h = ci->height;
    sc->array_size = ci->arraySize;
    sc->mip_count = ci->mipCount;
    sc->usage = ci->usageFlags;
    sc->flags = ci->createFlags;
    sc->nimg = (ci->createFlags & XR_SWAPCHAIN_CREATE_STATIC_IMAGE_BIT) ? 1 : N_IMAGES;
    sc->last_released = -1;
    GL *gl = &s->gl;
    GLenum target = swapchain_target(sc);
    GLint prev = 0;
    gl_drain_errors(gl);
    gl->GetIntegerv(target_binding(target), &prev);
    gl->GenTextures((GLsizei)sc->nimg, sc->tex);
    for (uint32_t i = 0; i < sc->nimg; i++) {
        gl->BindTexture(target, sc->tex[i]);
        if (target == GL_TEXTURE_2D_ARRAY)
            gl->TexStorage3D(target, (GLsizei)sc->mip_count, (GLenum)sc->format, (GLsizei)sc->w, (GLsizei)sc->h,
                             (GLsizei)sc->array_size);
        else
            gl->TexStorage2D(target, (GLsizei)sc->mip_count, (GLenum)sc->format, (GLsizei)sc->w, (GLsizei)sc->h);
        gl->TexParameteri(target, GL_TEXTURE_MIN_FILTER, sc->mip_count > 1 ? GL_LINEAR_MIPMAP_LINEAR : GL_LINEAR);
        gl->TexParameteri(target, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
        gl->TexParameteri(target, GL_TEXTURE_MAX_LEVEL, (GLint)sc->mip_count - 1);
    }
    gl->BindTexture(target, (GLuint)prev);
    GLenum err = gl->GetError();
    if (err != GL_NO_ERROR) {
        fprintf(stderr, "vpbridge headless runtime: creating swapchain textures failed (GL error 0x%04x)\n", err);
        gl->DeleteTextures((GLsizei)sc->nimg, sc->tex);
        free(sc);
        return XR_ERROR_RUNTIME_FAILURE;
    }
    sc->id = ++in->next_swapchain_id;
    obj_add(sc);
    rec(in,
        "{\"event\":\"swapchain\",\"id\":%d,\"format\":%lld,\"width\":%u,\"height\":%u,\"array_size\":%u,"
        "\"mip_count\":%u,\"images\":%u,\"usage\":%llu,\"depth\":%s}",
        sc->id, (long long)sc->format, sc->w, sc->h, sc->array_size, sc->mip_count, sc->nimg,
        (unsigned long long)sc->usage, format_is_depth(sc->format) ? "true" : "false");
    *out = (XrSwapchain)sc;
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrDestroySwapchain(XrSwapchain swapchain) {
    GET(Swapchain, sc, swapchain, OT_SWAPCHAIN);
    Instance *in = sc->session->inst;
    int id = sc->id;
    swapchain_free(sc);
    rec(in, "{\"event\":\"destroy_swapchain\",\"id\":%d}", id);
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrEnumerateSwapchainImages(XrSwapchain swapchain, uint32_t cap, uint32_t *count,
                                                        XrSwapchainImageBaseHeader *images) {
    GET(Swapchain, sc, swapchain, OT_SWAPCHAIN);
    TWO_CALL(cap, count, sc->nimg);
    XrSwapchainImageOpenGLKHR *im = (XrSwapchainImageOpenGLKHR *)images;
    for (uint32_t i = 0; i < sc->nimg; i++)
        if (im[i].type != XR_TYPE_SWAPCHAIN_IMAGE_OPENGL_KHR) return XR_ERROR_VALIDATION_FAILURE;
    for (uint32_t i = 0; i < sc->nimg; i++) im[i].image = sc->tex[i];
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrAcquireSwapchainImage(XrSwapchain swapchain, const XrSwapchainImageAcquireInfo *ai,
                                                     uint32_t *index) {
    GET(Swapchain, sc, swapchain, OT_SWAPCHAIN);
    if (!index || (ai && ai->type != XR_TYPE_SWAPCHAIN_IMAGE_ACQUIRE_INFO)) return XR_ERROR_VALIDATION_FAILURE;
    if (sc->nacq == (int)sc->nimg) return XR_ERROR_CALL_ORDER_INVALID;
    if ((sc->flags & XR_SWAPCHAIN_CREATE_STATIC_IMAGE_BIT) && sc->ever_acquired) return XR_ERROR_CALL_ORDER_INVALID;
    int idx = sc->next;
    sc->next = (sc->next + 1) % (int)sc->nimg;
    sc->acq[sc->nacq++] = idx;
    sc->ever_acquired = 1;
    *index = (uint32_t)idx;
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrWaitSwapchainImage(XrSwapchain swapchain, const XrSwapchainImageWaitInfo *wi) {
    GET(Swapchain, sc, swapchain, OT_SWAPCHAIN);
    if (!wi || wi->type != XR_TYPE_SWAPCHAIN_IMAGE_WAIT_INFO) return XR_ERROR_VALIDATION_FAILURE;
    if (sc->nacq == 0 || sc->waited) return XR_ERROR_CALL_ORDER_INVALID;
    sc->waited = 1;
    return XR_SUCCESS;
}

/* The frame index that swapchain work now belongs to: the begun frame, else the waited one. */
static int64_t current_frame(const Session *s) {
    if (s->begun_frame >= 0) return s->begun_frame;
    if (s->waited_frame >= 0) return s->waited_frame;
    return s->wait_count - 1;
}

/* Reads image `idx` back (colour as RGBA8, depth as float32, rows bottom-up as GL gives them) into the
 * record directory and records it. */
static void capture_image(Swapchain *sc, int idx, int64_t frame) {
    Session *s = sc->session;
    Instance *in = s->inst;
    GL *gl = &s->gl;
    if (!in->rec_dir[0] || !gl_current(s, "capturing a released image")) return;
    int depth = format_is_depth(sc->format);
    size_t bytes = (size_t)sc->w * sc->h * sc->array_size * 4; /* RGBA8 or one float32 per texel */
    void *buf = malloc(bytes);
    if (!buf) return;
    GLenum target = swapchain_target(sc);
    GLint prev_tex = 0, prev_align = 4, prev_pbo = 0;
    gl_drain_errors(gl);
    gl->GetIntegerv(target_binding(target), &prev_tex);
    gl->GetIntegerv(GL_PACK_ALIGNMENT, &prev_align);
    gl->GetIntegerv(GL_PIXEL_PACK_BUFFER_BINDING, &prev_pbo);
    gl->BindBuffer(GL_PIXEL_PACK_BUFFER, 0);
    gl->PixelStorei(GL_PACK_ALIGNMENT, 1);
    gl->BindTexture(target, sc->tex[idx]);
    gl->GetTexImage(target, 0, depth ? GL_DEPTH_COMPONENT : GL_RGBA, depth ? GL_FLOAT : GL_UNSIGNED_BYTE, buf);
    GLenum err = gl->GetError();
    gl->BindTexture(target, (GLuint)prev_tex);
    gl->PixelStorei(GL_PACK_ALIGNMENT, prev_align);
    gl->BindBuffer(GL_PIXEL_PACK_BUFFER, (GLuint)prev_pbo);
    if (err != GL_NO_ERROR) {
        fprintf(stderr, "vpbridge headless runtime: reading back swapchain %d image %d failed (GL error 0x%04x)\n",
                sc->id, idx, err);
        rec(in, "{\"event\":\"capture_failed\",\"frame\":%lld,\"swapchain\":%d,\"image\":%d,\"gl_error\":%u}",
            (long long)frame, sc->id, idx, err);
        free(buf);
        return;
    }
    char name[96], path[1200];
    snprintf(name, sizeof name, "frame%06lld_swapchain%d_image%d.raw", (long long)frame, sc->id, idx);
    snprintf(path, sizeof path, "%s/%s", in->rec_dir, name);
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(buf, 1, bytes, f) == bytes;
    if (f && fclose(f) != 0) ok = 0;
    free(buf);
    if (!ok) {
        fprintf(stderr, "vpbridge headless runtime: cannot write %s (%s)\n", path, strerror(errno));
        return;
    }
    rec(in,
        "{\"event\":\"capture\",\"frame\":%lld,\"swapchain\":%d,\"image\":%d,\"file\":\"%s\",\"width\":%u,"
        "\"height\":%u,\"array_size\":%u,\"format\":%lld,\"kind\":\"%s\"}",
        (long long)frame, sc->id, idx, name, sc->w, sc->h, sc->array_size, (long long)sc->format,
        depth ? "depth" : "color");
}

static XrResult XRAPI_CALL rt_xrReleaseSwapchainImage(XrSwapchain swapchain, const XrSwapchainImageReleaseInfo *ri) {
    GET(Swapchain, sc, swapchain, OT_SWAPCHAIN);
    if (ri && ri->type != XR_TYPE_SWAPCHAIN_IMAGE_RELEASE_INFO) return XR_ERROR_VALIDATION_FAILURE;
    if (sc->nacq == 0 || !sc->waited) return XR_ERROR_CALL_ORDER_INVALID;
    int idx = sc->acq[0];
    memmove(sc->acq, sc->acq + 1, sizeof(int) * (size_t)(sc->nacq - 1));
    sc->nacq--;
    sc->waited = 0;
    sc->last_released = idx;
    Session *s = sc->session;
    int64_t frame = current_frame(s);
    if (s->running && frame >= 0 && script_captures(&s->inst->script, frame)) capture_image(sc, idx, frame);
    return XR_SUCCESS;
}

/* ---- paths and actions ------------------------------------------------------------------------ */

static XrResult XRAPI_CALL rt_xrStringToPath(XrInstance instance, const char *str, XrPath *path) {
    GET(Instance, in, instance, OT_INSTANCE);
    if (!str || !path) return XR_ERROR_VALIDATION_FAILURE;
    if (!path_well_formed(str)) return XR_ERROR_PATH_FORMAT_INVALID;
    *path = path_intern(in, str);
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrPathToString(XrInstance instance, XrPath path, uint32_t cap, uint32_t *count,
                                            char *buffer) {
    GET(Instance, in, instance, OT_INSTANCE);
    const char *s = path_str(in, path);
    if (!s) return XR_ERROR_PATH_INVALID;
    TWO_CALL(cap, count, strlen(s) + 1);
    memcpy(buffer, s, strlen(s) + 1);
    return XR_SUCCESS;
}

/* Action and action set names: one well-formed path segment. */
static int name_ok(const char *s, size_t cap) {
    size_t n = strnlen(s, cap);
    if (n == 0 || n == cap) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) return 0;
    }
    return 1;
}

static XrResult XRAPI_CALL rt_xrCreateActionSet(XrInstance instance, const XrActionSetCreateInfo *ci,
                                               XrActionSet *out) {
    GET(Instance, in, instance, OT_INSTANCE);
    if (!ci || !out || ci->type != XR_TYPE_ACTION_SET_CREATE_INFO) return XR_ERROR_VALIDATION_FAILURE;
    if (!name_ok(ci->actionSetName, sizeof ci->actionSetName)) return XR_ERROR_PATH_FORMAT_INVALID;
    size_t ln = strnlen(ci->localizedActionSetName, sizeof ci->localizedActionSetName);
    if (ln == 0 || ln == sizeof ci->localizedActionSetName) return XR_ERROR_LOCALIZED_NAME_INVALID;
    for (int i = 0; i < g_nobjs; i++) {
        ActionSet *o = g_objs[i];
        if (!o || o->type != OT_ACTIONSET || o->inst != in) continue;
        if (strcmp(o->name, ci->actionSetName) == 0) return XR_ERROR_NAME_DUPLICATED;
        if (strcmp(o->loc, ci->localizedActionSetName) == 0) return XR_ERROR_LOCALIZED_NAME_DUPLICATED;
    }
    ActionSet *set = calloc(1, sizeof *set);
    if (!set) return XR_ERROR_OUT_OF_MEMORY;
    set->type = OT_ACTIONSET;
    set->inst = in;
    copy_str(set->name, sizeof set->name, ci->actionSetName);
    copy_str(set->loc, sizeof set->loc, ci->localizedActionSetName);
    set->priority = ci->priority;
    obj_add(set);
    *out = (XrActionSet)set;
    return XR_SUCCESS;
}

static void action_free(Action *a) {
    Instance *in = a->set->inst;
    for (int p = 0; p < N_PROFILES; p++) { /* its suggested bindings go with it */
        int k = 0;
        for (int i = 0; i < in->nsuggested[p]; i++)
            if (in->suggested[p][i].action != a) in->suggested[p][k++] = in->suggested[p][i];
        in->nsuggested[p] = k;
    }
    for (int i = 0; i < g_nobjs; i++) /* action spaces of it stop being located */
        if (g_objs[i] && *(int *)g_objs[i] == OT_SPACE && ((Space *)g_objs[i])->action == a)
            ((Space *)g_objs[i])->action = NULL;
    obj_del(a);
    free(a);
}

static void action_set_free(void *p) {
    ActionSet *set = p;
    for (int i = 0; i < g_nobjs; i++)
        if (g_objs[i] && *(int *)g_objs[i] == OT_ACTION && ((Action *)g_objs[i])->set == set) action_free(g_objs[i]);
    obj_del(set);
    free(set);
}

static XrResult XRAPI_CALL rt_xrDestroyActionSet(XrActionSet actionSet) {
    GET(ActionSet, set, actionSet, OT_ACTIONSET);
    action_set_free(set);
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrCreateAction(XrActionSet actionSet, const XrActionCreateInfo *ci, XrAction *out) {
    GET(ActionSet, set, actionSet, OT_ACTIONSET);
    Instance *in = set->inst;
    if (!ci || !out || ci->type != XR_TYPE_ACTION_CREATE_INFO) return XR_ERROR_VALIDATION_FAILURE;
    if (set->attached) return XR_ERROR_ACTIONSETS_ALREADY_ATTACHED;
    if (!name_ok(ci->actionName, sizeof ci->actionName)) return XR_ERROR_PATH_FORMAT_INVALID;
    size_t ln = strnlen(ci->localizedActionName, sizeof ci->localizedActionName);
    if (ln == 0 || ln == sizeof ci->localizedActionName) return XR_ERROR_LOCALIZED_NAME_INVALID;
    switch (ci->actionType) {
        case XR_ACTION_TYPE_BOOLEAN_INPUT:
        case XR_ACTION_TYPE_FLOAT_INPUT:
        case XR_ACTION_TYPE_VECTOR2F_INPUT:
        case XR_ACTION_TYPE_POSE_INPUT:
        case XR_ACTION_TYPE_VIBRATION_OUTPUT:
            break;
        default:
            return XR_ERROR_VALIDATION_FAILURE;
    }
    if (ci->countSubactionPaths > MAX_SUBS || (ci->countSubactionPaths && !ci->subactionPaths))
        return XR_ERROR_PATH_UNSUPPORTED;
    for (uint32_t i = 0; i < ci->countSubactionPaths; i++) {
        if (!path_str(in, ci->subactionPaths[i])) return XR_ERROR_PATH_INVALID;
        if (hand_of_path(in, ci->subactionPaths[i]) < 0) return XR_ERROR_PATH_UNSUPPORTED;
        for (uint32_t j = 0; j < i; j++)
            if (ci->subactionPaths[j] == ci->subactionPaths[i]) return XR_ERROR_PATH_UNSUPPORTED;
    }
    for (int i = 0; i < g_nobjs; i++) {
        Action *o = g_objs[i];
        if (!o || o->type != OT_ACTION || o->set != set) continue;
        if (strcmp(o->name, ci->actionName) == 0) return XR_ERROR_NAME_DUPLICATED;
        if (strcmp(o->loc, ci->localizedActionName) == 0) return XR_ERROR_LOCALIZED_NAME_DUPLICATED;
    }
    Action *a = calloc(1, sizeof *a);
    if (!a) return XR_ERROR_OUT_OF_MEMORY;
    a->type = OT_ACTION;
    a->set = set;
    copy_str(a->name, sizeof a->name, ci->actionName);
    copy_str(a->loc, sizeof a->loc, ci->localizedActionName);
    a->atype = ci->actionType;
    a->nsubs = (int)ci->countSubactionPaths;
    for (int i = 0; i < a->nsubs; i++) a->subs[i] = ci->subactionPaths[i];
    obj_add(a);
    *out = (XrAction)a;
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrDestroyAction(XrAction action) {
    GET(Action, a, action, OT_ACTION);
    action_free(a);
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrSuggestInteractionProfileBindings(XrInstance instance,
                                                                 const XrInteractionProfileSuggestedBinding *sb) {
    GET(Instance, in, instance, OT_INSTANCE);
    if (!sb || sb->type != XR_TYPE_INTERACTION_PROFILE_SUGGESTED_BINDING || sb->countSuggestedBindings == 0 ||
        !sb->suggestedBindings)
        return XR_ERROR_VALIDATION_FAILURE;
    const char *ps = path_str(in, sb->interactionProfile);
    if (!ps) return XR_ERROR_PATH_INVALID;
    int pi = profile_index(ps);
    if (pi < 0) return XR_ERROR_PATH_UNSUPPORTED;
    if (in->session && in->session->attached) return XR_ERROR_ACTIONSETS_ALREADY_ATTACHED;
    uint32_t n = sb->countSuggestedBindings;
    for (uint32_t i = 0; i < n; i++) {
        Action *a = obj_get(sb->suggestedBindings[i].action, OT_ACTION);
        if (!a || a->set->inst != in) return XR_ERROR_HANDLE_INVALID;
        if (a->set->attached) return XR_ERROR_ACTIONSETS_ALREADY_ATTACHED;
        const char *bp = path_str(in, sb->suggestedBindings[i].binding), *rest;
        if (!bp) return XR_ERROR_PATH_INVALID;
        int side = split_hand_path(bp, &rest);
        if (side < 0 || !profile_has(pi, side, rest)) {
            fprintf(stderr, "vpbridge headless runtime: %s is not a binding path of %s\n", bp, ps);
            return XR_ERROR_PATH_UNSUPPORTED;
        }
    }
    Binding *nb = calloc(n, sizeof *nb);
    if (!nb) return XR_ERROR_OUT_OF_MEMORY;
    Str b = {0};
    char name[256];
    str_add(&b, "{\"event\":\"bindings\",\"profile\":%s,\"bindings\":[", json_str(ps, name, sizeof name));
    for (uint32_t i = 0; i < n; i++) {
        nb[i].action = obj_get(sb->suggestedBindings[i].action, OT_ACTION);
        nb[i].path = sb->suggestedBindings[i].binding;
        char pbuf[XR_MAX_PATH_LENGTH * 2 + 8];
        str_add(&b, "%s[%s,", i ? "," : "", json_str(nb[i].action->name, name, sizeof name));
        str_add(&b, "%s]", json_str(path_str(in, nb[i].path), pbuf, sizeof pbuf));
    }
    str_add(&b, "]}");
    rec(in, "%s", b.s);
    free(b.s);
    free(in->suggested[pi]);
    in->suggested[pi] = nb;
    in->nsuggested[pi] = (int)n;
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrAttachSessionActionSets(XrSession session, const XrSessionActionSetsAttachInfo *ai) {
    GET(Session, s, session, OT_SESSION);
    Instance *in = s->inst;
    if (!ai || ai->type != XR_TYPE_SESSION_ACTION_SETS_ATTACH_INFO || ai->countActionSets == 0 || !ai->actionSets)
        return XR_ERROR_VALIDATION_FAILURE;
    if (s->attached) return XR_ERROR_ACTIONSETS_ALREADY_ATTACHED;
    for (uint32_t i = 0; i < ai->countActionSets; i++) {
        ActionSet *set = obj_get(ai->actionSets[i], OT_ACTIONSET);
        if (!set || set->inst != in) return XR_ERROR_HANDLE_INVALID;
        if (set->attached) return XR_ERROR_ACTIONSETS_ALREADY_ATTACHED;
    }
    Str b = {0};
    char name[256];
    str_add(&b, "{\"event\":\"attach\",\"action_sets\":[");
    for (uint32_t i = 0; i < ai->countActionSets; i++) {
        ActionSet *set = obj_get(ai->actionSets[i], OT_ACTIONSET);
        set->attached = 1;
        str_add(&b, "%s%s", i ? "," : "", json_str(set->name, name, sizeof name));
    }
    s->attached = 1;
    /* The script's controllers are the device: their profile is current when the app suggested it. */
    int pi = profile_index(in->script.profile);
    s->profile = pi >= 0 && in->nsuggested[pi] > 0 ? pi : -1;
    s->profile_path = s->profile >= 0 ? path_intern(in, PROFILES[pi].path) : XR_NULL_PATH;
    if (s->profile >= 0)
        str_add(&b, "],\"profile\":%s}", json_str(PROFILES[pi].path, name, sizeof name));
    else
        str_add(&b, "],\"profile\":null}");
    rec(in, "%s", b.s);
    free(b.s);
    XrEventDataInteractionProfileChanged ev = {XR_TYPE_EVENT_DATA_INTERACTION_PROFILE_CHANGED};
    ev.session = session;
    push_event(in, &ev, sizeof ev);
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrGetCurrentInteractionProfile(XrSession session, XrPath topLevelUserPath,
                                                            XrInteractionProfileState *st) {
    GET(Session, s, session, OT_SESSION);
    Instance *in = s->inst;
    if (!st || st->type != XR_TYPE_INTERACTION_PROFILE_STATE) return XR_ERROR_VALIDATION_FAILURE;
    if (!s->attached) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    const char *p = path_str(in, topLevelUserPath);
    if (!p) return XR_ERROR_PATH_INVALID;
    if (hand_of_path(in, topLevelUserPath) >= 0) {
        st->interactionProfile = s->profile_path;
        return XR_SUCCESS;
    }
    static const char *const OTHER_USERS[] = {"/user/head", "/user/gamepad", "/user/treadmill"};
    for (int i = 0; i < 3; i++)
        if (strcmp(p, OTHER_USERS[i]) == 0) {
            st->interactionProfile = XR_NULL_PATH;
            return XR_SUCCESS;
        }
    return XR_ERROR_PATH_UNSUPPORTED;
}

/* The scripted value of `bpath` + `suffix` when that is a component of profile `pi`; 0 when it is not. */
static int comp_value(Instance *in, int pi, const char *bpath, const char *suffix, float *out) {
    char full[XR_MAX_PATH_LENGTH + 16];
    const char *rest;
    snprintf(full, sizeof full, "%s%s", bpath, suffix);
    int side = split_hand_path(full, &rest);
    if (side < 0 || profile_has(pi, side, rest) != 1) return 0;
    *out = input_get(in, full);
    return 1;
}

/* What one bound path gives an action of type `t` (v[0], v[1]); 0 when it gives nothing. */
static int binding_value(Instance *in, int pi, const char *bpath, XrActionType t, float v[2]) {
    const char *rest;
    int side = split_hand_path(bpath, &rest);
    v[0] = v[1] = 0.0f;
    if (side < 0 || strncmp(rest, "/input/", 7) != 0) return 0;
    int whole = profile_has(pi, side, rest) == 2;
    const char *lf = leaf(rest);
    switch (t) {
        case XR_ACTION_TYPE_BOOLEAN_INPUT:
        case XR_ACTION_TYPE_FLOAT_INPUT: {
            int ok;
            if (!whole)
                ok = strcmp(lf, "pose") != 0 && comp_value(in, pi, bpath, "", &v[0]);
            else if (t == XR_ACTION_TYPE_BOOLEAN_INPUT)
                ok = comp_value(in, pi, bpath, "/click", &v[0]) || comp_value(in, pi, bpath, "/value", &v[0]);
            else
                ok = comp_value(in, pi, bpath, "/value", &v[0]) || comp_value(in, pi, bpath, "/click", &v[0]);
            if (ok && t == XR_ACTION_TYPE_BOOLEAN_INPUT) v[0] = v[0] > 0.5f ? 1.0f : 0.0f;
            return ok;
        }
        case XR_ACTION_TYPE_VECTOR2F_INPUT:
            return whole && comp_value(in, pi, bpath, "/x", &v[0]) && comp_value(in, pi, bpath, "/y", &v[1]);
        case XR_ACTION_TYPE_POSE_INPUT:
            if (whole ? comp_value(in, pi, bpath, "/pose", &v[0]) : strcmp(lf, "pose") == 0) {
                v[0] = (float)in->hand_tracked[side];
                return 1;
            }
            return 0;
        default:
            return 0;
    }
}

/* Updates the three states (left, right, either) of `a` after a sync covering hands `mask`. */
static void action_sync(Session *s, Action *a, int mask, XrTime t) {
    Instance *in = s->inst;
    float side_v[2][2] = {{0, 0}, {0, 0}};
    int side_active[2] = {0, 0};
    if (s->profile >= 0 && a->atype != XR_ACTION_TYPE_VIBRATION_OUTPUT) {
        for (int i = 0; i < in->nsuggested[s->profile]; i++) {
            Binding *b = &in->suggested[s->profile][i];
            const char *bp = path_str(in, b->path), *rest;
            float v[2];
            if (b->action != a) continue;
            int side = split_hand_path(bp, &rest);
            if (side < 0 || !((mask >> side) & 1) || !action_takes(in, a, side)) continue;
            if (!binding_value(in, s->profile, bp, a->atype, v)) continue;
            float *cur = side_v[side];
            if (!side_active[side]) {
                cur[0] = v[0];
                cur[1] = v[1];
            } else if (a->atype == XR_ACTION_TYPE_BOOLEAN_INPUT || a->atype == XR_ACTION_TYPE_POSE_INPUT) {
                cur[0] = cur[0] > v[0] ? cur[0] : v[0];
            } else if (a->atype == XR_ACTION_TYPE_FLOAT_INPUT) {
                if (fabsf(v[0]) > fabsf(cur[0])) cur[0] = v[0];
            } else if (v[0] * v[0] + v[1] * v[1] > cur[0] * cur[0] + cur[1] * cur[1]) {
                cur[0] = v[0];
                cur[1] = v[1];
            }
            side_active[side] = 1;
        }
    }
    for (int k = 0; k < 3; k++) {
        float v[2] = {0, 0};
        int active = 0;
        for (int side = 0; side < 2; side++) {
            if ((k < 2 && side != k) || !side_active[side]) continue;
            const float *c = side_v[side];
            if (!active || (a->atype == XR_ACTION_TYPE_VECTOR2F_INPUT
                                ? c[0] * c[0] + c[1] * c[1] > v[0] * v[0] + v[1] * v[1]
                                : fabsf(c[0]) > fabsf(v[0]))) {
                v[0] = c[0];
                v[1] = c[1];
            }
            active = 1;
        }
        ActState *st = &a->st[k];
        int changed = active && st->active && (v[0] != st->v[0] || v[1] != st->v[1]);
        if (changed || (active && !st->active)) st->last_change = t;
        st->changed = changed;
        st->active = active;
        st->v[0] = active ? v[0] : 0.0f;
        st->v[1] = active ? v[1] : 0.0f;
    }
}

static XrResult XRAPI_CALL rt_xrSyncActions(XrSession session, const XrActionsSyncInfo *si) {
    GET(Session, s, session, OT_SESSION);
    Instance *in = s->inst;
    if (!si || si->type != XR_TYPE_ACTIONS_SYNC_INFO || (si->countActiveActionSets && !si->activeActionSets))
        return XR_ERROR_VALIDATION_FAILURE;
    for (uint32_t i = 0; i < si->countActiveActionSets; i++) {
        ActionSet *set = obj_get(si->activeActionSets[i].actionSet, OT_ACTIONSET);
        if (!set || set->inst != in) return XR_ERROR_HANDLE_INVALID;
        if (!set->attached || !s->attached) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
        XrPath sub = si->activeActionSets[i].subactionPath;
        if (sub != XR_NULL_PATH && !path_str(in, sub)) return XR_ERROR_PATH_INVALID;
        if (sub != XR_NULL_PATH && hand_of_path(in, sub) < 0) return XR_ERROR_PATH_UNSUPPORTED;
    }
    int focused = s->state == XR_SESSION_STATE_FOCUSED;
    for (int i = 0; i < g_nobjs; i++)
        if (g_objs[i] && *(int *)g_objs[i] == OT_ACTIONSET && ((ActionSet *)g_objs[i])->inst == in)
            ((ActionSet *)g_objs[i])->synced_active = 0;
    if (focused)
        for (uint32_t i = 0; i < si->countActiveActionSets; i++) {
            ActionSet *set = obj_get(si->activeActionSets[i].actionSet, OT_ACTIONSET);
            XrPath sub = si->activeActionSets[i].subactionPath;
            set->synced_active |= sub == XR_NULL_PATH ? 3 : 1 << hand_of_path(in, sub);
        }
    XrTime t = s->last_display_time > 0 ? s->last_display_time : now_ns();
    for (int i = 0; i < g_nobjs; i++) {
        Action *a = g_objs[i];
        if (a && a->type == OT_ACTION && a->set->inst == in && a->set->attached)
            action_sync(s, a, a->set->synced_active, t);
    }
    return focused ? XR_SUCCESS : XR_SESSION_NOT_FOCUSED;
}

/* Checks a get-info (action of type `want`, subaction path) and finds the state it reads. */
static XrResult action_state_of(Session *s, XrAction action, XrPath sub, XrActionType want, Action **out,
                                ActState **st) {
    Instance *in = s->inst;
    Action *a = obj_get(action, OT_ACTION);
    if (!a || a->set->inst != in) return XR_ERROR_HANDLE_INVALID;
    if (!a->set->attached || !s->attached) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    if (a->atype != want) return XR_ERROR_ACTION_TYPE_MISMATCH;
    int k = 2;
    if (sub != XR_NULL_PATH) {
        if (!path_str(in, sub)) return XR_ERROR_PATH_INVALID;
        int listed = 0;
        for (int i = 0; i < a->nsubs; i++) listed |= a->subs[i] == sub;
        if (!listed) return XR_ERROR_PATH_UNSUPPORTED;
        k = hand_of_path(in, sub);
    }
    *out = a;
    *st = &a->st[k];
    return XR_SUCCESS;
}

#define STATE_PROLOGUE(STYPE, ATYPE)                                                                     \
    GET(Session, s, session, OT_SESSION);                                                                \
    if (!gi || gi->type != XR_TYPE_ACTION_STATE_GET_INFO || !state || state->type != STYPE)              \
        return XR_ERROR_VALIDATION_FAILURE;                                                              \
    Action *a;                                                                                           \
    ActState *st;                                                                                        \
    XrResult r = action_state_of(s, gi->action, gi->subactionPath, ATYPE, &a, &st);                      \
    if (r != XR_SUCCESS) return r;                                                                       \
    (void)a

static XrResult XRAPI_CALL rt_xrGetActionStateBoolean(XrSession session, const XrActionStateGetInfo *gi,
                                                     XrActionStateBoolean *state) {
    STATE_PROLOGUE(XR_TYPE_ACTION_STATE_BOOLEAN, XR_ACTION_TYPE_BOOLEAN_INPUT);
    state->currentState = st->v[0] > 0.5f;
    state->changedSinceLastSync = (XrBool32)st->changed;
    state->lastChangeTime = st->last_change;
    state->isActive = (XrBool32)st->active;
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrGetActionStateFloat(XrSession session, const XrActionStateGetInfo *gi,
                                                   XrActionStateFloat *state) {
    STATE_PROLOGUE(XR_TYPE_ACTION_STATE_FLOAT, XR_ACTION_TYPE_FLOAT_INPUT);
    state->currentState = st->v[0];
    state->changedSinceLastSync = (XrBool32)st->changed;
    state->lastChangeTime = st->last_change;
    state->isActive = (XrBool32)st->active;
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrGetActionStateVector2f(XrSession session, const XrActionStateGetInfo *gi,
                                                      XrActionStateVector2f *state) {
    STATE_PROLOGUE(XR_TYPE_ACTION_STATE_VECTOR2F, XR_ACTION_TYPE_VECTOR2F_INPUT);
    state->currentState.x = st->v[0];
    state->currentState.y = st->v[1];
    state->changedSinceLastSync = (XrBool32)st->changed;
    state->lastChangeTime = st->last_change;
    state->isActive = (XrBool32)st->active;
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrGetActionStatePose(XrSession session, const XrActionStateGetInfo *gi,
                                                  XrActionStatePose *state) {
    STATE_PROLOGUE(XR_TYPE_ACTION_STATE_POSE, XR_ACTION_TYPE_POSE_INPUT);
    state->isActive = (XrBool32)st->active;
    return XR_SUCCESS;
}

static const char *hand_name(Instance *in, XrPath sub) {
    int side = hand_of_path(in, sub);
    return side == 0 ? "\"left\"" : side == 1 ? "\"right\"" : "null";
}

static XrResult XRAPI_CALL rt_xrApplyHapticFeedback(XrSession session, const XrHapticActionInfo *hi,
                                                   const XrHapticBaseHeader *haptic) {
    GET(Session, s, session, OT_SESSION);
    if (!hi || hi->type != XR_TYPE_HAPTIC_ACTION_INFO || !haptic || haptic->type != XR_TYPE_HAPTIC_VIBRATION)
        return XR_ERROR_VALIDATION_FAILURE;
    Action *a;
    ActState *st;
    XrResult r = action_state_of(s, hi->action, hi->subactionPath, XR_ACTION_TYPE_VIBRATION_OUTPUT, &a, &st);
    if (r != XR_SUCCESS) return r;
    const XrHapticVibration *v = (const XrHapticVibration *)haptic;
    char name[256];
    rec(s->inst,
        "{\"event\":\"haptic\",\"frame\":%lld,\"action\":%s,\"hand\":%s,\"duration\":%lld,\"frequency\":%.9g,"
        "\"amplitude\":%.9g}",
        (long long)current_frame(s), json_str(a->name, name, sizeof name), hand_name(s->inst, hi->subactionPath),
        (long long)v->duration, v->frequency, v->amplitude);
    return s->state == XR_SESSION_STATE_FOCUSED ? XR_SUCCESS : XR_SESSION_NOT_FOCUSED;
}

static XrResult XRAPI_CALL rt_xrStopHapticFeedback(XrSession session, const XrHapticActionInfo *hi) {
    GET(Session, s, session, OT_SESSION);
    if (!hi || hi->type != XR_TYPE_HAPTIC_ACTION_INFO) return XR_ERROR_VALIDATION_FAILURE;
    Action *a;
    ActState *st;
    XrResult r = action_state_of(s, hi->action, hi->subactionPath, XR_ACTION_TYPE_VIBRATION_OUTPUT, &a, &st);
    if (r != XR_SUCCESS) return r;
    char name[256];
    rec(s->inst, "{\"event\":\"haptic_stop\",\"frame\":%lld,\"action\":%s,\"hand\":%s}",
        (long long)current_frame(s), json_str(a->name, name, sizeof name), hand_name(s->inst, hi->subactionPath));
    return s->state == XR_SESSION_STATE_FOCUSED ? XR_SUCCESS : XR_SESSION_NOT_FOCUSED;
}

static XrResult XRAPI_CALL rt_xrEnumerateBoundSourcesForAction(XrSession session,
                                                              const XrBoundSourcesForActionEnumerateInfo *ei,
                                                              uint32_t cap, uint32_t *count, XrPath *sources) {
    GET(Session, s, session, OT_SESSION);
    Instance *in = s->inst;
    if (!ei || ei->type != XR_TYPE_BOUND_SOURCES_FOR_ACTION_ENUMERATE_INFO) return XR_ERROR_VALIDATION_FAILURE;
    Action *a = obj_get(ei->action, OT_ACTION);
    if (!a || a->set->inst != in) return XR_ERROR_HANDLE_INVALID;
    if (!a->set->attached || !s->attached) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    uint32_t n = 0;
    XrPath found[64];
    if (s->profile >= 0)
        for (int i = 0; i < in->nsuggested[s->profile] && n < 64; i++) {
            Binding *b = &in->suggested[s->profile][i];
            const char *rest;
            if (b->action != a) continue;
            int side = split_hand_path(path_str(in, b->path), &rest);
            if (side >= 0 && action_takes(in, a, side)) found[n++] = b->path;
        }
    TWO_CALL(cap, count, n);
    memcpy(sources, found, sizeof(XrPath) * n);
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrGetInputSourceLocalizedName(XrSession session,
                                                           const XrInputSourceLocalizedNameGetInfo *gi,
                                                           uint32_t cap, uint32_t *count, char *buffer) {
    GET(Session, s, session, OT_SESSION);
    Instance *in = s->inst;
    if (!gi || gi->type != XR_TYPE_INPUT_SOURCE_LOCALIZED_NAME_GET_INFO || gi->whichComponents == 0)
        return XR_ERROR_VALIDATION_FAILURE;
    if (!s->attached) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    const char *p = path_str(in, gi->sourcePath), *rest;
    if (!p) return XR_ERROR_PATH_INVALID;
    int side = split_hand_path(p, &rest);
    if (side < 0) return XR_ERROR_PATH_UNSUPPORTED;
    char out[512] = "";
    size_t o = 0;
    if (gi->whichComponents & XR_INPUT_SOURCE_LOCALIZED_NAME_USER_PATH_BIT)
        o += (size_t)snprintf(out + o, sizeof out - o, "%s", side ? "Right Hand" : "Left Hand");
    if ((gi->whichComponents & XR_INPUT_SOURCE_LOCALIZED_NAME_INTERACTION_PROFILE_BIT) && s->profile >= 0)
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%s", o ? " " : "", PROFILES[s->profile].label);
    if (gi->whichComponents & XR_INPUT_SOURCE_LOCALIZED_NAME_COMPONENT_BIT) {
        /* "/input/trigger/value" -> "Trigger Value" */
        const char *c = strncmp(rest, "/input/", 7) == 0 ? rest + 7 : strncmp(rest, "/output/", 8) == 0 ? rest + 8 : rest;
        int word_start = 1;
        if (o && *c && o + 1 < sizeof out) out[o++] = ' ';
        for (; *c && o + 1 < sizeof out; c++) {
            char ch = *c == '/' || *c == '_' ? ' ' : *c;
            out[o++] = word_start && ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
            word_start = ch == ' ';
        }
        out[o] = 0;
    }
    TWO_CALL(cap, count, strlen(out) + 1);
    memcpy(buffer, out, strlen(out) + 1);
    return XR_SUCCESS;
}

/* ---- frames ----------------------------------------------------------------------------------- */

static XrResult XRAPI_CALL rt_xrWaitFrame(XrSession session, const XrFrameWaitInfo *wi, XrFrameState *fs) {
    GET(Session, s, session, OT_SESSION);
    Instance *in = s->inst;
    if ((wi && wi->type != XR_TYPE_FRAME_WAIT_INFO) || !fs || fs->type != XR_TYPE_FRAME_STATE)
        return XR_ERROR_VALIDATION_FAILURE;
    if (!s->running) return XR_ERROR_SESSION_NOT_RUNNING;
    int64_t f = s->wait_count++;
    XrTime now = now_ns();
    if (f == 0) {
        s->base_wall = now;
        s->base_display = now + 2 * PERIOD_NS;
    }
    if (in->script.throttle_hz > 0) sleep_until(s->base_wall + (XrTime)((double)f * 1e9 / in->script.throttle_hz));
    XrTime dt = s->base_display + f * PERIOD_NS;
    s->last_wait = now;
    s->waited_frame = f;
    s->waited_time = dt;
    s->last_display_time = dt;
    script_advance(in, f);
    if (s->state == XR_SESSION_STATE_READY && !s->stopping) set_state(s, XR_SESSION_STATE_SYNCHRONIZED);
    fs->predictedDisplayTime = dt;
    fs->predictedDisplayPeriod = PERIOD_NS;
    fs->shouldRender = s->state == XR_SESSION_STATE_VISIBLE || s->state == XR_SESSION_STATE_FOCUSED;
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrBeginFrame(XrSession session, const XrFrameBeginInfo *bi) {
    GET(Session, s, session, OT_SESSION);
    if (bi && bi->type != XR_TYPE_FRAME_BEGIN_INFO) return XR_ERROR_VALIDATION_FAILURE;
    if (!s->running) return XR_ERROR_SESSION_NOT_RUNNING;
    if (s->waited_frame < 0) return XR_ERROR_CALL_ORDER_INVALID;
    XrResult r = XR_SUCCESS;
    if (s->begun_frame >= 0) {
        rec(s->inst, "{\"event\":\"discarded\",\"frame\":%lld}", (long long)s->begun_frame);
        r = XR_FRAME_DISCARDED;
    }
    s->begun_frame = s->waited_frame;
    s->begun_time = s->waited_time;
    s->waited_frame = -1;
    return r;
}

static void space_json(Str *b, const Space *sp) {
    char pose[256], name[256];
    const char *t = sp->is_action ? "ACTION"
                    : sp->ref == XR_REFERENCE_SPACE_TYPE_VIEW ? "VIEW"
                    : sp->ref == XR_REFERENCE_SPACE_TYPE_LOCAL ? "LOCAL"
                                                               : "STAGE";
    fmt_pose(pose, sizeof pose, sp->pose);
    str_add(b, "{\"type\":\"%s\",\"pose\":%s", t, pose);
    if (sp->is_action)
        str_add(b, ",\"action\":%s,\"hand\":%s", sp->action ? json_str(sp->action->name, name, sizeof name) : "null",
                hand_name(sp->session->inst, sp->sub));
    str_add(b, "}");
}

/* Checks a sub-image of a layer and writes its "swapchain", "image", "rect" and "array_index". */
static XrResult sub_image_json(Str *b, const Session *s, const XrSwapchainSubImage *si) {
    Swapchain *sc = obj_get(si->swapchain, OT_SWAPCHAIN);
    if (!sc || sc->session != s) return XR_ERROR_HANDLE_INVALID;
    if (sc->last_released < 0) return XR_ERROR_LAYER_INVALID; /* no image of it was ever released */
    const XrRect2Di *r = &si->imageRect;
    if (r->offset.x < 0 || r->offset.y < 0 || r->extent.width <= 0 || r->extent.height <= 0 ||
        (int64_t)r->offset.x + r->extent.width > (int64_t)sc->w ||
        (int64_t)r->offset.y + r->extent.height > (int64_t)sc->h)
        return XR_ERROR_SWAPCHAIN_RECT_INVALID;
    if (si->imageArrayIndex >= sc->array_size) return XR_ERROR_VALIDATION_FAILURE;
    str_add(b, "\"swapchain\":%d,\"image\":%d,\"rect\":[%d,%d,%d,%d],\"array_index\":%u", sc->id, sc->last_released,
            r->offset.x, r->offset.y, r->extent.width, r->extent.height, si->imageArrayIndex);
    return XR_SUCCESS;
}

static XrResult layer_json(Str *b, const Session *s, const XrCompositionLayerBaseHeader *l) {
    if (!l) return XR_ERROR_LAYER_INVALID;
    const Space *sp = obj_get(l->space, OT_SPACE);
    if (!sp || sp->session != s) return XR_ERROR_HANDLE_INVALID;
    XrResult r;
    if (l->type == XR_TYPE_COMPOSITION_LAYER_PROJECTION) {
        const XrCompositionLayerProjection *p = (const XrCompositionLayerProjection *)l;
        if (p->viewCount != 2 || !p->views) return XR_ERROR_VALIDATION_FAILURE;
        str_add(b, "{\"type\":\"projection\",\"flags\":%llu,\"space\":", (unsigned long long)p->layerFlags);
        space_json(b, sp);
        str_add(b, ",\"views\":[");
        for (uint32_t i = 0; i < 2; i++) {
            const XrCompositionLayerProjectionView *v = &p->views[i];
            char pose[256];
            if (v->type != XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW) return XR_ERROR_VALIDATION_FAILURE;
            if (!xr_pose_valid(&v->pose)) return XR_ERROR_POSE_INVALID;
            if (!(v->fov.angleLeft < v->fov.angleRight && v->fov.angleDown < v->fov.angleUp))
                return XR_ERROR_VALIDATION_FAILURE;
            fmt_pose(pose, sizeof pose, pose_from_xr(&v->pose));
            str_add(b, "%s{\"pose\":%s,\"fov\":[%.9g,%.9g,%.9g,%.9g],", i ? "," : "", pose, v->fov.angleLeft,
                    v->fov.angleRight, v->fov.angleUp, v->fov.angleDown);
            if ((r = sub_image_json(b, s, &v->subImage)) != XR_SUCCESS) return r;
            const XrCompositionLayerDepthInfoKHR *d =
                (s->inst->exts & EXT_DEPTH) ? find_next(v->next, XR_TYPE_COMPOSITION_LAYER_DEPTH_INFO_KHR) : NULL;
            if (!d) {
                str_add(b, ",\"depth\":null}");
                continue;
            }
            if (!(d->minDepth >= 0.0f && d->maxDepth <= 1.0f && d->minDepth <= d->maxDepth) || d->nearZ == d->farZ ||
                !(d->nearZ >= 0.0f) || !(d->farZ >= 0.0f))
                return XR_ERROR_VALIDATION_FAILURE;
            str_add(b, ",\"depth\":{");
            if ((r = sub_image_json(b, s, &d->subImage)) != XR_SUCCESS) return r;
            str_add(b, ",\"near\":%.9g,\"far\":%.9g,\"min_depth\":%.9g,\"max_depth\":%.9g}}", d->nearZ, d->farZ,
                    d->minDepth, d->maxDepth);
        }
        str_add(b, "]}");
        return XR_SUCCESS;
    }
    if (l->type == XR_TYPE_COMPOSITION_LAYER_QUAD) {
        const XrCompositionLayerQuad *q = (const XrCompositionLayerQuad *)l;
        char pose[256];
        if (!xr_pose_valid(&q->pose)) return XR_ERROR_POSE_INVALID;
        fmt_pose(pose, sizeof pose, pose_from_xr(&q->pose));
        str_add(b, "{\"type\":\"quad\",\"flags\":%llu,\"space\":", (unsigned long long)q->layerFlags);
        space_json(b, sp);
        str_add(b, ",\"eye_visibility\":%d,\"pose\":%s,\"size\":[%.9g,%.9g],", (int)q->eyeVisibility, pose,
                q->size.width, q->size.height);
        if ((r = sub_image_json(b, s, &q->subImage)) != XR_SUCCESS) return r;
        str_add(b, "}");
        return XR_SUCCESS;
    }
    return XR_ERROR_LAYER_INVALID;
}

static const char *result_name(XrResult r) {
    switch (r) {
#define X(name, val) \
    case name:       \
        return #name;
        XR_LIST_ENUM_XrResult(X)
#undef X
        default:
            return "XR_UNKNOWN_RESULT";
    }
}

static XrResult XRAPI_CALL rt_xrEndFrame(XrSession session, const XrFrameEndInfo *ei) {
    GET(Session, s, session, OT_SESSION);
    Instance *in = s->inst;
    if (!ei || ei->type != XR_TYPE_FRAME_END_INFO) return XR_ERROR_VALIDATION_FAILURE;
    if (!s->running) return XR_ERROR_SESSION_NOT_RUNNING;
    if (s->begun_frame < 0) return XR_ERROR_CALL_ORDER_INVALID;
    if (ei->displayTime <= 0) return XR_ERROR_TIME_INVALID;
    if (ei->environmentBlendMode != XR_ENVIRONMENT_BLEND_MODE_OPAQUE) return XR_ERROR_ENVIRONMENT_BLEND_MODE_UNSUPPORTED;
    if (ei->layerCount > MAX_LAYERS) return XR_ERROR_LAYER_LIMIT_EXCEEDED;
    if (ei->layerCount && !ei->layers) return XR_ERROR_VALIDATION_FAILURE;
    Str b = {0};
    str_add(&b, "{\"event\":\"frame\",\"frame\":%lld,\"display_time\":%lld,\"predicted_display_time\":%lld,\"layers\":[",
            (long long)s->begun_frame, (long long)ei->displayTime, (long long)s->begun_time);
    for (uint32_t i = 0; i < ei->layerCount; i++) {
        if (i) str_add(&b, ",");
        XrResult r = layer_json(&b, s, ei->layers[i]);
        if (r != XR_SUCCESS) {
            rec(in, "{\"event\":\"end_frame_error\",\"frame\":%lld,\"layer\":%u,\"result\":\"%s\"}",
                (long long)s->begun_frame, i, result_name(r));
            free(b.s);
            return r;
        }
    }
    str_add(&b, "]}");
    rec(in, "%s", b.s);
    free(b.s);
    s->begun_frame = -1;
    s->frames_ended_running++;
    if (s->state == XR_SESSION_STATE_SYNCHRONIZED && !s->stopping) {
        set_state(s, XR_SESSION_STATE_VISIBLE);
        set_state(s, XR_SESSION_STATE_FOCUSED);
    }
    if (in->script.exit_after > 0 && s->frames_ended_running >= in->script.exit_after) session_stop(s);
    return XR_SUCCESS;
}

/* ---- dispatch --------------------------------------------------------------------------------- */

static XrResult XRAPI_CALL rt_xrEnumerateApiLayerProperties(uint32_t cap, uint32_t *count,
                                                           XrApiLayerProperties *props) {
    (void)props;
    TWO_CALL(cap, count, 0);
    return XR_SUCCESS;
}

static XrResult XRAPI_CALL rt_xrGetInstanceProcAddr(XrInstance instance, const char *name,
                                                   PFN_xrVoidFunction *function);

typedef struct Fn {
    const char *name;
    PFN_xrVoidFunction fn;
    int ext; /* the extension that must be enabled, 0 for core */
} Fn;

#define FN(name) {#name, (PFN_xrVoidFunction)rt_##name, 0}
#define FN_EXT(name, ext) {#name, (PFN_xrVoidFunction)rt_##name, ext}

static const Fn FUNCTIONS[] = {
    FN(xrGetInstanceProcAddr),
    FN(xrEnumerateApiLayerProperties),
    FN(xrEnumerateInstanceExtensionProperties),
    FN(xrCreateInstance),
    FN(xrDestroyInstance),
    FN(xrGetInstanceProperties),
    FN(xrPollEvent),
    FN(xrResultToString),
    FN(xrStructureTypeToString),
    FN(xrGetSystem),
    FN(xrGetSystemProperties),
    FN(xrEnumerateEnvironmentBlendModes),
    FN(xrCreateSession),
    FN(xrDestroySession),
    FN(xrEnumerateReferenceSpaces),
    FN(xrCreateReferenceSpace),
    FN(xrGetReferenceSpaceBoundsRect),
    FN(xrCreateActionSpace),
    FN(xrLocateSpace),
    FN(xrDestroySpace),
    FN(xrEnumerateViewConfigurations),
    FN(xrGetViewConfigurationProperties),
    FN(xrEnumerateViewConfigurationViews),
    FN(xrEnumerateSwapchainFormats),
    FN(xrCreateSwapchain),
    FN(xrDestroySwapchain),
    FN(xrEnumerateSwapchainImages),
    FN(xrAcquireSwapchainImage),
    FN(xrWaitSwapchainImage),
    FN(xrReleaseSwapchainImage),
    FN(xrBeginSession),
    FN(xrEndSession),
    FN(xrRequestExitSession),
    FN(xrWaitFrame),
    FN(xrBeginFrame),
    FN(xrEndFrame),
    FN(xrLocateViews),
    FN(xrStringToPath),
    FN(xrPathToString),
    FN(xrCreateActionSet),
    FN(xrDestroyActionSet),
    FN(xrCreateAction),
    FN(xrDestroyAction),
    FN(xrSuggestInteractionProfileBindings),
    FN(xrAttachSessionActionSets),
    FN(xrGetCurrentInteractionProfile),
    FN(xrGetActionStateBoolean),
    FN(xrGetActionStateFloat),
    FN(xrGetActionStateVector2f),
    FN(xrGetActionStatePose),
    FN(xrSyncActions),
    FN(xrEnumerateBoundSourcesForAction),
    FN(xrGetInputSourceLocalizedName),
    FN(xrApplyHapticFeedback),
    FN(xrStopHapticFeedback),
    FN_EXT(xrGetOpenGLGraphicsRequirementsKHR, EXT_OPENGL),
};
#define N_FUNCTIONS ((int)(sizeof(FUNCTIONS) / sizeof(FUNCTIONS[0])))

static XrResult XRAPI_CALL rt_xrGetInstanceProcAddr(XrInstance instance, const char *name,
                                                   PFN_xrVoidFunction *function) {
    if (!name || !function) return XR_ERROR_VALIDATION_FAILURE;
    *function = NULL;
    if (instance == XR_NULL_HANDLE) {
        static const char *const NO_INSTANCE[] = {"xrEnumerateInstanceExtensionProperties",
                                                  "xrEnumerateApiLayerProperties", "xrCreateInstance"};
        for (int k = 0; k < 3; k++)
            if (strcmp(name, NO_INSTANCE[k]) == 0)
                for (int i = 0; i < N_FUNCTIONS; i++)
                    if (strcmp(name, FUNCTIONS[i].name) == 0) {
                        *function = FUNCTIONS[i].fn;
                        return XR_SUCCESS;
                    }
        return XR_ERROR_HANDLE_INVALID;
    }
    GET(Instance, in, instance, OT_INSTANCE);
    for (int i = 0; i < N_FUNCTIONS; i++)
        if (strcmp(name, FUNCTIONS[i].name) == 0) {
            if (FUNCTIONS[i].ext && !(in->exts & FUNCTIONS[i].ext)) return XR_ERROR_FUNCTION_UNSUPPORTED;
            *function = FUNCTIONS[i].fn;
            return XR_SUCCESS;
        }
    return XR_ERROR_FUNCTION_UNSUPPORTED;
}

EXPORT XrResult XRAPI_CALL xrNegotiateLoaderRuntimeInterface(const XrNegotiateLoaderInfo *li,
                                                             XrNegotiateRuntimeRequest *rr) {
    if (!li || !rr || li->structType != XR_LOADER_INTERFACE_STRUCT_LOADER_INFO || li->structVersion != 1 ||
        li->structSize != sizeof(XrNegotiateLoaderInfo) ||
        rr->structType != XR_LOADER_INTERFACE_STRUCT_RUNTIME_REQUEST || rr->structVersion != 1 ||
        rr->structSize != sizeof(XrNegotiateRuntimeRequest))
        return XR_ERROR_INITIALIZATION_FAILED;
    if (li->minInterfaceVersion > 1 || li->maxInterfaceVersion < 1) return XR_ERROR_INITIALIZATION_FAILED;
    if (XR_VERSION_MAJOR(li->maxApiVersion) < 1 || XR_VERSION_MAJOR(li->minApiVersion) > 1)
        return XR_ERROR_INITIALIZATION_FAILED;
    rr->runtimeInterfaceVersion = 1;
    rr->runtimeApiVersion = XR_CURRENT_API_VERSION;
    rr->getInstanceProcAddr = rt_xrGetInstanceProcAddr;
    return XR_SUCCESS;
}
