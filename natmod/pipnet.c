/* pipnet: the MicroPython binding of pipdream's C kernels (natmod/kernels/).
 *
 * This file only checks arguments and buffers and calls the kernels; all the
 * arithmetic lives in natmod/kernels/ (no MicroPython include there). The API
 * is documented in natmod/pipnet.pyi and docs/natmod.md.
 *
 *   m = pipnet.Model(blob)                 # ValueError with the parser's message
 *   m.generate(face, angle_code, out)      # out: bytearray(out_h*out_w); no heap allocation
 *   m.generate_rows(face, angle_code, cb)  # cb(row, col0, pixels) per row segment
 *   m.info()                               # layers, params, scratch and MACs per plan
 *   pipnet.fc / convt / conv(...)          # one layer on caller buffers (REPL experiments)
 *   pipnet.render_die / render_digit / clear_box(...)   # device/pdview.py's drawing, in C
 *
 * Natmod rules (MicroPython 1.23 dynruntime): no initialised writable data, so
 * the type object and locals table are zero-initialised here and filled in
 * mpy_init(); no memset/memcpy (no struct copies or array initialisers).
 */
#include "py/dynruntime.h"
#include "py/objarray.h"

#include "pd_geom.h"
#include "pd_model.h"
#include "pd_oled.h"

/* dynruntime.h (1.23) does not name these two. */
#define mp_type_MemoryError (*(mp_obj_type_t *)(mp_load_global(MP_QSTR_MemoryError)))

/* ---- the Model type (filled in by mpy_init) ---------------------------------- */

mp_obj_full_type_t pipnet_model_type;
mp_map_elem_t pipnet_model_locals_table[6];
static MP_DEFINE_CONST_DICT(pipnet_model_locals, pipnet_model_locals_table);

typedef struct {
    mp_obj_base_t base;
    mp_obj_t blob;         /* the validated blob: immutable, kept alive here */
    mp_obj_t scratch;      /* bytearray(plan scratch bytes), allocated once */
    mp_obj_t row;          /* bytearray(out_w): the pixels handed to generate_rows callbacks */
    mp_obj_t row_view;     /* memoryview(row); its length is set to each segment's width */
    mp_obj_t image;        /* full plan: bytearray(out_h * out_w) for generate_rows; else None */
    uint8_t *scratch_buf;  /* scratch_size bytes, PD_SCRATCH_ALIGN-aligned */
    uint8_t *row_buf;      /* out_w bytes */
    uint8_t *image_buf;    /* out_h * out_w bytes or NULL */
    uint32_t scratch_size;
    uint32_t epoch;        /* bumped by every generation: detects another one during a callback */
    volatile uint32_t busy; /* 0 idle, BUSY_WHOLE in generate/generate_rows */
    volatile uint8_t in_part[PD_MAX_PARTS]; /* [part] 1 while a generate_part(part) runs */
    int32_t plan;          /* PD_PLAN_FULL or PD_PLAN_STREAM */
    pd_model_t m;
} model_obj_t;

/* ---- error messages -------------------------------------------------------------
 * Messages are built in a stack buffer and raised as a new str object (an
 * exception made from a const char * keeps the pointer, not the text). */

typedef struct {
    char buf[200];
    size_t n;
} msg_t;

static void msg_str(msg_t *m, const char *s) {
    while (*s && m->n < sizeof(m->buf)) {
        m->buf[m->n++] = *s++;
    }
}

static void msg_int(msg_t *m, mp_int_t v) {
    char digits[24];
    size_t k = 0;
    mp_uint_t u = v < 0 ? (mp_uint_t)0 - (mp_uint_t)v : (mp_uint_t)v;
    if (v < 0) {
        msg_str(m, "-");
    }
    do {
        digits[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u && k < sizeof(digits));
    while (k && m->n < sizeof(m->buf)) {
        m->buf[m->n++] = digits[--k];
    }
}

/* True when the heap can hold n more bytes now (False under micropython.heap_lock() or when
 * full): a message is built only then, else its exception would become a MemoryError. */
static bool heap_has_room(size_t n) {
    void *p = m_malloc(n);  /* dynruntime: NULL instead of raising */
    if (p == NULL) {
        return false;
    }
    m_free(p);
    return true;
}

/* Raise `type` with m's text, or with the static `alone` (a literal in the module's text: the
 * exception keeps the pointer) when the heap has no room for a new str. */
static NORETURN void msg_raise(msg_t *m, const mp_obj_type_t *type, const char *alone) {
    if (!heap_has_room(m->n + 128)) {  /* the str, its text, the exception and its args */
        mp_raise_msg(type, alone);
    }
    mp_raise_type_arg(type, mp_obj_new_str(m->buf, m->n));
}

#define TEXT_RANGE "an argument is out of range"
#define TEXT_INT "an argument must be an integer"
#define TEXT_SHORT "a buffer has the wrong length"

/* ValueError for a kernel status; `what` says which call failed. */
static NORETURN void raise_status(const char *what, int status, uint8_t layer) {
    msg_t m;
    m.n = 0;
    msg_str(&m, what);
    if (layer != 0xFF) {
        msg_str(&m, ": layer ");
        msg_int(&m, layer);
    }
    msg_str(&m, ": ");
    msg_str(&m, pd_status_message(status));
    msg_raise(&m, &mp_type_ValueError, pd_status_message(status));
}

static void msg_range(msg_t *m, mp_int_t lo, mp_int_t hi) {
    msg_str(m, " not in ");
    msg_int(m, lo);
    msg_str(m, "..");
    msg_int(m, hi);
}

static NORETURN void raise_range(const char *name, mp_int_t value, mp_int_t lo, mp_int_t hi) {
    msg_t m;
    m.n = 0;
    msg_str(&m, name);
    msg_str(&m, " ");
    msg_int(&m, value);
    msg_range(&m, lo, hi);
    msg_raise(&m, &mp_type_ValueError, TEXT_RANGE);
}

/* The same message for an int object of any size: its decimal text comes from str(o). */
static NORETURN void raise_range_obj(const char *name, mp_obj_t o, mp_int_t lo, mp_int_t hi) {
    msg_t m;
    size_t len;
    if (!heap_has_room(256)) {  /* str(o) below allocates */
        mp_raise_msg(&mp_type_ValueError, TEXT_RANGE);
    }
    mp_obj_t text = mp_call_function_n_kw(mp_load_global(MP_QSTR_str), 1, 0, &o);
    const char *digits = mp_obj_str_get_data(text, &len);
    m.n = 0;
    msg_str(&m, name);
    msg_str(&m, " ");
    for (size_t i = 0; i < len && m.n < sizeof(m.buf) - 40; i++) {  /* room left for the range */
        m.buf[m.n++] = digits[i];
    }
    msg_range(&m, lo, hi);
    msg_raise(&m, &mp_type_ValueError, TEXT_RANGE);
}

/* ---- argument helpers --------------------------------------------------------------- */

/* An int in lo..hi, checked on the Python object before any conversion: the dynruntime's
 * conversion truncates a big int to a machine word (2**64 + 1 would become 1), so an int
 * beyond a small int is compared as an object. TypeError for anything but an int (bool
 * included, as the Python backends do); ValueError "<name> <value> not in lo..hi". */
static mp_int_t int_in(mp_obj_t o, const char *name, mp_int_t lo, mp_int_t hi) {
    if (!mp_obj_is_small_int(o)) {
        if (!mp_obj_is_type(o, &mp_type_int)) {  /* bool, float, str, None, ...: not an int */
            msg_t m;
            m.n = 0;
            msg_str(&m, name);
            msg_str(&m, " must be an integer");
            msg_raise(&m, &mp_type_TypeError, TEXT_INT);
        }
        if (mp_binary_op(MP_BINARY_OP_LESS, o, mp_obj_new_int(lo)) == mp_const_true
            || mp_binary_op(MP_BINARY_OP_MORE, o, mp_obj_new_int(hi)) == mp_const_true) {
            raise_range_obj(name, o, lo, hi);
        }
    }
    mp_int_t v = mp_obj_get_int(o);  /* exact now: the value fits lo..hi */
    if (v < lo || v > hi) {
        raise_range(name, v, lo, hi);
    }
    return v;
}

/* A readable buffer of at least `need` bytes (exactly `need` when `exact`). */
static const uint8_t *read_buffer(mp_obj_t o, const char *name, size_t need, bool exact,
                                  mp_buffer_info_t *bi) {
    msg_t m;
    if (!mp_get_buffer(o, bi, MP_BUFFER_READ)) {
        m.n = 0;
        msg_str(&m, name);
        msg_str(&m, " must be a buffer (bytes, bytearray, array)");
        msg_raise(&m, &mp_type_TypeError, "an argument must be a buffer (bytes, bytearray, array)");
    }
    if (exact ? bi->len != need : bi->len < need) {
        m.n = 0;
        msg_str(&m, name);
        msg_str(&m, " holds ");
        msg_int(&m, (mp_int_t)bi->len);
        msg_str(&m, exact ? " bytes, the shape needs exactly " : " bytes, it needs at least ");
        msg_int(&m, (mp_int_t)need);
        msg_raise(&m, &mp_type_ValueError, TEXT_SHORT);
    }
    return (const uint8_t *)bi->buf;
}

/* A writable buffer of at least `need` bytes: TypeError if read-only, ValueError if short. */
static uint8_t *write_buffer_info(mp_obj_t o, const char *name, size_t need, mp_buffer_info_t *bip) {
    mp_buffer_info_t bi;
    msg_t m;
    if (!mp_get_buffer(o, &bi, MP_BUFFER_WRITE)) {
        m.n = 0;
        msg_str(&m, name);
        msg_str(&m, mp_get_buffer(o, &bi, MP_BUFFER_READ)
                ? " is read-only: pass a writable buffer such as a bytearray"
                : " must be a writable buffer such as a bytearray");
        msg_raise(&m, &mp_type_TypeError, "an argument must be a writable buffer such as a bytearray");
    }
    if (bi.len < need) {
        m.n = 0;
        msg_str(&m, name);
        msg_str(&m, " holds ");
        msg_int(&m, (mp_int_t)bi.len);
        msg_str(&m, " bytes, it needs at least ");
        msg_int(&m, (mp_int_t)need);
        msg_raise(&m, &mp_type_ValueError, TEXT_SHORT);
    }
    *bip = bi;
    return (uint8_t *)bi.buf;
}

static uint8_t *write_buffer(mp_obj_t o, const char *name, size_t need) {
    mp_buffer_info_t bi;
    return write_buffer_info(o, name, need, &bi);
}

static mp_obj_t new_bytearray(size_t n) {
    mp_obj_t arg = mp_obj_new_int((mp_int_t)n);
    return mp_call_function_n_kw(mp_load_global(MP_QSTR_bytearray), 1, 0, &arg);  /* MemoryError if no room */
}

static uint8_t *buffer_of(mp_obj_t o) {
    mp_buffer_info_t bi;
    mp_get_buffer_raise(o, &bi, MP_BUFFER_WRITE);
    return (uint8_t *)bi.buf;
}

/* ---- Model(blob, plan=STREAM) ---------------------------------------------------------- */

static mp_obj_t model_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 1, 3, true);
    mp_obj_t plan_obj = n_args > 1 ? args[1] : MP_OBJ_NEW_SMALL_INT(PD_PLAN_STREAM);
    mp_obj_t budget_obj = n_args > 2 ? args[2] : mp_const_none;
    for (size_t i = 0; i < n_kw; i++) {
        mp_obj_t key = args[n_args + 2 * i];
        if (key == MP_OBJ_NEW_QSTR(MP_QSTR_plan) && n_args < 2) {
            plan_obj = args[n_args + 2 * i + 1];
        } else if (key == MP_OBJ_NEW_QSTR(MP_QSTR_budget) && n_args < 3) {
            budget_obj = args[n_args + 2 * i + 1];
        } else {
            mp_raise_TypeError("Model() takes blob, plan and budget only");
        }
    }
    mp_int_t plan = int_in(plan_obj, "plan", PD_PLAN_FULL, PD_PLAN_STREAM);
    /* budget: the full plan only when its scratch fits these bytes, else the stream plan (the
     * blob is parsed once either way) */
    mp_int_t budget = budget_obj == mp_const_none ? -1 : int_in(budget_obj, "budget", 0, 0x7FFFFFFF);

    /* Keep an immutable blob: a bytearray could be changed or resized under the parsed model. */
    mp_obj_t blob = args[0];
    mp_buffer_info_t bi;
    if (!mp_get_buffer(blob, &bi, MP_BUFFER_READ)) {
        mp_raise_TypeError("blob must be bytes (or another buffer)");
    }
    if (mp_get_buffer(blob, &bi, MP_BUFFER_WRITE)) {
        blob = mp_obj_new_bytes((const byte *)bi.buf, bi.len);
        mp_get_buffer_raise(blob, &bi, MP_BUFFER_READ);
    }
    if (bi.len > PD_MAX_BLOB_SIZE) {
        raise_range("blob size", (mp_int_t)bi.len, 0, (mp_int_t)PD_MAX_BLOB_SIZE);
    }

    model_obj_t *self = (model_obj_t *)m_malloc(sizeof(model_obj_t));
    if (self == NULL) {
        mp_raise_msg(&mp_type_MemoryError, "no room for a pipnet.Model");
    }
    self->base.type = type;
    self->blob = blob;
    self->scratch = mp_const_none;
    self->row = mp_const_none;
    self->row_view = mp_const_none;
    self->image = mp_const_none;
    self->scratch_buf = NULL;
    self->row_buf = NULL;
    self->image_buf = NULL;
    self->epoch = 0;
    self->busy = 0;
    for (uint8_t i = 0; i < PD_MAX_PARTS; i++) {
        self->in_part[i] = 0;
    }
    self->plan = (int32_t)plan;

    int st = pd_model_parse(&self->m, (const uint8_t *)bi.buf, (uint32_t)bi.len);
    if (st != PD_OK) {
        raise_status("invalid blob", st, self->m.err_layer);
    }
    pd_plan_t info;
    st = pd_plan(&self->m, (int)plan, &info);
    if (st == PD_OK && plan == PD_PLAN_FULL && budget >= 0 && info.scratch_bytes > (uint32_t)budget) {
        plan = PD_PLAN_STREAM;
        self->plan = (int32_t)plan;
        st = pd_plan(&self->m, (int)plan, &info);
    }
    if (st != PD_OK) {
        raise_status("plan", st, 0xFF);
    }
    /* All the memory generation needs, allocated once, here. */
    self->scratch_size = info.scratch_bytes;
    self->scratch = new_bytearray(info.scratch_bytes ? info.scratch_bytes : PD_SCRATCH_ALIGN);
    self->scratch_buf = buffer_of(self->scratch);
    if ((uintptr_t)self->scratch_buf % PD_SCRATCH_ALIGN) {
        mp_raise_msg(&mp_type_MemoryError, "scratch is not aligned");
    }
    self->row = new_bytearray(self->m.out_w);
    self->row_buf = buffer_of(self->row);
    self->row_view = mp_call_function_n_kw(mp_load_global(MP_QSTR_memoryview), 1, 0, &self->row);
    if (plan == PD_PLAN_FULL) {
        self->image = new_bytearray((size_t)self->m.out_h * self->m.out_w);
        self->image_buf = buffer_of(self->image);
    }
    return MP_OBJ_FROM_PTR(self);
}

/* ---- one Model, one generation at a time --------------------------------------------------
 * A second thread (another core on the rp2 port, which has no GIL) generating with a Model that
 * is busy would share its scratch and make wrong images: it gets a RuntimeError instead. The
 * state is the Model's (natmod code has no static writable data): its `busy` word, and one
 * byte per generate_part index that only that part's caller writes. The cores of a two-core
 * image enter and leave together (at the same barrier), so they must never read-modify-write
 * one shared word: on Cortex-M0+ and rv32imc that is a compare and a store, and two cores
 * leaving at once would leave a count stuck and every later image refused. */

#define BUSY_WHOLE 0x80000000u

#if __GCC_ATOMIC_INT_LOCK_FREE == 2
static bool busy_swap(volatile uint32_t *w, uint32_t old, uint32_t new_value) {
    return __atomic_compare_exchange_n(w, &old, new_value, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}
#else
/* No atomic read-modify-write (Cortex-M0+, rv32imc): a compare and a store, so two cores
 * entering within the same few instructions could both pass; every later caller is refused. */
static bool busy_swap(volatile uint32_t *w, uint32_t old, uint32_t new_value) {
    if (*w != old) {
        return false;
    }
    *w = new_value;
    __asm__ volatile("" ::: "memory");
    return true;
}
#endif

static NORETURN void raise_busy(void) {
    mp_raise_msg(&mp_type_RuntimeError,
                 "this pipnet.Model is generating in another thread: give each thread its own Model");
}

static bool any_part(const model_obj_t *self) {
    for (uint8_t i = 0; i < PD_MAX_PARTS; i++) {
        if (self->in_part[i]) {
            return true;
        }
    }
    return false;
}

/* generate / generate_rows: the Model to itself, or RuntimeError. */
static void enter_whole(model_obj_t *self) {
    if (any_part(self) || !busy_swap(&self->busy, 0, BUSY_WHOLE)) {
        raise_busy();
    }
    self->epoch++;
}

static void leave_whole(model_obj_t *self) {
    busy_swap(&self->busy, BUSY_WHOLE, 0);
}

/* generate_part(part): that index to this caller (each of the `parts` callers has its own), or
 * RuntimeError when a whole generation or another caller of the same index holds it. */
static void enter_part(model_obj_t *self, uint8_t part) {
    if ((self->busy & BUSY_WHOLE) || self->in_part[part]) {
        raise_busy();
    }
    self->in_part[part] = 1;
    __asm__ volatile("" ::: "memory");
}

static void leave_part(model_obj_t *self, uint8_t part) {
    __asm__ volatile("" ::: "memory");
    self->in_part[part] = 0;
}

/* ---- generation ---------------------------------------------------------------------- */

static void check_face_angle(const model_obj_t *self, mp_obj_t face, mp_obj_t angle,
                             int32_t *face_out, int32_t *angle_out) {
    *face_out = (int32_t)int_in(face, "face", 1, self->m.n_faces);
    *angle_out = (int32_t)int_in(angle, "angle_code", -PD_ANGLE_CODE_MAX, PD_ANGLE_CODE_MAX);
}

typedef struct {
    uint8_t *out;
    uint8_t out_w;
} copy_ctx_t;

/* Stream plan into a whole image: each row segment goes to its place in out. */
static void copy_row(void *ctx, uint8_t row, uint8_t col0, uint8_t width, const uint8_t *pixels) {
    copy_ctx_t *c = (copy_ctx_t *)ctx;
    uint8_t *dst = c->out + (size_t)row * c->out_w + col0;
    for (uint8_t i = 0; i < width; i++) {
        dst[i] = pixels[i];
    }
}

/* Runs the model's plan into out (out_h * out_w bytes); the kernels' status. Allocates nothing. */
static int run_plan(model_obj_t *self, int32_t face, int32_t angle, uint8_t *out) {
    uint32_t n = (uint32_t)self->m.out_h * self->m.out_w;
    int st;
    if (self->plan == PD_PLAN_FULL) {
        st = pd_generate_full(&self->m, face, angle, self->scratch_buf, self->scratch_size, out, n);
    } else {
        copy_ctx_t ctx;
        ctx.out = out;
        ctx.out_w = self->m.out_w;
        st = pd_generate_stream(&self->m, face, angle, self->scratch_buf, self->scratch_size,
                                copy_row, &ctx);
    }
    return st;
}

/* Model.generate(face, angle_code, out) -> None */
static mp_obj_t model_generate(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    model_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    int32_t face, angle;
    check_face_angle(self, args[1], args[2], &face, &angle);
    uint8_t *out = write_buffer(args[3], "out", (size_t)self->m.out_h * self->m.out_w);
    enter_whole(self);
    int st = run_plan(self, face, angle, out);
    leave_whole(self);
    if (st != PD_OK) {
        raise_status("generate", st, 0xFF);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(model_generate_obj, 4, 4, model_generate);

/* Polls of the barrier before a part gives up on its partner (about 10 s on a Pico, under a
 * second on a desktop): a partner core that stopped must not hang the board forever. */
#define SPIN_LIMIT (1u << 28)

/* Model.generate_part(face, angle_code, out, part, parts, sync) -> None: part `part` of an
 * image computed by `parts` callers at once, one per core (full plan only), sharing this
 * model, out and sync (a bytearray(parts), zero at first and left alone between images).
 * Returns when the whole image is in out. Allocates nothing; reentrant. */
static mp_obj_t model_generate_part(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    model_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    int32_t face, angle;
    check_face_angle(self, args[1], args[2], &face, &angle);
    uint32_t n = (uint32_t)self->m.out_h * self->m.out_w;
    uint8_t *out = write_buffer(args[3], "out", n);
    mp_int_t parts = int_in(args[5], "parts", 1, PD_MAX_PARTS);
    mp_int_t part = int_in(args[4], "part", 0, parts - 1);
    uint8_t *sync = write_buffer(args[6], "sync", (size_t)parts);
    if (self->plan != PD_PLAN_FULL) {
        mp_raise_ValueError("generate_part needs the full plan: Model(blob, pipnet.FULL)");
    }
    if (sync < out + n && out < sync + parts) {  /* the cores' counters would be image bytes */
        mp_raise_ValueError("sync overlaps out: pass its own bytearray(parts)");
    }
    enter_part(self, (uint8_t)part);
    int st = pd_generate_full_part(&self->m, face, angle, self->scratch_buf, self->scratch_size, out, n,
                                   (uint8_t)part, (uint8_t)parts, sync, SPIN_LIMIT);
    leave_part(self, (uint8_t)part);
    if (st == PD_ERR_SYNC) {
        mp_raise_msg(&mp_type_RuntimeError, "generate_part: another core did not reach the barrier");
    }
    if (st != PD_OK) {
        raise_status("generate_part", st, 0xFF);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(model_generate_part_obj, 7, 7, model_generate_part);

typedef struct {
    model_obj_t *self;
    mp_obj_t callback;
    uint32_t epoch;
} rows_ctx_t;

/* Hands one row segment to the Python callback through the preallocated row view. The Model is
 * not held during the callback (an exception there must not leave it busy): a generation that
 * ran meanwhile, from the callback or another thread, is seen by its epoch. */
static void call_row(void *ctx, uint8_t row, uint8_t col0, uint8_t width, const uint8_t *pixels) {
    rows_ctx_t *c = (rows_ctx_t *)ctx;
    model_obj_t *self = c->self;
    for (uint8_t i = 0; i < width; i++) {
        self->row_buf[i] = pixels[i];
    }
    ((mp_obj_array_t *)MP_OBJ_TO_PTR(self->row_view))->len = width;
    mp_obj_t a[3];
    a[0] = MP_OBJ_NEW_SMALL_INT(row);
    a[1] = MP_OBJ_NEW_SMALL_INT(col0);
    a[2] = self->row_view;
    leave_whole(self);
    mp_call_function_n_kw(c->callback, 3, 0, a);
    if (!busy_swap(&self->busy, 0, BUSY_WHOLE)) {
        raise_busy();
    }
    if (self->epoch != c->epoch) {
        /* Another generation ran: our scratch (and row) now hold its state. */
        leave_whole(self);
        mp_raise_msg(&mp_type_RuntimeError,
                     "the model was used inside its own generate_rows callback or by another thread");
    }
}

/* Model.generate_rows(face, angle_code, callback) -> None */
static mp_obj_t model_generate_rows(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    model_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    int32_t face, angle;
    check_face_angle(self, args[1], args[2], &face, &angle);
    if (!MP_OBJ_TYPE_HAS_SLOT(mp_obj_get_type(args[3]), call)) {
        mp_raise_TypeError("callback must be callable as callback(row, col0, pixels)");
    }
    rows_ctx_t ctx;
    ctx.self = self;
    ctx.callback = args[3];
    enter_whole(self);
    ctx.epoch = self->epoch;
    int st;
    if (self->plan == PD_PLAN_FULL) {
        st = run_plan(self, face, angle, self->image_buf);
        for (uint8_t y = 0; st == PD_OK && y < self->m.out_h; y++) {
            call_row(&ctx, y, 0, self->m.out_w, self->image_buf + (size_t)y * self->m.out_w);
        }
    } else {
        st = pd_generate_stream(&self->m, face, angle, self->scratch_buf, self->scratch_size,
                                call_row, &ctx);
    }
    leave_whole(self);
    if (st != PD_OK) {
        raise_status("generate_rows", st, 0xFF);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(model_generate_rows_obj, 4, 4, model_generate_rows);

/* ---- Model.info() ------------------------------------------------------------------------ */

static void store(mp_obj_t dict, qstr key, mp_obj_t value) {
    mp_obj_dict_store(dict, MP_OBJ_NEW_QSTR(key), value);
}

static mp_obj_t plan_dict(const pd_model_t *m, int kind) {
    pd_plan_t p;
    int st = pd_plan(m, kind, &p);
    if (st != PD_OK) {
        raise_status("plan", st, 0xFF);
    }
    mp_obj_t d = mp_obj_new_dict(4);
    store(d, MP_QSTR_scratch, mp_obj_new_int_from_uint(p.scratch_bytes));
    store(d, MP_QSTR_macs, mp_obj_new_int_from_uint(p.macs));
    store(d, MP_QSTR_strips, MP_OBJ_NEW_SMALL_INT(p.strips));
    store(d, MP_QSTR_strip_w, MP_OBJ_NEW_SMALL_INT(p.strip_w));
    return d;
}

static mp_obj_t model_info(mp_obj_t self_in) {
    model_obj_t *self = MP_OBJ_TO_PTR(self_in);
    mp_uint_t params = 0;
    for (uint8_t i = 0; i < self->m.n_layers; i++) {
        pd_layer_t l;
        int st = pd_model_layer(&self->m, i, &l);
        if (st != PD_OK) {
            raise_status("info", st, i);
        }
        mp_uint_t n_ch = l.kind == PD_KIND_FC ? (mp_uint_t)l.out_c * l.out_h * l.out_w : l.out_c;
        mp_uint_t taps = l.kind == PD_KIND_FC ? 1 : (mp_uint_t)l.kernel * l.kernel;
        params += n_ch * taps * l.in_c + n_ch;  /* weights plus one bias per channel */
    }
    mp_obj_t d = mp_obj_new_dict(10);
    store(d, MP_QSTR_layers, MP_OBJ_NEW_SMALL_INT(self->m.n_layers));
    store(d, MP_QSTR_params, mp_obj_new_int_from_uint(params));
    store(d, MP_QSTR_faces, MP_OBJ_NEW_SMALL_INT(self->m.n_faces));
    mp_obj_t shape[2];
    shape[0] = MP_OBJ_NEW_SMALL_INT(self->m.out_h);
    shape[1] = MP_OBJ_NEW_SMALL_INT(self->m.out_w);
    store(d, MP_QSTR_image, mp_obj_new_tuple(2, shape));
    store(d, MP_QSTR_plan, self->plan == PD_PLAN_FULL ? mp_obj_new_str("full", 4) : mp_obj_new_str("stream", 6));
    store(d, MP_QSTR_backend, mp_obj_new_str("natmod", 6));
    mp_obj_t full = plan_dict(&self->m, PD_PLAN_FULL);
    mp_obj_t stream = plan_dict(&self->m, PD_PLAN_STREAM);
    store(d, MP_QSTR_full, full);
    store(d, MP_QSTR_stream, stream);
    /* this Model's plan, as the fallbacks report theirs */
    mp_obj_t mine = self->plan == PD_PLAN_FULL ? full : stream;
    store(d, MP_QSTR_macs, mp_obj_subscr(mine, MP_OBJ_NEW_QSTR(MP_QSTR_macs), MP_OBJ_SENTINEL));
    store(d, MP_QSTR_scratch, mp_obj_new_int_from_uint(self->scratch_size));
    return d;
}
static MP_DEFINE_CONST_FUN_OBJ_1(model_info_obj, model_info);

/* ---- low-level kernels on caller buffers ----------------------------------------------- */

/* (C, H, W) from a tuple or list of three ints (bytes: pd_layer_check judges the shape). */
static void get_shape(mp_obj_t o, const char *name, uint8_t chw[3]) {
    size_t n;
    mp_obj_t *items;
    mp_obj_get_array(o, &n, &items);  /* TypeError unless tuple/list */
    if (n != 3) {
        msg_t m;
        m.n = 0;
        msg_str(&m, name);
        msg_str(&m, " must be a (C, H, W) tuple");
        msg_raise(&m, &mp_type_ValueError, "a shape must be a (C, H, W) tuple");
    }
    chw[0] = (uint8_t)int_in(items[0], "channels", 0, 255);
    chw[1] = (uint8_t)int_in(items[1], "height", 0, 255);
    chw[2] = (uint8_t)int_in(items[2], "width", 0, 255);
}

/* ValueError unless the kernel library's check passes (the blob parser's checks, same texts). */
static void check_layer(int status) {
    if (status != PD_OK) {
        raise_status("invalid layer", status, 0xFF);
    }
}

/* One layer on whole tensors. a: x, x_shape (NULL for fc), y, y_shape, w, bias, mult, shift,
 * then kernel, stride, padding, output_padding as available for the kind. The binding
 * converts the arguments; pd_layer_check and pd_layer_check_values judge the layer. */
static mp_obj_t run_layer(int kind, mp_obj_t x_obj, mp_obj_t x_shape, mp_obj_t y_obj, mp_obj_t y_shape,
                          const mp_obj_t *q, const mp_obj_t *geo, size_t n_geo) {
    pd_layer_t L;
    uint8_t in[3], out[3];
    mp_buffer_info_t xb, wb, bb, mb, sb;
    if (!mp_get_buffer(x_obj, &xb, MP_BUFFER_READ)) {
        mp_raise_TypeError("x must be a buffer (bytes, bytearray, array)");
    }
    if (kind == PD_KIND_FC) {
        in[0] = (uint8_t)(xb.len > 255 ? 0 : xb.len);  /* 0 (none, or too many): an in_c out of range */
        in[1] = in[2] = 1;
    } else {
        get_shape(x_shape, "x_shape", in);
    }
    get_shape(y_shape, "y_shape", out);
    L.kind = (uint8_t)kind;
    L.in_c = in[0];
    L.in_h = in[1];
    L.in_w = in[2];
    L.out_c = out[0];
    L.out_h = out[1];
    L.out_w = out[2];
    L.kernel = 1;
    L.stride = 1;
    L.padding = 0;
    L.output_padding = 0;
    if (kind != PD_KIND_FC) {
        L.kernel = (uint8_t)int_in(geo[0], "kernel", 0, 255);
        L.stride = (uint8_t)int_in(geo[1], "stride", 0, 255);
        L.padding = (uint8_t)int_in(geo[2], "padding", 0, 255);
        if (n_geo > 3) {
            L.output_padding = (uint8_t)int_in(geo[3], "output_padding", 0, 255);
        }
    }
    check_layer(pd_layer_check(&L));
    L.in_signed = xb.typecode == 'b';  /* array('b'): int8 input, like the first layer */
    size_t n_ch = pd_layer_channels(&L), n_w = pd_layer_weight_bytes(&L);
    read_buffer(x_obj, "x", (size_t)L.in_c * L.in_h * L.in_w, false, &xb);
    uint8_t *y = write_buffer(y_obj, "y", (size_t)L.out_c * L.out_h * L.out_w);
    L.weights = read_buffer(q[0], "w", n_w, true, &wb);
    L.bias = read_buffer(q[1], "bias", 4 * n_ch, true, &bb);
    L.mult = read_buffer(q[2], "mult", 2 * n_ch, true, &mb);
    L.shift = read_buffer(q[3], "shift", n_ch, true, &sb);
    check_layer(pd_layer_check_values(&L));

    pd_window_t win, wout;
    win.data = (uint8_t *)xb.buf;
    win.ring = L.in_h;
    win.x0 = 0;
    win.w = L.in_w;
    win.c = L.in_c;
    wout.data = y;
    wout.ring = L.out_h;
    wout.x0 = 0;
    wout.w = L.out_w;
    wout.c = L.out_c;
    pd_rect_t rect;
    rect.y0 = 0;
    rect.y1 = L.out_h;
    rect.x0 = 0;
    rect.x1 = L.out_w;
    int st = pd_layer_run(&L, &win, &wout, &rect);
    if (st != PD_OK) {
        raise_status("kernel", st, 0xFF);
    }
    return mp_const_none;
}

/* fc(x, y, y_shape, w, bias, mult, shift) */
static mp_obj_t pipnet_fc(size_t n_args, const mp_obj_t *a) {
    (void)n_args;
    return run_layer(PD_KIND_FC, a[0], mp_const_none, a[1], a[2], a + 3, NULL, 0);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(pipnet_fc_obj, 7, 7, pipnet_fc);

/* convt(x, x_shape, y, y_shape, w, bias, mult, shift, kernel, stride, padding, output_padding) */
static mp_obj_t pipnet_convt(size_t n_args, const mp_obj_t *a) {
    (void)n_args;
    return run_layer(PD_KIND_CONVT, a[0], a[1], a[2], a[3], a + 4, a + 8, 4);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(pipnet_convt_obj, 12, 12, pipnet_convt);

/* conv(x, x_shape, y, y_shape, w, bias, mult, shift, kernel, stride, padding) */
static mp_obj_t pipnet_conv(size_t n_args, const mp_obj_t *a) {
    (void)n_args;
    return run_layer(PD_KIND_CONV, a[0], a[1], a[2], a[3], a + 4, a + 8, 3);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(pipnet_conv_obj, 11, 11, pipnet_conv);

/* ---- the die window on the display (kernels/pd_oled.c; device/pdview.py defines it) ------ */

/* ValueError unless the window fits the page buffer (pdview's message). */
static mp_obj_t oled_result(int32_t changed) {
    if (changed < 0) {
        mp_raise_ValueError("the window does not fit the buffer");
    }
    return MP_OBJ_NEW_SMALL_INT(changed);
}

/* render_die(img, out, off, stride, scale=2, mode=0, threshold=128) -> bytes changed */
static mp_obj_t pipnet_render_die(size_t n_args, const mp_obj_t *a) {
    mp_buffer_info_t ib;
    mp_int_t scale = n_args > 4 ? int_in(a[4], "scale", 1, PD_OLED_MAX_SCALE) : 2;
    mp_int_t mode = n_args > 5 ? int_in(a[5], "mode", PD_OLED_THRESHOLD, PD_OLED_BAYER) : PD_OLED_THRESHOLD;
    mp_int_t threshold = n_args > 6 ? int_in(a[6], "threshold", 0, 256) : 128;
    const uint8_t *img = read_buffer(a[0], "img", PD_OUT_H * PD_OUT_W, true, &ib);
    mp_buffer_info_t ob;
    uint8_t *out = write_buffer_info(a[1], "out", 0, &ob);
    mp_int_t off = int_in(a[2], "off", 0, 0x7FFFFFFF);
    mp_int_t stride = int_in(a[3], "stride", (mp_int_t)PD_OUT_W * scale, 0x7FFFFFFF);
    return oled_result(pd_oled_die(img, out, (uint32_t)ob.len, (uint32_t)off, (uint32_t)stride,
                                   (uint8_t)scale, (uint8_t)mode, (uint16_t)threshold));
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(pipnet_render_die_obj, 4, 7, pipnet_render_die);

/* render_digit(d, out, off, stride, scale=1) -> bytes changed */
static mp_obj_t pipnet_render_digit(size_t n_args, const mp_obj_t *a) {
    mp_buffer_info_t ob;
    mp_int_t d = int_in(a[0], "digit", 0, 9);
    uint8_t *out = write_buffer_info(a[1], "out", 0, &ob);
    mp_int_t off = int_in(a[2], "off", 0, 0x7FFFFFFF);
    mp_int_t stride = int_in(a[3], "stride", 0, 0x7FFFFFFF);
    mp_int_t scale = n_args > 4 ? int_in(a[4], "digit scale", 1, 2) : 1;
    return oled_result(pd_oled_digit((uint8_t)d, out, (uint32_t)ob.len, (uint32_t)off, (uint32_t)stride,
                                     (uint8_t)scale));
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(pipnet_render_digit_obj, 4, 5, pipnet_render_digit);

/* clear_box(out, off, stride, w, pages) -> bytes changed */
static mp_obj_t pipnet_clear_box(size_t n_args, const mp_obj_t *a) {
    (void)n_args;
    mp_buffer_info_t ob;
    uint8_t *out = write_buffer_info(a[0], "out", 0, &ob);
    mp_int_t off = int_in(a[1], "off", 0, 0x7FFFFFFF);
    mp_int_t stride = int_in(a[2], "stride", 0, 0x7FFFFFFF);
    mp_int_t w = int_in(a[3], "w", 0, 0x7FFFFFFF);
    mp_int_t pages = int_in(a[4], "pages", 0, 0x7FFFFFFF);
    return oled_result(pd_oled_clear(out, (uint32_t)ob.len, (uint32_t)off, (uint32_t)stride, (uint32_t)w,
                                     (uint32_t)pages));
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(pipnet_clear_box_obj, 5, 5, pipnet_clear_box);

/* i2c_words(words, at, parts) -> at + bytes: the bytes of `parts` (a buffer, or a list or tuple of
 * them) as RP2040 IC_DATA_CMD halfwords in array('H') `words` from index `at`, STOP (bit 9) on the
 * last: one I2C write transaction for a DMA channel (device/pdi2c_dma.py). Allocates nothing. */
static mp_obj_t pipnet_i2c_words(mp_obj_t words_obj, mp_obj_t at_obj, mp_obj_t parts) {
    mp_buffer_info_t wb, pb;
    if (!mp_get_buffer(words_obj, &wb, MP_BUFFER_WRITE) || wb.typecode != 'H') {
        mp_raise_TypeError("words must be an array('H')");
    }
    uint32_t cap = (uint32_t)(wb.len / 2);
    mp_int_t at = int_in(at_obj, "at", 0, (mp_int_t)cap);
    size_t n_parts = 1;
    mp_obj_t *items = &parts;
    if (mp_obj_is_type(parts, &mp_type_list) || mp_obj_is_type(parts, &mp_type_tuple)) {
        mp_obj_get_array(parts, &n_parts, &items);
    }
    int32_t end = (int32_t)at;
    for (size_t i = 0; i < n_parts; i++) {
        read_buffer(items[i], "part", 0, false, &pb);
        end = pd_oled_i2c_words((uint16_t *)wb.buf, cap, (uint32_t)end, (const uint8_t *)pb.buf, (uint32_t)pb.len);
        if (end < 0) {
            mp_raise_ValueError("the transaction does not fit the words");
        }
    }
    if (end > at) {
        ((uint16_t *)wb.buf)[end - 1] |= PD_I2C_STOP;
    }
    return MP_OBJ_NEW_SMALL_INT(end);
}
static MP_DEFINE_CONST_FUN_OBJ_3(pipnet_i2c_words_obj, pipnet_i2c_words);

/* ---- module init ---------------------------------------------------------------------- */

/* Called by mpy_init (pipnet_entry.c) with the module's globals in place. */
void pipnet_register(void);
void pipnet_register(void) {
    pipnet_model_type.base.type = (void *)&mp_type_type;
    pipnet_model_type.flags = MP_TYPE_FLAG_NONE;
    pipnet_model_type.name = MP_QSTR_Model;
    MP_OBJ_TYPE_SET_SLOT(&pipnet_model_type, make_new, model_make_new, 0);
    pipnet_model_locals_table[0] = (mp_map_elem_t){ MP_OBJ_NEW_QSTR(MP_QSTR_generate), MP_OBJ_FROM_PTR(&model_generate_obj) };
    pipnet_model_locals_table[1] = (mp_map_elem_t){ MP_OBJ_NEW_QSTR(MP_QSTR_generate_rows), MP_OBJ_FROM_PTR(&model_generate_rows_obj) };
    pipnet_model_locals_table[2] = (mp_map_elem_t){ MP_OBJ_NEW_QSTR(MP_QSTR_info), MP_OBJ_FROM_PTR(&model_info_obj) };
    pipnet_model_locals_table[3] = (mp_map_elem_t){ MP_OBJ_NEW_QSTR(MP_QSTR_FULL), MP_OBJ_NEW_SMALL_INT(PD_PLAN_FULL) };
    pipnet_model_locals_table[4] = (mp_map_elem_t){ MP_OBJ_NEW_QSTR(MP_QSTR_STREAM), MP_OBJ_NEW_SMALL_INT(PD_PLAN_STREAM) };
    pipnet_model_locals_table[5] = (mp_map_elem_t){ MP_OBJ_NEW_QSTR(MP_QSTR_generate_part), MP_OBJ_FROM_PTR(&model_generate_part_obj) };
    MP_OBJ_TYPE_SET_SLOT(&pipnet_model_type, locals_dict, (void *)&pipnet_model_locals, 1);

    mp_store_global(MP_QSTR_Model, MP_OBJ_FROM_PTR(&pipnet_model_type));
    mp_store_global(MP_QSTR_fc, MP_OBJ_FROM_PTR(&pipnet_fc_obj));
    mp_store_global(MP_QSTR_convt, MP_OBJ_FROM_PTR(&pipnet_convt_obj));
    mp_store_global(MP_QSTR_conv, MP_OBJ_FROM_PTR(&pipnet_conv_obj));
    mp_store_global(MP_QSTR_render_die, MP_OBJ_FROM_PTR(&pipnet_render_die_obj));
    mp_store_global(MP_QSTR_render_digit, MP_OBJ_FROM_PTR(&pipnet_render_digit_obj));
    mp_store_global(MP_QSTR_clear_box, MP_OBJ_FROM_PTR(&pipnet_clear_box_obj));
    mp_store_global(MP_QSTR_i2c_words, MP_OBJ_FROM_PTR(&pipnet_i2c_words_obj));
    mp_store_global(MP_QSTR_FULL, MP_OBJ_NEW_SMALL_INT(PD_PLAN_FULL));
    mp_store_global(MP_QSTR_STREAM, MP_OBJ_NEW_SMALL_INT(PD_PLAN_STREAM));
}
