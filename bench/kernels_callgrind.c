/* Driver for bench/kernels_callgrind.py: runs a blob through one plan N times.
 *   ./kernels_callgrind BLOB full|stream N
 * Faces and angle codes cycle so every image differs. Prints one line per plan. */
#include <stdio.h>
#include <stdlib.h>

#include "pd_model.h"

static void on_row(void *ctx, uint8_t row, uint8_t col0, uint8_t width, const uint8_t *px)
{
    uint32_t *sum = (uint32_t *)ctx; /* consume the pixels so nothing is optimised away */
    uint8_t i;
    for (i = 0; i < width; i++) {
        *sum += (uint32_t)px[i] * (row + 1u) * (col0 + i + 1u);
    }
}

int main(int argc, char **argv)
{
    pd_model_t m;
    pd_plan_t plan;
    uint8_t *blob, *scratch, out[PD_MAX_DIM * PD_MAX_DIM];
    uint32_t sum = 0;
    long n_blob;
    int n, i, stream, st;
    FILE *f;
    if (argc != 4 || !(f = fopen(argv[1], "rb"))) {
        fprintf(stderr, "usage: %s BLOB full|stream N\n", argv[0]);
        return 2;
    }
    fseek(f, 0, SEEK_END);
    n_blob = ftell(f);
    fseek(f, 0, SEEK_SET);
    blob = (uint8_t *)malloc((size_t)n_blob);
    if (fread(blob, 1, (size_t)n_blob, f) != (size_t)n_blob) {
        return 2;
    }
    fclose(f);
    stream = argv[2][0] == 's';
    n = atoi(argv[3]);
    st = pd_model_parse(&m, blob, (uint32_t)n_blob);
    if (st == PD_OK) {
        st = pd_plan(&m, stream ? PD_PLAN_STREAM : PD_PLAN_FULL, &plan);
    }
    if (st != PD_OK) {
        fprintf(stderr, "%s\n", pd_status_message(st));
        return 1;
    }
    scratch = (uint8_t *)malloc(plan.scratch_bytes);
    for (i = 0; i < n && st == PD_OK; i++) {
        int32_t face = 1 + i % m.n_faces, angle = (int32_t)(i * 37 % 255) - 127;
        if (stream) {
            st = pd_generate_stream(&m, face, angle, scratch, plan.scratch_bytes, on_row, &sum);
        } else {
            st = pd_generate_full(&m, face, angle, scratch, plan.scratch_bytes, out, sizeof out);
            sum += out[i % (m.out_h * m.out_w)];
        }
    }
    printf("%s images=%d scratch=%lu macs=%lu status=%d checksum=%lu\n", stream ? "stream" : "full", n,
           (unsigned long)plan.scratch_bytes, (unsigned long)plan.macs, st, (unsigned long)sum);
    return st == PD_OK ? 0 : 1;
}
