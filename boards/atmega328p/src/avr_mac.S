; AVR multiply-accumulate cores for the convolution kernels (src/avr_conv.c).
;
;   void avr_group1(void);             P = 1 (any layout)
;   void avr_accum<P>_<STEP>(void);   P = 1 (any layout), 3, 4 (STEP 8)
;   void avr_sparse(void), avr_sparse2(void)   (further down)
;
; Both read their arguments from the static context avr_ctx (avr_ctx_t in
; avr_conv.c: no pointer register is spent on it). For each of n_groups groups of
; P output pixels p, for each output channel co:
;     acc = bias[co] + sum_s sum_{i < chunk bytes, c < nchunk}
;               w[s.w + co * co_stride + c * (chunk + w_jump) + i] * x[s.x + p * STEP + c * chunk + i]
;     out[p * out_step + co] = requantize(acc, mult[co], shift[co])     (avr_group)
;     ((int32_t *)(out + p * out_step))[co] += acc - bias[co]           (avr_accum)
; then the next group: outputs P * out_step bytes on, every s.x by x_adv (also
; after the last group: out0 and the segments are left at the next pixel).
; A segment is one kernel row of a pixel's taps: one chunk for a convolution
; (k * in_c contiguous bytes), one chunk of in_c bytes per column tap for a
; transposed convolution (weights step back between chunks: w_jump < 0).
; w: int8 weights in flash (lpm), x: uint8 activations in RAM (ld), products by
; mulsu. One weight byte serves all P pixels, so a MAC costs
;     P = 4: (lpm 3 + 4 * (ld 2 + mulsu 2 + sign 1 + add 3)) / 4 = 8.75 cycles
; plus the loop. STEP is fixed per variant because the pixels are read with
; ldd Y+q (q <= 63); the P = 1 variants take any layout. Sums are kept in 24 bits:
; the caller keeps the products per pixel <= 255, and 255 * 127 * 255 < 2^23
; (weights are never -128).
;
; avr_ctx offsets (avr_conv.c checks the layout):
C_SEG = 0               ; const avr_seg_t * ({ uint16_t w, x; } per segment)
C_NSEG = 2              ; uint8_t: segments per pixel (0: bias only)
C_NCHUNK = 3            ; uint8_t: chunks per segment (>= 1)
C_CHUNK_B = 4           ; uint8_t: chunk bytes / 4
C_CHUNK_R = 5           ; uint8_t: chunk bytes % 4
C_W_JUMP = 6            ; int16_t: weight pointer step after each chunk
C_N_CO = 8              ; uint8_t
C_CO_STRIDE = 9         ; uint16_t: weight bytes per output channel
C_BIAS = 11             ; flash: int32 LE [n_co]
C_MULT = 13             ; flash: uint16 LE [n_co]
C_SHIFT = 15            ; flash: uint8 [n_co]
C_OUT0 = 17             ; uint8_t *: output of the first group's pixel 0, channel 0
C_OUT_STEP = 19         ; uint8_t: output bytes from one pixel of a group to the next
C_N_GROUPS = 20         ; uint8_t (>= 1), consumed
C_X_ADV = 21            ; uint16_t: input bytes from one group to the next
C_OUT_CUR = 23          ; the routine's own from here on
C_W_OFF = 25
C_CO_LEFT = 27
C_BCUR = 28
C_MCUR = 30
C_SCUR = 32
C_SIZE = 34
;
; Registers in the MAC phase: accumulators a0:a1 in an even pair (movw) and a2
; (pixel 0: r2:r3 r10, 1: r4:r5 r11, 2: r6:r7 r12, 3: r8:r9 r13), weight r16,
; activation r17, sign r18, chunks left r19, segments left r20, loop count r21,
; blocks per chunk r22, rest per chunk r23, w_jump r25:r24, w_off r15:r14,
; Z weights, Y activations, X segment list.

#include <avr/io.h>

__zero_reg__ = 1

        .section .bss
        .global avr_ctx
        .type   avr_ctx, @object
        .size   avr_ctx, C_SIZE
avr_ctx:
        .zero   C_SIZE

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
        MAC     r2, r3, r10
.if \P >= 2
        ldd     r17, Y + (\STEP - 1)
        MAC     r4, r5, r11
.endif
.if \P >= 3
        ldd     r17, Y + (2 * \STEP - 1)
        MAC     r6, r7, r12
.endif
.if \P >= 4
        ldd     r17, Y + (3 * \STEP - 1)
        MAC     r8, r9, r13
.endif
.endm

; One chunk of a segment: r23 single steps, then r22 blocks of 4 steps, each step
; the macro `one` with `args`; on to label 7 of the caller (r21 clobbered).
.macro CHUNK one, args:vararg
        mov     r21, r23
        tst     r21
        breq    5f
4:      \one   \args
        dec     r21
        brne    4b
5:      mov     r21, r22
        tst     r21
        brne    6f
        rjmp    7f
6:      \one   \args
        \one   \args
        \one   \args
        \one   \args
        dec     r21
        breq    7f
        rjmp    6b
.endm

; the MAC phase: accumulators (cleared by the caller) += the segment list
; (weights offset by r15:r14); clobbers r16..r25, X, Y, Z
.macro SEGMENTS P, STEP
        lds     r20, avr_ctx + C_NSEG
        tst     r20
        brne    1f
        rjmp    9f              ; (long jumps: the unrolled body is out of branch range)
1:      lds     r26, avr_ctx + C_SEG
        lds     r27, avr_ctx + C_SEG + 1
        lds     r22, avr_ctx + C_CHUNK_B
        lds     r23, avr_ctx + C_CHUNK_R
        lds     r24, avr_ctx + C_W_JUMP
        lds     r25, avr_ctx + C_W_JUMP + 1
2:      ld      r30, X+         ; Z = s.w + w_off (flash)
        ld      r31, X+
        add     r30, r14
        adc     r31, r15
        ld      r28, X+         ; Y = s.x (RAM)
        ld      r29, X+
        lds     r19, avr_ctx + C_NCHUNK
3:      CHUNK   STEP_ONE, \P, \STEP
7:      dec     r19             ; next chunk: same activations on, weights jump
        breq    8f
        add     r30, r24
        adc     r31, r25
        rjmp    3b
8:      dec     r20
        breq    9f
        rjmp    2b
9:
.endm

;  r24 = requant(v r25:r22, mult r21:r20, shift r18): reference.requantize
; (docs/arithmetic.md) for one value:
;   v <= 0 -> 0; t = min((v + (2^s >> 1)) >> s, 65535); y = min((t*mult + 2^15) >> 16, 255)
; computed as ((v >> (s-1)) + 1) >> 1 for s > 0 (the same value), byte moves
; for 8 and 16 bits of shift, and a 16x16 multiply of which only bits 16..31
; matter. mult >= PD_MULT_MIN = 4096 (checked by the parser), so any t above
; 65535 gives 255. Clobbers r0, r18, r22..r25; r1 stays 0.
.macro REQUANT
        tst     r25
        brmi    80f             ; v < 0: ReLU
        tst     r18
        breq    40f             ; no shift
        dec     r18             ; shift by s - 1 ...
        cpi     r18, 16
        brlo    10f
        movw    r22, r24
        clr     r24
        clr     r25
        subi    r18, 16
10:     cpi     r18, 8
        brlo    20f
        mov     r22, r23
        mov     r23, r24
        mov     r24, r25
        clr     r25
        subi    r18, 8
20:     tst     r18
        breq    30f
21:     lsr     r25
        ror     r24
        ror     r23
        ror     r22
        dec     r18
        brne    21b
30:     subi    r22, 0xFF       ; ... then + 1 and the last bit (rounds half up)
        sbci    r23, 0xFF
        sbci    r24, 0xFF
        sbci    r25, 0xFF
        lsr     r25
        ror     r24
        ror     r23
        ror     r22
40:     or      r24, r25
        brne    90f             ; t > 65535: 255
        ; (t * mult + 0x8000) >> 16 with t = r23:r22, mult = r21:r20;
        ; product bytes p3:p2:p1 in r25:r24:r18 (p0 cannot reach bit 16)
        mul     r23, r21        ; th * mh -> p3:p2
        movw    r24, r0
        mul     r22, r20        ; tl * ml -> p1 (p0 dropped)
        mov     r18, r1
        mul     r23, r20        ; th * ml -> p2:p1
        add     r18, r0
        adc     r24, r1
        clr     r1
        adc     r25, r1
        mul     r22, r21        ; tl * mh -> p2:p1
        add     r18, r0
        adc     r24, r1
        clr     r1
        adc     r25, r1
        subi    r18, 0x80       ; + 0x8000 (carry out of p1 when p1 >= 0x80)
        sbci    r24, 0xFF
        sbci    r25, 0xFF
        tst     r25
        breq    95f             ; y = p2 (r24)
90:     ldi     r24, 255
        rjmp    95f
80:     clr     r24
95:
.endm

; *X = requant(bias r17:r14 + sign-extended a2:a1:a0, mult r21:r20, shift r19),
; then X += r30. INLINE = 0: through avr_requant (smaller, 7 cycles slower).
.macro OUTPUT a0, a2, INLINE
        movw    r22, \a0        ; v = acc + bias -> r25:r22
        mov     r24, \a2
        mov     r25, \a2
        lsl     r25
        sbc     r25, r25
        add     r22, r14
        adc     r23, r15
        adc     r24, r16
        adc     r25, r17
        mov     r18, r19
.if \INLINE
        REQUANT
.else
        rcall   avr_requant
.endif
        st      X, r24
        add     r26, r30
        adc     r27, __zero_reg__
.endm

; *(int32 *)X += sign-extended a2:a1:a0, then X += r30 (- 4 already counted)
.macro ACCUM a0, a1, a2
        mov     r25, \a2
        lsl     r25
        sbc     r25, r25
        ld      r22, X
        add     r22, \a0
        st      X+, r22
        ld      r22, X
        adc     r22, \a1
        st      X+, r22
        ld      r22, X
        adc     r22, \a2
        st      X+, r22
        ld      r22, X
        adc     r22, r25
        st      X+, r22
        add     r26, r30
        adc     r27, __zero_reg__
.endm

; load a 16-bit context field into a register pair / store it back
.macro LDC16 lo, hi, off
        lds     \lo, avr_ctx + \off
        lds     \hi, avr_ctx + \off + 1
.endm
.macro STC16 off, lo, hi
        sts     avr_ctx + \off, \lo
        sts     avr_ctx + \off + 1, \hi
.endm

; The requantization parameters of a group's first output channel: bias, mult
; and shift pointers copied to the cursors the output code advances.
.macro PARAMS_START
        LDC16   r16, r17, C_BIAS
        STC16   C_BCUR, r16, r17
        LDC16   r16, r17, C_MULT
        STC16   C_MCUR, r16, r17
        LDC16   r16, r17, C_SHIFT
        STC16   C_SCUR, r16, r17
.endm

; The callee-saved registers the cores use (r2-r17, Y), saved on entry ...
.macro ENTER
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
.endm

; ... and after a group's outputs (its out0 already moved on) the next group:
; every segment's activations x_adv on, back to the core's label 50 while groups
; are left, else restore the registers and return.
.macro NEXT_GROUP
        LDC16   r26, r27, C_SEG
        lds     r20, avr_ctx + C_NSEG
        LDC16   r22, r23, C_X_ADV
        tst     r20
        breq    72f
71:     adiw    r26, 2
        ld      r16, X+
        ld      r17, X
        add     r16, r22
        adc     r17, r23
        st      X, r17
        st      -X, r16
        adiw    r26, 2
        dec     r20
        brne    71b
72:     lds     r16, avr_ctx + C_N_GROUPS
        dec     r16
        sts     avr_ctx + C_N_GROUPS, r16
        breq    99f
        rjmp    50b
99:
        pop     r29
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
.endm

; void NAME(void): see the top of this file. ACC = 0: requantized uint8 outputs;
; ACC = 1: int32 accumulators the sums are added to (no bias, no requantization)
.macro GROUP NAME, P, STEP, ACC
        .global \NAME
        .type   \NAME, @function
\NAME:
        ENTER
50:     LDC16   r16, r17, C_OUT0 ; a group: channel 0 of pixel 0 first
        STC16   C_OUT_CUR, r16, r17
        lds     r16, avr_ctx + C_N_CO
        sts     avr_ctx + C_CO_LEFT, r16
        STC16   C_W_OFF, __zero_reg__, __zero_reg__
.if \ACC == 0
        PARAMS_START
.endif
60:     LDC16   r14, r15, C_W_OFF ; a channel
        clr     r2
        clr     r3
        clr     r10
.if \P >= 2
        clr     r4
        clr     r5
        clr     r11
.endif
.if \P >= 3
        clr     r6
        clr     r7
        clr     r12
.endif
.if \P >= 4
        clr     r8
        clr     r9
        clr     r13
.endif
        SEGMENTS \P, \STEP
        clr     __zero_reg__    ; (mulsu left a product's high byte in it)
        LDC16   r16, r17, C_CO_STRIDE ; the next channel's weights
        add     r14, r16
        adc     r15, r17
        STC16   C_W_OFF, r14, r15
        LDC16   r26, r27, C_OUT_CUR ; X: this channel's output of pixel 0
        lds     r30, avr_ctx + C_OUT_STEP
.if \ACC
        subi    r30, 4          ; ACCUM walks 4 bytes itself
        ACCUM   r2, r3, r10
.if \P >= 2
        ACCUM   r4, r5, r11
.endif
.if \P >= 3
        ACCUM   r6, r7, r12
.endif
.if \P >= 4
        ACCUM   r8, r9, r13
.endif
        LDC16   r26, r27, C_OUT_CUR
        adiw    r26, 4
.else
        LDC16   r30, r31, C_BCUR ; bias (int32 LE) -> r17:r14
        lpm     r14, Z+
        lpm     r15, Z+
        lpm     r16, Z+
        lpm     r17, Z+
        STC16   C_BCUR, r30, r31
        LDC16   r30, r31, C_MCUR ; multiplier -> r21:r20
        lpm     r20, Z+
        lpm     r21, Z+
        STC16   C_MCUR, r30, r31
        LDC16   r30, r31, C_SCUR ; shift -> r19
        lpm     r19, Z+
        STC16   C_SCUR, r30, r31
        lds     r30, avr_ctx + C_OUT_STEP
        OUTPUT  r2, r10, (\P >= 3)
.if \P >= 2
        OUTPUT  r4, r11, (\P >= 3)
.endif
.if \P >= 3
        OUTPUT  r6, r12, 1
.endif
.if \P >= 4
        OUTPUT  r8, r13, 1
.endif
        LDC16   r26, r27, C_OUT_CUR
        adiw    r26, 1
.endif
        STC16   C_OUT_CUR, r26, r27
        lds     r16, avr_ctx + C_CO_LEFT
        dec     r16
        sts     avr_ctx + C_CO_LEFT, r16
        breq    70f
        rjmp    60b
70:     LDC16   r16, r17, C_OUT0 ; the next group: outputs P pixels on, ...
        lds     r18, avr_ctx + C_OUT_STEP
.rept \P
        add     r16, r18
        adc     r17, __zero_reg__
.endr
        STC16   C_OUT0, r16, r17
        NEXT_GROUP
        .size   \NAME, . - \NAME
.endm

; ---------------------------------------------------------------------------
; void avr_sparse(void): the same sums as avr_group1 (n_groups pixels, one at a
; time), but activation-stationary and skipping zero activations. After ReLU
; most activations are 0 (the default model's layers: 35% to 80%), so each
; input byte is loaded and tested once, and only a nonzero one is multiplied
; with the weights of 4 output channels (co_stride apart in flash: lpm, then
; add the stride): a zero costs 7 cycles per 4 MACs, a nonzero one 49. Output
; channels go in quads (n_co % 4 == 0), requantized (no accumulator mode).
; avr_sparse2 is the same for channel pairs (n_co % 2 == 0: the fast model's 6
; channels): 7 cycles per 2 MACs for a zero, 27 for a nonzero byte.
; Registers in the MAC phase: accumulators as above (channel q of the quad in
; pixel q's registers), co_stride r15:r14, weight pointer r25:r24 (Z: lpm).

; one activation byte times the weights of Q channels (4 or 2)
.macro SP_ONE Q
        ld      r17, Y+
        tst     r17
        breq    17f
        movw    r30, r24
        lpm     r16, Z
        MAC     r2, r3, r10
        add     r30, r14
        adc     r31, r15
        lpm     r16, Z
        MAC     r4, r5, r11
.if \Q == 4
        add     r30, r14
        adc     r31, r15
        lpm     r16, Z
        MAC     r6, r7, r12
        add     r30, r14
        adc     r31, r15
        lpm     r16, Z
        MAC     r8, r9, r13
.endif
17:     adiw    r24, 1
.endm

.macro SP_SEGMENTS Q
        lds     r20, avr_ctx + C_NSEG
        tst     r20
        brne    1f
        rjmp    9f
1:      LDC16   r26, r27, C_SEG
        lds     r22, avr_ctx + C_CHUNK_B
        lds     r23, avr_ctx + C_CHUNK_R
2:      ld      r24, X+         ; weights of this quad's first channel
        ld      r25, X+
        LDC16   r16, r17, C_W_OFF
        add     r24, r16
        adc     r25, r17
        ld      r28, X+         ; activations
        ld      r29, X+
        lds     r19, avr_ctx + C_NCHUNK
3:      CHUNK   SP_ONE, \Q
7:      dec     r19
        breq    8f
        LDC16   r16, r17, C_W_JUMP
        add     r24, r16
        adc     r25, r17
        rjmp    3b
8:      dec     r20
        breq    9f
        rjmp    2b
9:
.endm

; X++ = requant(bias + sign-extended a2:a1:a0); bias, mult and shift pointers
; r15:r14, r17:r16, Y (advanced)
.macro SP_OUT a0, a1, a2
        movw    r30, r14
        lpm     r22, Z+
        lpm     r23, Z+
        lpm     r24, Z+
        lpm     r25, Z+
        movw    r14, r30
        mov     r18, \a2
        lsl     r18
        sbc     r18, r18
        add     r22, \a0
        adc     r23, \a1
        adc     r24, \a2
        adc     r25, r18
        brmi    73f             ; v < 0: 0, without reading mult and shift
        movw    r30, r16
        lpm     r20, Z+
        lpm     r21, Z+
        movw    r16, r30
        movw    r30, r28
        lpm     r18, Z
        rcall   avr_requant
        rjmp    74f
73:     subi    r16, 0xFE
        sbci    r17, 0xFF
        clr     r24
74:     adiw    r28, 1
        st      X+, r24
.endm

.macro SPARSE NAME, Q
        .global \NAME
        .type   \NAME, @function
\NAME:
        ENTER
50:     LDC16   r16, r17, C_OUT0 ; a pixel
        STC16   C_OUT_CUR, r16, r17
        lds     r16, avr_ctx + C_N_CO
        lsr     r16
.if \Q == 4
        lsr     r16
.endif
        sts     avr_ctx + C_CO_LEFT, r16
        STC16   C_W_OFF, __zero_reg__, __zero_reg__
        PARAMS_START
60:     clr     r2              ; a quad (pair) of output channels
        clr     r3
        clr     r10
        clr     r4
        clr     r5
        clr     r11
.if \Q == 4
        clr     r6
        clr     r7
        clr     r12
        clr     r8
        clr     r9
        clr     r13
.endif
        LDC16   r14, r15, C_CO_STRIDE
        SP_SEGMENTS \Q
        clr     __zero_reg__
        LDC16   r16, r17, C_W_OFF ; the next quad's weights: Q channels on
        lsl     r14
        rol     r15
.if \Q == 4
        lsl     r14
        rol     r15
.endif
        add     r16, r14
        adc     r17, r15
        STC16   C_W_OFF, r16, r17
        LDC16   r26, r27, C_OUT_CUR
        LDC16   r14, r15, C_BCUR
        LDC16   r16, r17, C_MCUR
        LDC16   r28, r29, C_SCUR
        SP_OUT  r2, r3, r10
        SP_OUT  r4, r5, r11
.if \Q == 4
        SP_OUT  r6, r7, r12
        SP_OUT  r8, r9, r13
.endif
        STC16   C_OUT_CUR, r26, r27
        STC16   C_BCUR, r14, r15
        STC16   C_MCUR, r16, r17
        STC16   C_SCUR, r28, r29
        lds     r16, avr_ctx + C_CO_LEFT
        dec     r16
        sts     avr_ctx + C_CO_LEFT, r16
        breq    70f
        rjmp    60b
70:     LDC16   r16, r17, C_OUT0 ; the next pixel: out_step on, ...
        lds     r18, avr_ctx + C_OUT_STEP
        add     r16, r18
        adc     r17, __zero_reg__
        STC16   C_OUT0, r16, r17
        NEXT_GROUP
        .size   \NAME, . - \NAME
.endm

        SPARSE  avr_sparse, 4
        SPARSE  avr_sparse2, 2

; uint8_t avr_requant(int32_t v, uint16_t mult, uint8_t shift): REQUANT for C
; (and the 1- and 2-pixel cores); r1 must be 0 on entry.
        .global avr_requant
        .type   avr_requant, @function
avr_requant:
        REQUANT
        ret
        .size   avr_requant, . - avr_requant

; Variants (flash is tight: 8-channel models get the fast ones, any other
; layout runs avr_group1/avr_accum1, correct and about 30% slower).
        GROUP   avr_group1, 1, 1, 0
        GROUP   avr_accum1, 1, 1, 1
        GROUP   avr_accum3_8, 3, 8, 1
        GROUP   avr_accum4_8, 4, 8, 1

