/* pipdream kernels: the public C API (blob parser, kernels, executor, plan).
 *
 * Portable C99: no allocation, no writable static data, no libc calls
 * (memset/memcpy included), explicit integer widths (int is 16 bits on AVR).
 * Every byte of a blob is read through the PD_RD* accessors (pd_access.h), so
 * the blob may live in AVR flash. docs/kernels.md explains the design;
 * docs/arithmetic.md and host/pipdream/reference.py define the arithmetic.
 *
 *   pd_model_t m;
 *   int st = pd_model_parse(&m, blob, blob_len);      // same checks as reader.py
 *   if (st != PD_OK) puts(pd_status_message(st));
 *   pd_plan_t p; pd_plan(&m, PD_PLAN_STREAM, &p);     // p.scratch_bytes, p.macs
 *   pd_generate_stream(&m, face, angle_code, scratch, p.scratch_bytes, on_row, ctx);
 */
#ifndef PD_MODEL_H
#define PD_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "pd_format.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status codes ----------------------------------------------------------
 * One code per check of host/pipdream/blob/reader.py, in the reader's order,
 * then the runtime argument checks. pd_status_message() gives the text. */
enum {
    PD_OK = 0,
    /* header (reader._header) */
    PD_ERR_HEADER_TRUNCATED,  /* fewer bytes than the header */
    PD_ERR_MAGIC,             /* H1 */
    PD_ERR_VERSION,           /* H2 */
    PD_ERR_HEADER_SIZE,       /* H3 */
    PD_ERR_TOTAL_SIZE_MAX,    /* H4 over PD_MAX_BLOB_SIZE */
    PD_ERR_TOTAL_SIZE,        /* H4 != the actual length */
    PD_ERR_CRC,               /* H5 */
    PD_ERR_N_FACES,           /* H6 */
    PD_ERR_LATENT_SIZE,       /* H7 */
    PD_ERR_OUT_H,             /* H8 */
    PD_ERR_OUT_W,             /* H9 */
    PD_ERR_OUT_C,             /* H10 */
    PD_ERR_N_LAYERS,          /* H11 */
    PD_ERR_LAYER_SIZE,        /* H12 */
    PD_ERR_FLAGS,             /* H13 */
    PD_ERR_RESERVED,          /* H14 */
    PD_ERR_TABLE_TRUNCATED,   /* the layer table runs past the blob */
    /* layer table entries (reader._layer), m->err_layer names the layer */
    PD_ERR_L_KIND,            /* L1 */
    PD_ERR_L_ACT,             /* L2 */
    PD_ERR_L_IN_C,            /* L3 */
    PD_ERR_L_OUT_C,           /* L4 */
    PD_ERR_L_IN_H,            /* L5 */
    PD_ERR_L_IN_W,            /* L6 */
    PD_ERR_L_OUT_H,           /* L7 */
    PD_ERR_L_OUT_W,           /* L8 */
    PD_ERR_L_FC_INPUT,        /* a dense layer's input is not 1x1 */
    PD_ERR_L_FC_GEOMETRY,     /* a dense layer's kernel/stride/padding/output_padding */
    PD_ERR_L_FC_OUT,          /* a dense layer's outputs over PD_MAX_FC_OUT */
    PD_ERR_L_KERNEL,          /* L9 */
    PD_ERR_L_STRIDE,          /* L10 */
    PD_ERR_L_PADDING,         /* L11 */
    PD_ERR_L_OUTPUT_PADDING,  /* L12 */
    PD_ERR_L_OUT_H_SHAPE,     /* out_h does not follow from in_h */
    PD_ERR_L_OUT_W_SHAPE,     /* out_w does not follow from in_w */
    PD_ERR_L_IN_TYPE,         /* L13 */
    PD_ERR_L_W_LAYOUT,        /* L14 */
    PD_ERR_L_RESERVED,        /* L15 */
    PD_ERR_L_CHAIN,           /* input shape is not the previous output */
    PD_ERR_L_W_SIZE,          /* L16-L17 weights: size, alignment, bounds */
    PD_ERR_L_W_ALIGN,
    PD_ERR_L_W_BOUNDS,
    PD_ERR_L_B_SIZE,          /* L18-L19 biases */
    PD_ERR_L_B_ALIGN,
    PD_ERR_L_B_BOUNDS,
    PD_ERR_L_M_SIZE,          /* L20-L21 multipliers */
    PD_ERR_L_M_ALIGN,
    PD_ERR_L_M_BOUNDS,
    PD_ERR_L_S_SIZE,          /* L22-L23 shifts */
    PD_ERR_L_S_ALIGN,
    PD_ERR_L_S_BOUNDS,
    PD_ERR_L_W_VALUE,         /* a weight is -128 */
    PD_ERR_L_B_VALUE,         /* |bias| > PD_MAX_BIAS */
    PD_ERR_L_M_VALUE,         /* multiplier < PD_MULT_MIN */
    PD_ERR_L_S_VALUE,         /* shift > PD_MAX_SHIFT */
    PD_ERR_OUTPUT_SHAPE,      /* the last layer's output is not the declared image */
    /* runtime arguments */
    PD_ERR_FACE,              /* face not in 1..n_faces */
    PD_ERR_ANGLE,             /* angle code not in -127..127 */
    PD_ERR_SCRATCH_SIZE,      /* scratch smaller than pd_plan() says */
    PD_ERR_SCRATCH_ALIGN,     /* scratch not PD_SCRATCH_ALIGN-aligned */
    PD_ERR_OUT_SIZE,          /* output buffer smaller than the image */
    PD_ERR_PLAN_KIND,         /* unknown plan kind */
    PD_ERR_LAYER_INDEX,       /* layer index out of range */
    PD_ERR_RECT,              /* kernel output rectangle outside the output */
    PD_ERR_IN_WINDOW,         /* kernel input window misses needed rows/columns */
    PD_ERR_OUT_WINDOW,        /* kernel output window cannot hold the rectangle */
    PD_ERR_NO_MODEL,          /* the model was not parsed successfully */
    PD_ERR_CALLBACK,          /* no row callback given */
    PD_ERR_PART,              /* part not in 0..parts-1, or parts not in 1..PD_MAX_PARTS */
    PD_ERR_SYNC,              /* another part did not reach the barrier (it stopped, or never ran) */
    PD_N_STATUS
};

/* Text for a status code (a string literal; unknown codes get a generic text). */
const char *pd_status_message(int status);

/* ---- model ------------------------------------------------------------------ */

/* A parsed blob: a handful of bytes (the AVR has 2 KB of SRAM). Layer fields
 * are read from the validated blob on demand with pd_model_layer(). */
typedef struct {
    const uint8_t *blob;  /* the blob itself (flash on AVR) */
    uint32_t size;        /* its length in bytes */
    uint8_t n_layers;
    uint8_t n_faces;
    uint8_t out_h, out_w; /* the image (one channel) */
    uint8_t fold;         /* PD_FLAG_MIRROR_FOLD: the executor folds the angle (docs/arithmetic.md) */
    uint8_t err_layer;    /* after a failed parse: the layer at fault, 0xFF for the header */
} pd_model_t;

/* Validate `blob` (the exact checks of reader.py, in its order); PD_OK or the
 * first failing check. The blob must stay alive and unchanged while m is used. */
int pd_model_parse(pd_model_t *m, const uint8_t *blob, uint32_t size);

/* CRC32 (zlib polynomial) of a blob, skipping its crc field. */
uint32_t pd_blob_crc(const uint8_t *blob, uint32_t size);

/* One layer, read from a validated blob: dims, params and quant params, with
 * pointers into the blob for the weights and the requantization arrays. The
 * low-level kernel calls take the same struct filled by hand (the arrays then
 * use the blob's byte formats: int8 weights OHWI, int32 LE biases, uint16 LE
 * multipliers, uint8 shifts). */
typedef struct {
    uint8_t kind;                        /* PD_KIND_* */
    uint8_t in_c, in_h, in_w;            /* input dims (HWC) */
    uint8_t out_c, out_h, out_w;         /* output dims */
    uint8_t kernel, stride, padding, output_padding;
    uint8_t in_signed;                   /* 1: int8 input (the first layer), 0: uint8 */
    const uint8_t *weights;              /* int8 [out_c][k][k][in_c]; fc [out_h*out_w*out_c][in_c] */
    const uint8_t *bias;                 /* int32 LE, one per channel (fc: per output value) */
    const uint8_t *mult;                 /* uint16 LE */
    const uint8_t *shift;                /* uint8 */
} pd_layer_t;

int pd_model_layer(const pd_model_t *m, uint8_t index, pd_layer_t *layer);

/* ---- kernels -----------------------------------------------------------------
 * All alike: int pd_<op>(layer, in, out, rect). They compute output rows
 * [y0, y1) and columns [x0, x1) from a row window of the input, need no
 * scratch, accumulate in int32 and requantize exactly as reference.requantize. */

/* A window on an HWC activation: `ring` row slots (row y lives in slot
 * y % ring), each holding columns [x0, x0 + w) of c channels: data is
 * ring * w * c bytes. A whole tensor is ring = h, x0 = 0, w = width. */
typedef struct {
    uint8_t *data;
    uint8_t ring;
    uint8_t x0;
    uint8_t w;
    uint8_t c;
} pd_window_t;

typedef struct {
    uint8_t y0, y1;  /* output rows [y0, y1) */
    uint8_t x0, x1;  /* output columns [x0, x1) */
} pd_rect_t;

int pd_fc(const pd_layer_t *layer, const pd_window_t *in, const pd_window_t *out, const pd_rect_t *rect);
int pd_convt(const pd_layer_t *layer, const pd_window_t *in, const pd_window_t *out, const pd_rect_t *rect);
int pd_conv(const pd_layer_t *layer, const pd_window_t *in, const pd_window_t *out, const pd_rect_t *rect);
/* Accumulating variants (the streaming plan's last layer): add the taps that
 * read input row `iy` (in its ring slot) to acc[(x - rect.x0) * out_c + c]
 * for the single output row rect.y0 and columns [rect.x0, rect.x1). */
int pd_conv_acc(const pd_layer_t *layer, const pd_window_t *in, const pd_rect_t *rect, uint8_t iy, int32_t *acc);
int pd_convt_acc(const pd_layer_t *layer, const pd_window_t *in, const pd_rect_t *rect, uint8_t iy, int32_t *acc);
/* Dispatch on layer->kind. Every build links one variant of the convolutions
 * behind these names; pd_dispatch.h says which. */
int pd_layer_run(const pd_layer_t *layer, const pd_window_t *in, const pd_window_t *out,
                 const pd_rect_t *rect);

/* ---- executor and plans ---------------------------------------------------------- */

enum { PD_PLAN_FULL = 0, PD_PLAN_STREAM = 1 };

/* Scratch buffers must be aligned to this many bytes. */
#define PD_SCRATCH_ALIGN 4
/* The streaming plan uses the fewest column strips whose scratch fits in this
 * many bytes (else the strip count with the least scratch); plan.py mirrors it.
 * Its last layer either keeps a ring of input rows or, when smaller, takes its
 * input one row at a time into int32 accumulator rows (docs/kernels.md). */
#ifndef PD_STREAM_TARGET_BYTES /* tests build with small targets to force many strips */
#define PD_STREAM_TARGET_BYTES 1536UL
#endif

typedef struct {
    uint32_t scratch_bytes;  /* caller scratch the plan needs */
    uint32_t macs;           /* multiply-accumulates per image */
    uint8_t strips;          /* column strips of the output (1 for the full plan) */
    uint8_t strip_w;         /* columns of the widest strip */
    uint8_t acc_rows;        /* streaming: int32 accumulator rows of the last layer (0: none) */
} pd_plan_t;

typedef struct {
    uint32_t bytes;          /* scratch holding this layer's input (ring or buffer) */
    uint32_t macs;           /* this layer's share of pd_plan_t.macs */
    uint8_t ring_rows;       /* input rows kept */
    uint8_t win_w;           /* input columns kept (the widest strip's window) */
    uint8_t rows;            /* output rows computed per strip */
} pd_plan_layer_t;

int pd_plan(const pd_model_t *m, int kind, pd_plan_t *info);
int pd_plan_layer(const pd_model_t *m, int kind, uint8_t index, pd_plan_layer_t *info);

/* Layer by layer, ping-pong at both ends of scratch; writes out_h*out_w bytes to out. */
int pd_generate_full(const pd_model_t *m, int32_t face, int32_t angle_code, uint8_t *scratch,
                     uint32_t scratch_size, uint8_t *out, uint32_t out_size);

/* The full plan in steps, for a frame split between cores (or timed core by core):
 * pd_full_begin checks the arguments and writes layer 0's input into scratch; then, for
 * each layer j in order, pd_full_layer computes part `part` of `parts` near-equal shares of
 * its output rows (0 of 1: all of them), reading the whole of layer j - 1's output. The
 * parts of one layer may run at the same time; a layer must be complete before the next.
 * Every call of one image takes the same scratch and scratch_size (checked by begin). */
#define PD_MAX_PARTS 4
int pd_full_begin(const pd_model_t *m, int32_t face, int32_t angle_code, uint8_t *scratch,
                  uint32_t scratch_size, uint32_t out_size);
int pd_full_layer(const pd_model_t *m, uint8_t j, uint8_t *scratch, uint32_t scratch_size, uint8_t *out,
                  uint8_t part, uint8_t parts);
/* After the last layer: mirrors part `part`'s output rows when the blob's mirror fold says
 * so for (face, angle_code) (docs/arithmetic.md). Every other plan applies the fold itself. */
void pd_full_end(const pd_model_t *m, int32_t face, int32_t angle_code, uint8_t *out, uint8_t part,
                 uint8_t parts);

/* One part of a full-plan image computed by `parts` callers at once (one per core), all with
 * the same model, arguments, scratch and out: part p computes its rows of every layer and
 * waits at a barrier after each. sync[0..parts) is the callers' shared step counters (start
 * them equal, e.g. zero, and leave them between images). Returns once the whole image is in
 * out, or PD_ERR_SYNC when another part does not arrive within spin_limit polls. Reentrant:
 * no state outside the arguments. Byte-identical to pd_generate_full. */
int pd_generate_full_part(const pd_model_t *m, int32_t face, int32_t angle_code, uint8_t *scratch,
                          uint32_t scratch_size, uint8_t *out, uint32_t out_size, uint8_t part,
                          uint8_t parts, volatile uint8_t *sync, uint32_t spin_limit);

/* The barrier of pd_generate_full_part: count this part's step, wait for the others'. */
int pd_barrier(volatile uint8_t *sync, uint8_t part, uint8_t parts, uint32_t spin_limit);

/* Called with each final output row segment: pixels[0..width) are row `row`,
 * columns [col0, col0 + width). Strip by strip, rows in order within a strip. */
typedef void (*pd_row_fn)(void *ctx, uint8_t row, uint8_t col0, uint8_t width, const uint8_t *pixels);

/* Depth first, column strip by strip, with ring buffers; same bytes as full. */
int pd_generate_stream(const pd_model_t *m, int32_t face, int32_t angle_code, uint8_t *scratch,
                       uint32_t scratch_size, pd_row_fn on_row, void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* PD_MODEL_H */
