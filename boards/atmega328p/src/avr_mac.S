; AVR multiply-accumulate cores for the convolution kernels (src/avr_conv.c).
;
;   void avr_group<P>_<STEP>(avr_group_t *g);   P = 1 (any layout), 2, 3, 4
;
; For each output channel co of P output pixels p, over the
; group's segment list s:
;     acc = bias[co] + sum_s sum_{i < s.n} w[s.w + co * co_stride + i] * x[s.x + p * STEP + i]
;     *out[p]++ = requantize(acc, mult[co], shift[co])
; w: int8 weights in flash (lpm), x: uint8 activations in RAM (ld), products by
; mulsu. One weight byte serves all P pixels, so a MAC costs
;     P = 4: (lpm 3 + 4 * (ld 2 + mulsu 2 + sign 1 + add 3)) / 4 = 8.75 cycles
; plus the loop. STEP is fixed per variant because the pixels are read with
; ldd Y+q (q <= 63); avr_group1 takes any layout. Sums are kept in 24 bits: the
; caller keeps sum(s.n) <= 255, and 255 * 127 * 255 < 2^23 (weights are never -128).
;
; avr_seg_t is { uint16_t w; uint16_t x; } (4 bytes), every segment of a group
; is G_SEG_N bytes long; the context avr_group_t (avr_conv.c) has these offsets:
G_SEG = 0               ; const avr_seg_t *
G_NSEG = 2              ; uint8_t
G_N_CO = 3              ; uint8_t
G_CO_STRIDE = 4         ; uint16_t: weight bytes per output channel
G_BIAS = 6              ; flash pointers, advanced by the routine
G_MULT = 8
G_SHIFT = 10
G_OUT = 12              ; uint8_t *out[4]: the routine's own (from G_OUT0, G_OUT_STEP)
G_W_OFF = 20            ; uint16_t, the routine's own
G_CO_LEFT = 22          ; uint8_t, the routine's own
G_SEG_N = 23            ; uint8_t: bytes per segment (>= 1)
G_OUT0 = 24             ; uint8_t *: output of pixel 0 (channel 0)
G_OUT_STEP = 26         ; uint8_t: output bytes from one pixel to the next
; Registers in the MAC phase: acc r2..r13 (3 bytes per pixel), weight r16,
; activation r17, sign r18, count r19, segments left r20, blocks r21, segment
; length r22, w_off r15:r14, Z weights, Y activations, X segment list, r25:r24
; the context.

#include <avr/io.h>

__zero_reg__ = 1

        .text

; one product into the 24-bit accumulator a0:a1:a2 (mulsu leaves the sign in C)
.macro MAC a0, a1, a2
        mulsu   r16, r17
        sbc     r18, r18
        add     \a0, r0
        adc     \a1, r1
        adc     \a2, r18
.endm

; one weight byte times the P pixels
.macro STEP_ONE P, STEP
        lpm     r16, Z+
        ld      r17, Y+
        MAC     r2, r3, r4
.if \P >= 2
        ldd     r17, Y + (\STEP - 1)
        MAC     r5, r6, r7
.endif
.if \P >= 3
        ldd     r17, Y + (2 * \STEP - 1)
        MAC     r8, r9, r10
.endif
.if \P >= 4
        ldd     r17, Y + (3 * \STEP - 1)
        MAC     r11, r12, r13
.endif
.endm

; the MAC phase: accumulators r2.. (cleared by the caller) += the segment list
; at X (r20 segments of 4 * r23 + r22 bytes, weights offset by r15:r14); clobbers
; r16..r21, X, Y, Z
.macro SEGMENTS P, STEP
        tst     r20
        brne    1f
        rjmp    9f              ; (long jumps: the unrolled body is out of branch range)
1:      ld      r30, X+         ; Z = s.w + w_off (flash)
        ld      r31, X+
        add     r30, r14
        adc     r31, r15
        ld      r28, X+         ; Y = s.x (RAM)
        ld      r29, X+
        mov     r19, r22        ; n % 4 single steps (r22, r23: see GROUP)
        mov     r21, r23        ; n / 4 unrolled blocks
        tst     r19
        breq    3f
2:      STEP_ONE \P, \STEP
        dec     r19
        brne    2b
3:      tst     r21
        brne    4f
        rjmp    5f
4:      STEP_ONE \P, \STEP
        STEP_ONE \P, \STEP
        STEP_ONE \P, \STEP
        STEP_ONE \P, \STEP
        dec     r21
        breq    5f
        rjmp    4b
5:      dec     r20
        breq    9f
        rjmp    1b
9:
.endm

; out (RAM, at ctx+off, advanced) = requant(bias r17:r14 + sign-extended a2:a1:a0,
; mult r21:r20, shift r26); ctx in Y
.macro OUTPUT a0, a1, a2, off
        clr     r25
        sbrc    \a2, 7
        com     r25
        mov     r22, \a0
        mov     r23, \a1
        mov     r24, \a2
        add     r22, r14
        adc     r23, r15
        adc     r24, r16
        adc     r25, r17
        mov     r18, r26
        call    avr_requant     ; clobbers r0, r1, r18, r19, r22..r25 only
        ldd     r30, Y + \off
        ldd     r31, Y + \off + 1
        st      Z+, r24
        std     Y + \off, r30
        std     Y + \off + 1, r31
.endm

; *out (int32 at ctx+off, advanced) += sign-extended a2:a1:a0; ctx in Y
.macro ACCUM a0, a1, a2, off
        clr     r25
        sbrc    \a2, 7
        com     r25
        ldd     r30, Y + \off
        ldd     r31, Y + \off + 1
        ld      r22, Z
        add     r22, \a0
        st      Z+, r22
        ld      r22, Z
        adc     r22, \a1
        st      Z+, r22
        ld      r22, Z
        adc     r22, \a2
        st      Z+, r22
        ld      r22, Z
        adc     r22, r25
        st      Z+, r22
        std     Y + \off, r30
        std     Y + \off + 1, r31
.endm

; void NAME(avr_group_t *g): every output channel of P pixels (see avr_conv.c);
; ACC = 0: out[p] are uint8 outputs (bias, requantization); ACC = 1: out[p] are
; int32 accumulators the sums are added to (no bias, no requantization)
.macro GROUP NAME, P, STEP, ACC
        .global \NAME
        .type   \NAME, @function
\NAME:
        push    r2
        push    r3
        push    r4
        push    r5
        push    r6
        push    r7
        push    r8
        push    r9
        push    r10
        push    r11
        push    r12
        push    r13
        push    r14
        push    r15
        push    r16
        push    r17
        push    r28
        push    r29
        movw    r28, r24        ; r24:r25 and Y: the group context
        ldd     r16, Y + G_OUT0 ; out[p] = out0 + p * step
        ldd     r17, Y + G_OUT0 + 1
        ldd     r18, Y + G_OUT_STEP
        std     Y + G_OUT, r16
        std     Y + G_OUT + 1, r17
.if \P >= 2
        add     r16, r18
        adc     r17, __zero_reg__
        std     Y + G_OUT + 2, r16
        std     Y + G_OUT + 3, r17
.endif
.if \P >= 3
        add     r16, r18
        adc     r17, __zero_reg__
        std     Y + G_OUT + 4, r16
        std     Y + G_OUT + 5, r17
.endif
.if \P >= 4
        add     r16, r18
        adc     r17, __zero_reg__
        std     Y + G_OUT + 6, r16
        std     Y + G_OUT + 7, r17
.endif
        ldd     r16, Y + G_N_CO
        std     Y + G_CO_LEFT, r16
        std     Y + G_W_OFF, __zero_reg__
        std     Y + G_W_OFF + 1, __zero_reg__
10:     movw    r28, r24
        ldd     r14, Y + G_W_OFF
        ldd     r15, Y + G_W_OFF + 1
        ldd     r26, Y + G_SEG
        ldd     r27, Y + G_SEG + 1
        ldd     r20, Y + G_NSEG
        ldd     r22, Y + G_SEG_N
        mov     r23, r22
        lsr     r23             ; r23 = n / 4, r22 = n % 4
        lsr     r23
        andi    r22, 3
        clr     r2
        clr     r3
        clr     r4
.if \P >= 2
        clr     r5
        clr     r6
        clr     r7
.endif
.if \P >= 3
        clr     r8
        clr     r9
        clr     r10
.endif
.if \P >= 4
        clr     r11
        clr     r12
        clr     r13
.endif
        SEGMENTS \P, \STEP
        movw    r28, r24        ; Y = context again
        ldd     r16, Y + G_CO_STRIDE ; next channel's weights
        ldd     r17, Y + G_CO_STRIDE + 1
        add     r14, r16
        adc     r15, r17
        std     Y + G_W_OFF, r14
        std     Y + G_W_OFF + 1, r15
.if \ACC
        ACCUM   r2, r3, r4, G_OUT
.if \P >= 2
        ACCUM   r5, r6, r7, G_OUT + 2
.endif
.if \P >= 3
        ACCUM   r8, r9, r10, G_OUT + 4
.endif
.if \P >= 4
        ACCUM   r11, r12, r13, G_OUT + 6
.endif
.else
        ldd     r30, Y + G_BIAS ; bias (int32 LE) -> r17:r14
        ldd     r31, Y + G_BIAS + 1
        lpm     r14, Z+
        lpm     r15, Z+
        lpm     r16, Z+
        lpm     r17, Z+
        std     Y + G_BIAS, r30
        std     Y + G_BIAS + 1, r31
        ldd     r30, Y + G_MULT ; multiplier -> r21:r20
        ldd     r31, Y + G_MULT + 1
        lpm     r20, Z+
        lpm     r21, Z+
        std     Y + G_MULT, r30
        std     Y + G_MULT + 1, r31
        ldd     r30, Y + G_SHIFT ; shift -> r26
        ldd     r31, Y + G_SHIFT + 1
        lpm     r26, Z+
        std     Y + G_SHIFT, r30
        std     Y + G_SHIFT + 1, r31
        OUTPUT  r2, r3, r4, G_OUT
.if \P >= 2
        OUTPUT  r5, r6, r7, G_OUT + 2
.endif
.if \P >= 3
        OUTPUT  r8, r9, r10, G_OUT + 4
.endif
.if \P >= 4
        OUTPUT  r11, r12, r13, G_OUT + 6
.endif
.endif
        movw    r24, r28
        ldd     r16, Y + G_CO_LEFT
        dec     r16
        std     Y + G_CO_LEFT, r16
        breq    11f
        rjmp    10b
11:     pop     r29
        pop     r28
        pop     r17
        pop     r16
        pop     r15
        pop     r14
        pop     r13
        pop     r12
        pop     r11
        pop     r10
        pop     r9
        pop     r8
        pop     r7
        pop     r6
        pop     r5
        pop     r4
        pop     r3
        pop     r2
        clr     __zero_reg__
        ret
        .size   \NAME, . - \NAME
.endm

; Variants (flash is tight: 8-channel models get the fast ones, any other
; layout runs avr_group1/avr_accum1, correct and about 20% slower).
        GROUP   avr_group1, 1, 1, 0
        GROUP   avr_group2_8, 2, 8, 0
        GROUP   avr_group3_8, 3, 8, 0
        GROUP   avr_group4_8, 4, 8, 0
        GROUP   avr_accum1, 1, 1, 1
        GROUP   avr_accum2_8, 2, 8, 1
        GROUP   avr_accum3_8, 3, 8, 1
        GROUP   avr_accum4_8, 4, 8, 1

; uint8_t avr_requant(int32_t acc, uint16_t mult, uint8_t shift)
;
; reference.requantize for one value (docs/arithmetic.md):
;   acc <= 0 -> 0; t = min((acc + (2^s >> 1)) >> s, 65535); y = min((t*mult + 2^15) >> 16, 255)
; computed as ((acc >> (s-1)) + 1) >> 1 for s > 0 (the same value), byte moves
; for 8 and 16 bits of shift, and a 16x16 multiply of which only bits 16..31
; matter. mult >= PD_MULT_MIN = 4096 (checked by the parser), so any t above
; 65535 gives 255. Arguments: acc r25:r22, mult r21:r20, shift r18; result r24.
        .global avr_requant
        .type   avr_requant, @function
avr_requant:
        tst     r25
        brmi    8f              ; acc < 0: ReLU
        tst     r18
        breq    4f              ; no shift
        dec     r18             ; shift by s - 1 ...
        cpi     r18, 16
        brlo    1f
        movw    r22, r24
        clr     r24
        clr     r25
        subi    r18, 16
1:      cpi     r18, 8
        brlo    2f
        mov     r22, r23
        mov     r23, r24
        mov     r24, r25
        clr     r25
        subi    r18, 8
2:      tst     r18
        breq    3f
21:     lsr     r25
        ror     r24
        ror     r23
        ror     r22
        dec     r18
        brne    21b
3:      subi    r22, 0xFF       ; ... then + 1 and the last bit (rounds half up)
        sbci    r23, 0xFF
        sbci    r24, 0xFF
        sbci    r25, 0xFF
        lsr     r25
        ror     r24
        ror     r23
        ror     r22
4:      or      r24, r25
        brne    9f              ; t > 65535: 255
        ; (t * mult + 0x8000) >> 16 with t = r23:r22, mult = r21:r20;
        ; product bytes p3:p2:p1 in r25:r24:r19 (p0 cannot reach bit 16)
        mul     r23, r21        ; th * mh -> p3:p2
        movw    r24, r0
        mul     r22, r20        ; tl * ml -> p1 (p0 dropped)
        mov     r19, r1
        clr     r18
        mul     r23, r20        ; th * ml -> p2:p1
        add     r19, r0
        adc     r24, r1
        adc     r25, r18
        mul     r22, r21        ; tl * mh -> p2:p1
        add     r19, r0
        adc     r24, r1
        adc     r25, r18
        subi    r19, 0x80       ; + 0x8000 (carry out of p1 when p1 >= 0x80)
        sbci    r24, 0xFF
        sbci    r25, 0xFF
        clr     __zero_reg__
        tst     r25
        brne    9f
        ret                     ; y = p2 (r24)
8:      clr     r24
        ret
9:      clr     __zero_reg__
        ldi     r24, 255
        ret
        .size   avr_requant, . - avr_requant
