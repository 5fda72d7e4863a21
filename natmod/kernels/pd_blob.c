/* Blob parser: the checks of host/pipdream/blob/reader.py, in its order, each
 * failing with its own status code. Every byte is read through PD_RD*. */
#include "pd_access.h"
#include "pd_geom.h"
#include "pd_model.h"

#ifdef PD_COUNT_MACS
uint32_t pd_mac_count; /* host test builds only (pd_dot.h) */
#endif

/* On AVR string literals are copied to SRAM at boot (2.5 KB of them here), so
 * there the texts are left out unless PD_STATUS_MESSAGES is defined: print the
 * status number and look it up in pd_model.h. */
#if defined(__AVR__) && !defined(PD_STATUS_MESSAGES)
const char *pd_status_message(int status)
{
    return status == PD_OK ? "ok" : "pipdream status (see pd_model.h)";
}
#else
const char *pd_status_message(int status)
{
    switch (status) {
    case PD_OK: return "ok";
    case PD_ERR_HEADER_TRUNCATED: return "header: truncated, shorter than the header";
    case PD_ERR_MAGIC: return "header.magic: bad magic, expected PIPD";
    case PD_ERR_VERSION: return "header.version: unsupported format version";
    case PD_ERR_HEADER_SIZE: return "header.header_size: wrong header size";
    case PD_ERR_TOTAL_SIZE_MAX: return "header.total_size: exceeds the maximum blob size";
    case PD_ERR_TOTAL_SIZE: return "header.total_size: differs from the blob length (truncated or torn copy?)";
    case PD_ERR_CRC: return "header.crc32: CRC mismatch";
    case PD_ERR_N_FACES: return "header.n_faces: out of range";
    case PD_ERR_LATENT_SIZE: return "header.latent_size: unsupported latent size";
    case PD_ERR_OUT_H: return "header.out_h: out of range";
    case PD_ERR_OUT_W: return "header.out_w: out of range";
    case PD_ERR_OUT_C: return "header.out_c: unsupported channel count";
    case PD_ERR_N_LAYERS: return "header.n_layers: out of range";
    case PD_ERR_LAYER_SIZE: return "header.layer_size: wrong layer entry size";
    case PD_ERR_FLAGS: return "header.flags: unknown bits, or the mirror fold without 6 faces";
    case PD_ERR_RESERVED: return "header.reserved: must be 0";
    case PD_ERR_TABLE_TRUNCATED: return "layer table: runs past the end of the blob";
    case PD_ERR_L_KIND: return "layer.kind: unknown layer kind";
    case PD_ERR_L_ACT: return "layer.act: unknown activation";
    case PD_ERR_L_IN_C: return "layer.in_c: out of range";
    case PD_ERR_L_OUT_C: return "layer.out_c: out of range";
    case PD_ERR_L_IN_H: return "layer.in_h: out of range";
    case PD_ERR_L_IN_W: return "layer.in_w: out of range";
    case PD_ERR_L_OUT_H: return "layer.out_h: out of range";
    case PD_ERR_L_OUT_W: return "layer.out_w: out of range";
    case PD_ERR_L_FC_INPUT: return "layer.in_h: a dense layer takes a 1x1 input";
    case PD_ERR_L_FC_GEOMETRY: return "layer.kernel: a dense layer has kernel 1, stride 1, padding 0";
    case PD_ERR_L_FC_OUT: return "layer.out_c: dense layer outputs exceed the maximum";
    case PD_ERR_L_KERNEL: return "layer.kernel: out of range";
    case PD_ERR_L_STRIDE: return "layer.stride: out of range";
    case PD_ERR_L_PADDING: return "layer.padding: must be less than the kernel";
    case PD_ERR_L_OUTPUT_PADDING: return "layer.output_padding: out of range";
    case PD_ERR_L_OUT_H_SHAPE: return "layer.out_h: does not follow from in_h";
    case PD_ERR_L_OUT_W_SHAPE: return "layer.out_w: does not follow from in_w";
    case PD_ERR_L_IN_TYPE: return "layer.in_type: wrong input type";
    case PD_ERR_L_W_LAYOUT: return "layer.w_layout: unknown weight layout";
    case PD_ERR_L_RESERVED: return "layer.reserved: must be 0";
    case PD_ERR_L_CHAIN: return "layer.in_c: input does not match the previous output";
    case PD_ERR_L_W_SIZE: return "layer.w_size: wrong weights size for the shape";
    case PD_ERR_L_W_ALIGN: return "layer.w_off: misaligned weights";
    case PD_ERR_L_W_BOUNDS: return "layer.w_off: weights outside the payload";
    case PD_ERR_L_B_SIZE: return "layer.b_size: wrong biases size for the shape";
    case PD_ERR_L_B_ALIGN: return "layer.b_off: misaligned biases";
    case PD_ERR_L_B_BOUNDS: return "layer.b_off: biases outside the payload";
    case PD_ERR_L_M_SIZE: return "layer.m_size: wrong multipliers size for the shape";
    case PD_ERR_L_M_ALIGN: return "layer.m_off: misaligned multipliers";
    case PD_ERR_L_M_BOUNDS: return "layer.m_off: multipliers outside the payload";
    case PD_ERR_L_S_SIZE: return "layer.s_size: wrong shifts size for the shape";
    case PD_ERR_L_S_ALIGN: return "layer.s_off: misaligned shifts";
    case PD_ERR_L_S_BOUNDS: return "layer.s_off: shifts outside the payload";
    case PD_ERR_L_W_VALUE: return "layer.w_off: a weight is -128 (weights are in -127..127)";
    case PD_ERR_L_B_VALUE: return "layer.b_off: a bias exceeds the maximum magnitude";
    case PD_ERR_L_M_VALUE: return "layer.m_off: a multiplier is below the least multiplier";
    case PD_ERR_L_S_VALUE: return "layer.s_off: a shift exceeds the maximum";
    case PD_ERR_OUTPUT_SHAPE: return "last layer: output is not the declared image";
    case PD_ERR_FACE: return "face out of range";
    case PD_ERR_ANGLE: return "angle code not in -127..127";
    case PD_ERR_SCRATCH_SIZE: return "scratch buffer too small for the plan";
    case PD_ERR_SCRATCH_ALIGN: return "scratch buffer not 4-byte aligned";
    case PD_ERR_OUT_SIZE: return "output buffer smaller than the image";
    case PD_ERR_PLAN_KIND: return "unknown plan kind";
    case PD_ERR_LAYER_INDEX: return "layer index out of range";
    case PD_ERR_RECT: return "output rectangle outside the layer output";
    case PD_ERR_IN_WINDOW: return "input window misses rows or columns the output needs";
    case PD_ERR_OUT_WINDOW: return "output window cannot hold the rectangle";
    case PD_ERR_NO_MODEL: return "no valid model (the blob did not parse)";
    case PD_ERR_CALLBACK: return "no row callback given";
    case PD_ERR_PART: return "part must be 0..parts-1 and parts 1..4";
    case PD_ERR_SYNC: return "another core did not reach the barrier";
    default: return "unknown status";
    }
}
#endif

uint32_t pd_blob_crc(const uint8_t *blob, uint32_t size)
{
    uint32_t crc = 0xFFFFFFFFUL, i;
    uint8_t bit;
    for (i = 0; i < size; i++) {
        if (i >= PD_CRC_OFFSET && i < PD_CRC_OFFSET + 4) {
            continue; /* the crc field itself */
        }
        crc ^= PD_RD8(blob + i);
        for (bit = 0; bit < 8; bit++) { /* bitwise: no table, no writable data */
            crc = (crc >> 1) ^ (0xEDB88320UL & (0UL - (crc & 1UL)));
        }
    }
    return crc ^ 0xFFFFFFFFUL;
}

/* *out = the byte at field; whether it is in 1..max (a count or a side the model holds). */
static uint8_t read_1_to(const uint8_t *field, uint8_t max, uint8_t *out)
{
    *out = PD_RD8(field);
    return *out >= 1 && *out <= max;
}

static int check_header(pd_model_t *m, const uint8_t *b, uint32_t n)
{
    uint32_t flags;
    if (n < PD_HEADER_SIZE) {
        return PD_ERR_HEADER_TRUNCATED;
    }
    if (PD_RD32LE(b + PD_H_MAGIC) != PD_MAGIC) {
        return PD_ERR_MAGIC;
    }
    if (PD_RD16LE(b + PD_H_VERSION) != PD_VERSION) {
        return PD_ERR_VERSION;
    }
    if (PD_RD16LE(b + PD_H_HEADER_SIZE) != PD_HEADER_SIZE) {
        return PD_ERR_HEADER_SIZE;
    }
    if (PD_RD32LE(b + PD_H_TOTAL_SIZE) > PD_MAX_BLOB_SIZE) {
        return PD_ERR_TOTAL_SIZE_MAX;
    }
    if (PD_RD32LE(b + PD_H_TOTAL_SIZE) != n) {
        return PD_ERR_TOTAL_SIZE;
    }
    if (PD_RD32LE(b + PD_H_CRC32) != pd_blob_crc(b, n)) {
        return PD_ERR_CRC;
    }
    if (!read_1_to(b + PD_H_N_FACES, PD_MAX_FACES, &m->n_faces)) {
        return PD_ERR_N_FACES;
    }
    if (PD_RD8(b + PD_H_LATENT_SIZE) != PD_LATENT_SIZE) {
        return PD_ERR_LATENT_SIZE;
    }
    if (!read_1_to(b + PD_H_OUT_H, PD_MAX_DIM, &m->out_h)) {
        return PD_ERR_OUT_H;
    }
    if (!read_1_to(b + PD_H_OUT_W, PD_MAX_DIM, &m->out_w)) {
        return PD_ERR_OUT_W;
    }
    if (PD_RD8(b + PD_H_OUT_C) != PD_OUT_C) {
        return PD_ERR_OUT_C;
    }
    if (!read_1_to(b + PD_H_N_LAYERS, PD_MAX_LAYERS, &m->n_layers)) {
        return PD_ERR_N_LAYERS;
    }
    if (PD_RD16LE(b + PD_H_LAYER_SIZE) != PD_LAYER_SIZE) {
        return PD_ERR_LAYER_SIZE;
    }
    flags = PD_RD32LE(b + PD_H_FLAGS);
    if ((flags & ~(uint32_t)PD_FLAGS_KNOWN) != 0 ||
        ((flags & PD_FLAG_MIRROR_FOLD) != 0 && m->n_faces != PD_N_FACES)) {
        return PD_ERR_FLAGS;
    }
    m->fold = (uint8_t)(flags & PD_FLAG_MIRROR_FOLD);
    if (PD_RD32LE(b + PD_H_RESERVED) != 0) {
        return PD_ERR_RESERVED;
    }
    if ((uint32_t)PD_HEADER_SIZE + (uint32_t)m->n_layers * PD_LAYER_SIZE > n) {
        return PD_ERR_TABLE_TRUNCATED;
    }
    return PD_OK;
}

/* One payload section: size, alignment, bounds (without overflow). */
static int check_section(const uint8_t *e, uint8_t field, uint32_t want, uint32_t table_end,
                         uint32_t total, int first_code)
{
    uint32_t off = PD_RD32LE(e + field), size = PD_RD32LE(e + field + 4);
    if (size != want) {
        return first_code; /* *_SIZE */
    }
    if (off % PD_ALIGN != 0) {
        return first_code + 1; /* *_ALIGN */
    }
    if (!(table_end <= off && off <= total && size <= total - off)) {
        return first_code + 2; /* *_BOUNDS */
    }
    return PD_OK;
}

/* The value checks, inlined into both users (the parser runs them on every layer). */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int check_values(const pd_layer_t *L, uint32_t n_weights, uint32_t n_ch)
{
    uint32_t j;
    for (j = 0; j < n_weights; j++) {
        if (PD_RD8(L->weights + j) == 0x80) {
            return PD_ERR_L_W_VALUE;
        }
    }
    for (j = 0; j < n_ch; j++) {
        int32_t bias = (int32_t)PD_RD32LE(L->bias + 4 * j);
        if (bias > (int32_t)PD_MAX_BIAS || bias < -(int32_t)PD_MAX_BIAS) {
            return PD_ERR_L_B_VALUE;
        }
    }
    for (j = 0; j < n_ch; j++) {
        if (PD_RD16LE(L->mult + 2 * j) < PD_MULT_MIN) {
            return PD_ERR_L_M_VALUE;
        }
    }
    for (j = 0; j < n_ch; j++) {
        if (PD_RD8(L->shift + j) > PD_MAX_SHIFT) {
            return PD_ERR_L_S_VALUE;
        }
    }
    return PD_OK;
}

int pd_layer_check_values(const pd_layer_t *L)
{
    return check_values(L, pd_layer_weight_bytes(L), pd_layer_channels(L));
}

/* Fields of a layer table entry, unchecked. */
static void read_entry(const uint8_t *blob, uint8_t i, pd_layer_t *L)
{
    const uint8_t *e = blob + PD_HEADER_SIZE + (uint32_t)i * PD_LAYER_SIZE;
    L->kind = PD_RD8(e + PD_L_KIND);
    L->in_c = PD_RD8(e + PD_L_IN_C);
    L->out_c = PD_RD8(e + PD_L_OUT_C);
    L->in_h = PD_RD8(e + PD_L_IN_H);
    L->in_w = PD_RD8(e + PD_L_IN_W);
    L->out_h = PD_RD8(e + PD_L_OUT_H);
    L->out_w = PD_RD8(e + PD_L_OUT_W);
    L->kernel = PD_RD8(e + PD_L_KERNEL);
    L->stride = PD_RD8(e + PD_L_STRIDE);
    L->padding = PD_RD8(e + PD_L_PADDING);
    L->output_padding = PD_RD8(e + PD_L_OUTPUT_PADDING);
    L->in_signed = PD_RD8(e + PD_L_IN_TYPE) == PD_DTYPE_INT8;
    L->weights = blob + PD_RD32LE(e + PD_L_W_OFF);
    L->bias = blob + PD_RD32LE(e + PD_L_B_OFF);
    L->mult = blob + PD_RD32LE(e + PD_L_M_OFF);
    L->shift = blob + PD_RD32LE(e + PD_L_S_OFF);
}

static int check_layer(const pd_model_t *m, uint8_t i, uint8_t *prev /* c, h, w */)
{
    const uint8_t *e = m->blob + PD_HEADER_SIZE + (uint32_t)i * PD_LAYER_SIZE;
    const uint32_t table_end = PD_HEADER_SIZE + (uint32_t)m->n_layers * PD_LAYER_SIZE;
    uint32_t n_ch, n_weights;
    pd_layer_t L;
    int st;
    read_entry(m->blob, i, &L);
    /* L1-L12 in the reader's order; L2 (act) sits between kind and in_c */
    if (L.kind != PD_KIND_FC && L.kind != PD_KIND_CONVT && L.kind != PD_KIND_CONV) {
        return PD_ERR_L_KIND;
    }
    if (PD_RD8(e + PD_L_ACT) != PD_ACT_CLAMP) {
        return PD_ERR_L_ACT;
    }
    st = pd_layer_check(&L);
    if (st != PD_OK) {
        return st;
    }
    if (PD_RD8(e + PD_L_IN_TYPE) != (i == 0 ? PD_DTYPE_INT8 : PD_DTYPE_UINT8)) {
        return PD_ERR_L_IN_TYPE;
    }
    if (PD_RD8(e + PD_L_W_LAYOUT) != PD_LAYOUT_OHWI) {
        return PD_ERR_L_W_LAYOUT;
    }
    if (PD_RD16LE(e + PD_L_RESERVED) != 0) {
        return PD_ERR_L_RESERVED;
    }
    if (L.in_c != prev[0] || L.in_h != prev[1] || L.in_w != prev[2]) {
        return PD_ERR_L_CHAIN;
    }
    /* pd_layer_channels() and pd_layer_weight_bytes(), written out: 4 bytes less on AVR */
    if (L.kind == PD_KIND_FC) {
        n_ch = (uint32_t)L.out_c * L.out_h * L.out_w;
        n_weights = n_ch * L.in_c;
    } else {
        n_ch = L.out_c;
        n_weights = n_ch * L.kernel * L.kernel * L.in_c;
    }
    st = check_section(e, PD_L_W_OFF, n_weights, table_end, m->size, PD_ERR_L_W_SIZE);
    if (st == PD_OK) {
        st = check_section(e, PD_L_B_OFF, 4 * n_ch, table_end, m->size, PD_ERR_L_B_SIZE);
    }
    if (st == PD_OK) {
        st = check_section(e, PD_L_M_OFF, 2 * n_ch, table_end, m->size, PD_ERR_L_M_SIZE);
    }
    if (st == PD_OK) {
        st = check_section(e, PD_L_S_OFF, n_ch, table_end, m->size, PD_ERR_L_S_SIZE);
    }
    if (st == PD_OK) {
        st = check_values(&L, n_weights, n_ch);
    }
    prev[0] = L.out_c;
    prev[1] = L.out_h;
    prev[2] = L.out_w;
    return st;
}

int pd_model_parse(pd_model_t *m, const uint8_t *blob, uint32_t size)
{
    uint8_t prev[3]; /* the running activation shape: c, h, w */
    uint8_t i;
    int st;
    m->blob = blob;
    m->size = size;
    m->n_layers = 0;
    m->n_faces = 0;
    m->out_h = 0;
    m->out_w = 0;
    m->fold = 0;
    m->err_layer = 0xFF;
    st = check_header(m, blob, size);
    if (st != PD_OK) {
        m->n_layers = 0; /* an unparsed model has no layers to run */
        return st;
    }
    prev[0] = (uint8_t)(m->n_faces + PD_LATENT_SIZE);
    prev[1] = 1;
    prev[2] = 1;
    for (i = 0; i < m->n_layers; i++) {
        st = check_layer(m, i, prev);
        if (st != PD_OK) {
            m->err_layer = i;
            m->n_layers = 0;
            return st;
        }
    }
    if (prev[0] != PD_OUT_C || prev[1] != m->out_h || prev[2] != m->out_w) {
        m->err_layer = (uint8_t)(m->n_layers - 1);
        m->n_layers = 0;
        return PD_ERR_OUTPUT_SHAPE;
    }
    return PD_OK;
}

int pd_model_layer(const pd_model_t *m, uint8_t index, pd_layer_t *layer)
{
    if (index >= m->n_layers) {
        return PD_ERR_LAYER_INDEX;
    }
    read_entry(m->blob, index, layer);
    return PD_OK;
}
