; The kernels' inner dot product on the AVR (natmod/kernels/pd_dot.h hook, via
; src/pd_dot_avr.h): one copy in flash instead of one inlined per call site.
;
;   int32_t avr_dot_u8(const uint8_t *w, const uint8_t *x, uint8_t n);  x uint8
;   int32_t avr_dot_s8(const uint8_t *w, const uint8_t *x, uint8_t n);  x int8
;
; w: int8 weights in flash (lpm), x: activations in RAM. A MAC is lpm 3 + ld 2 +
; mul 2 + sign byte 1 + 24-bit accumulate 3 = 11 cycles, unrolled 4 times.
; 24 bits hold any n <= 255 products (|w| <= 127: the blob rejects -128).

__zero_reg__ = 1

        .text

.macro MAC MUL
        lpm     r18, Z+
        ld      r19, X+
        \MUL    r18, r19        ; C = bit 15 of the product
        sbc     r21, r21        ; its sign byte
        add     r22, r0
        adc     r23, r1
        adc     r24, r21
.endm

.macro DOT NAME, MUL
        .global \NAME
        .type   \NAME, @function
\NAME:
        movw    r30, r24        ; Z = w
        movw    r26, r22        ; X = x
        clr     r22             ; sum r24:r22
        clr     r23
        clr     r24
        mov     r25, r20
        lsr     r25             ; n / 4 blocks
        lsr     r25
        andi    r20, 3          ; n % 4 singles
        breq    2f
1:      MAC     \MUL
        dec     r20
        brne    1b
2:      tst     r25
        breq    4f
3:      MAC     \MUL
        MAC     \MUL
        MAC     \MUL
        MAC     \MUL
        dec     r25
        brne    3b
4:      clr     r25             ; sign-extend to 32 bits
        sbrc    r24, 7
        com     r25
        clr     __zero_reg__
        ret
        .size   \NAME, . - \NAME
.endm

        DOT     avr_dot_u8, mulsu
        DOT     avr_dot_s8, muls
