/* Fuzz harness and sanitizer driver over the C blob parser and executor.
 *
 * libFuzzer (tests/test_kernels_sanitizers.py runs this for a bounded time):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DPD_COUNT_MACS \
 *         -I natmod/kernels tests/fuzz/pd_fuzz.c natmod/kernels/pd_*.c -o pd_fuzz
 *   ./pd_fuzz -max_total_time=20 NEW_DIR tests/fuzz/corpus
 * An input is [mode][angle code][blob...]: mode bit 0 re-signs the blob's CRC
 * (so mutations reach the checks behind it), mode >> 1 picks the face.
 *
 * Driver over raw blob files (no libFuzzer), printing "status err_layer":
 *   cc -g -fsanitize=address,undefined -DPD_COUNT_MACS -DPD_FUZZ_MAIN \
 *      -I natmod/kernels tests/fuzz/pd_fuzz.c natmod/kernels/pd_*.c -o pd_check
 *   ./pd_check BLOB...
 *
 * Every valid blob runs through both plans in heap buffers of exactly the
 * planned size (so AddressSanitizer sees any overrun); the harness aborts if
 * the plans disagree, miss their stated MAC count, accept a smaller scratch,
 * or hand over a row outside the image. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_dot.h" /* pd_mac_count (PD_COUNT_MACS builds) */
#include "pd_model.h"

#define MAX_RUN_MACS 4000000UL /* keep each input fast: parse and plan only above this */

typedef struct {
    uint8_t *img; /* [h][w] */
    uint8_t h, w;
    uint32_t rows;
} sink_t;

static void on_row(void *ctx, uint8_t row, uint8_t col0, uint8_t width, const uint8_t *px)
{
    sink_t *s = (sink_t *)ctx;
    if (row >= s->h || width == 0 || col0 + width > s->w) {
        abort();
    }
    memcpy(s->img + (size_t)row * s->w + col0, px, width);
    s->rows++;
}

static void check(int cond)
{
    if (!cond) {
        abort();
    }
}

/* Parse, and when valid run both plans; returns the parse status. */
static int run_blob(const uint8_t *blob, size_t size, uint32_t face_sel, int8_t angle, pd_model_t *m)
{
    pd_plan_t full, stream;
    uint8_t *scratch, *img_full, *img_stream;
    size_t n_px;
    int32_t face;
    sink_t sink;
    int st = pd_model_parse(m, blob, (uint32_t)size);
    if (st != PD_OK) {
        check(pd_generate_full(m, 1, 0, 0, 0, 0, 0) == PD_ERR_NO_MODEL);
        return st;
    }
    face = (int32_t)(1 + face_sel % m->n_faces);
    check(pd_plan(m, PD_PLAN_FULL, &full) == PD_OK);
    check(pd_plan(m, PD_PLAN_STREAM, &stream) == PD_OK);
    check(stream.strips >= 1 && stream.strips <= m->out_w);
    if (full.macs > MAX_RUN_MACS || stream.macs > MAX_RUN_MACS) {
        return st;
    }
    n_px = (size_t)m->out_h * m->out_w;
    img_full = (uint8_t *)malloc(n_px);
    img_stream = (uint8_t *)calloc(n_px, 1);

    scratch = (uint8_t *)malloc(full.scratch_bytes);
    pd_mac_count = 0;
    check(pd_generate_full(m, face, angle, scratch, full.scratch_bytes, img_full, (uint32_t)n_px) == PD_OK);
    check(pd_mac_count == full.macs);
    check(pd_generate_full(m, face, angle, scratch, full.scratch_bytes - 1, img_full, (uint32_t)n_px) ==
          PD_ERR_SCRATCH_SIZE);
    free(scratch);

    scratch = (uint8_t *)malloc(stream.scratch_bytes); /* malloc memory is 4-byte aligned */
    sink.img = img_stream;
    sink.h = m->out_h;
    sink.w = m->out_w;
    sink.rows = 0;
    pd_mac_count = 0;
    check(pd_generate_stream(m, face, angle, scratch, stream.scratch_bytes, on_row, &sink) == PD_OK);
    check(pd_mac_count == stream.macs);
    check(sink.rows == (uint32_t)stream.strips * m->out_h);
    check(pd_generate_stream(m, face, angle, scratch, stream.scratch_bytes - 1, on_row, &sink) ==
          PD_ERR_SCRATCH_SIZE);
    free(scratch);

    check(memcmp(img_full, img_stream, n_px) == 0);
    free(img_full);
    free(img_stream);
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pd_model_t m;
    uint8_t *blob;
    if (size < 2) {
        return 0;
    }
    blob = (uint8_t *)malloc(size - 2 ? size - 2 : 1); /* exact size: overreads are caught */
    memcpy(blob, data + 2, size - 2);
    if ((data[0] & 1) && size - 2 >= PD_CRC_OFFSET + 4) {
        uint32_t crc = pd_blob_crc(blob, (uint32_t)(size - 2));
        blob[PD_CRC_OFFSET] = (uint8_t)crc;
        blob[PD_CRC_OFFSET + 1] = (uint8_t)(crc >> 8);
        blob[PD_CRC_OFFSET + 2] = (uint8_t)(crc >> 16);
        blob[PD_CRC_OFFSET + 3] = (uint8_t)(crc >> 24);
    }
    (void)run_blob(blob, size - 2, (uint32_t)(data[0] >> 1), (int8_t)(data[1] == 0x80 ? 0 : data[1]), &m);
    free(blob);
    return 0;
}

#ifdef PD_FUZZ_MAIN
int main(int argc, char **argv)
{
    int i;
    for (i = 1; i < argc; i++) {
        pd_model_t m;
        FILE *f = fopen(argv[i], "rb");
        uint8_t *blob;
        long n;
        int st;
        if (!f) {
            perror(argv[i]);
            return 2;
        }
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        blob = (uint8_t *)malloc(n ? (size_t)n : 1);
        if (fread(blob, 1, (size_t)n, f) != (size_t)n) {
            return 2;
        }
        fclose(f);
        st = run_blob(blob, (size_t)n, (uint32_t)i, (int8_t)(i % 255 - 127), &m);
        printf("%d %d\n", st, m.err_layer);
        free(blob);
    }
    return 0;
}
#endif
