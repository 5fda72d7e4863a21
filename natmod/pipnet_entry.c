/* The module's entry point, alone in the first object of the link: MicroPython
 * 1.23's mpy_ld jumps to mpy_init with a short Thumb branch (+-2 KB) on armv6m,
 * so it must sit at the start of the text. pipnet.c registers everything. */
#include "py/dynruntime.h"

void pipnet_register(void);

mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    MP_DYNRUNTIME_INIT_ENTRY
    pipnet_register();
    MP_DYNRUNTIME_INIT_EXIT
}
