/* The two libc functions the compiler may emit calls to for struct copies and zeroing: the
 * bare-metal images (main.c, overlap.c) link no libc. volatile keeps the compiler from
 * turning the loops back into calls to themselves. */
#include <stddef.h>
#include <stdint.h>

void *memset(void *d, int c, size_t n)
{
    volatile uint8_t *p = d;
    while (n--) *p++ = (uint8_t)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    volatile uint8_t *p = d;
    const uint8_t *q = s;
    while (n--) *p++ = *q++;
    return d;
}
