/* The Cortex-M0+ inner loops of the _m0 kernels (pd_blocked_m0.c): pd_m0_jobs
 * (requantize into bytes) and pd_m0_jobs_acc (add into int32) compute a
 * pd_jobs_t (pd_blocked.h): for every pair of output channels (then an odd
 * last one), every job, group by group (2 or 1 output pixels).
 *
 * Inner step, 2 channels x 2 pixels: 19 cycles per 4 MACs on the M0+, 8 when
 * both activations are 0 (then no product can change a sum):
 *   ldrb x0 ; ldrb x1 ; adds t, x0, x1 ; beq next ; ldrsb w0 ;
 *   muls t, w0 ; add r9, t ; muls w0, x0 ; add r8, w0 ; ldrsb w1 ;
 *   2x (muls, add) ; next: adds i, #1
 * The zero test's t = x0 + x1 saves the copy of w0 that two destructive
 * muls would need: channel 0 sums w0 * (x0 + x1) into r9, and pixel 1's sum
 * is r9 - r8 (M0_PIXEL1), taken once per group.
 * r0 = weight index i (over a segment's [w_off, w_end)), r1/r2 = weights of
 * the two channels, r3 = activations of pixel 0 (pixel 1 at +PD_M0_DX), r4-r7
 * temps, r8-r11 the four int32 sums, r12 = w_end, lr = the next segment;
 * unrolled by PD_M0_CHUNK with immediate activation offsets. A single output
 * channel takes two groups at once (1 channel x 4 pixels: 5 loads per 4 MACs,
 * no move); a single pixel 2 channels x 1 pixel. Requantization is
 * pd_requantize's arithmetic in 12 to 15 cycles per output (7 for a sum <= 0).
 *
 * Assembled (through the C preprocessor: a .S) by the builds for the
 * Cortex-M0+: natmod/pipnet.mk with ARCH=armv6m, bench/rp2040/Makefile.
 * pd_blocked_m0.c checks at compile time that the struct offsets below (R_*)
 * and PD_M0_DX = PD_M0_CHUNK = 8 are what the C side has. */

    .syntax unified
    .thumb
    .text
/* pd_jobs_t field offsets (pd_blocked.h) */
    .equ R_JOB, 0
    .equ R_W, 4
    .equ R_WCO, 8
    .equ R_BIAS, 12
    .equ R_MULT, 16
    .equ R_SHIFT, 20
    .equ R_OUTDX, 24
    .equ R_NCO, 28
    .equ R_GDX, 32
    .equ R_GOUT, 36
/* the frame: the call's constants, the channel pair's walking pointers and */
/* requantization parameters, then the job's and the group's walking values */
    .equ F_JOB0, 0
    .equ F_WCO, 4
    .equ F_ODX, 8
    .equ F_GDX, 12
    .equ F_GOUTD, 16
    .equ F_W, 20
    .equ F_W1, 24
    .equ F_BP, 28
    .equ F_MP, 32
    .equ F_SP, 36
    .equ F_COFF, 40
    .equ F_LEFT, 44
    .equ F_B0, 48
    .equ F_B1, 52
    .equ F_P0, 56
    .equ F_P1, 68
    .equ F_JP, 80
    .equ F_SEG, 84
    .equ F_OUT, 88
    .equ F_GOFF, 92
    .equ F_GLEFT, 96
    .equ F_SIZE, 100

/* one step at activation offset k: ch channels (weights r1, r2) x px pixels (r3, r3 + 8; */
/* 4 pixels: two groups, r3 + 16, r3 + 24, for a single channel); */
/* the products are skipped when the step's activations are all 0 */
    .macro M0_STEP ch, px, k
    .if \ch == 2 && \px == 2
    ldrb  r5, [r3, #\k]
    ldrb  r6, [r3, #\k + 8]
    adds  r7, r5, r6
    beq   1f
    ldrsb r4, [r1, r0]
    muls  r7, r4, r7
    add   r9, r7
    muls  r4, r5, r4
    add   r8, r4
    ldrsb r4, [r2, r0]
    muls  r5, r4, r5
    add   r10, r5
    muls  r6, r4, r6
    add   r11, r6
    .elseif \ch == 2
    ldrb  r6, [r3, #\k]
    cmp   r6, #0
    beq   1f
    ldrsb r4, [r1, r0]
    ldrsb r5, [r2, r0]
    muls  r4, r6, r4
    add   r8, r4
    muls  r5, r6, r5
    add   r10, r5
    .elseif \px == 4
    ldrb  r4, [r3, #\k]
    ldrb  r5, [r3, #\k + 8]
    ldrb  r6, [r3, #\k + 16]
    ldrb  r7, [r3, #\k + 24]
    adds  r2, r4, r5
    adds  r2, r2, r6
    adds  r2, r2, r7
    beq   1f
    ldrsb r2, [r1, r0]
    muls  r4, r2, r4
    add   r8, r4
    muls  r5, r2, r5
    add   r9, r5
    muls  r6, r2, r6
    add   r10, r6
    muls  r7, r2, r7
    add   r11, r7
    .elseif \px == 2
    ldrb  r5, [r3, #\k]
    ldrb  r6, [r3, #\k + 8]
    adds  r7, r5, r6
    beq   1f
    ldrsb r4, [r1, r0]
    muls  r5, r4, r5
    add   r8, r5
    muls  r6, r4, r6
    add   r9, r6
    .else
    ldrb  r5, [r3, #\k]
    cmp   r5, #0
    beq   1f
    ldrsb r4, [r1, r0]
    muls  r5, r4, r5
    add   r8, r5
    .endif
1:  adds  r0, #1
    .endm

/* every segment from lr on, x moved by F_GOFF, into r8-r11 (r1, r2 set). The */
/* steps are too long for a conditional branch back: the loops close with b. */
    .macro M0_SEGS ch, px, lbl
    b     \lbl\()_next
\lbl\()_chunk:
    .irp k, 0, 1, 2, 3, 4, 5, 6, 7
    M0_STEP \ch, \px, \k
    .endr
    adds  r3, #8
    cmp   r0, r12
    beq   \lbl\()_next
    b     \lbl\()_chunk
\lbl\()_next:
    mov   r4, lr
    ldm   r4!, {r0, r3, r5}
    mov   lr, r4
    mov   r12, r5
    cmp   r3, #0
    beq   \lbl\()_done
    ldr   r4, [sp, #F_GOFF]
    adds  r3, r3, r4
    b     \lbl\()_chunk
\lbl\()_done:
    .endm

/* channel 0's pixel 1 after a 2x2 group: r9 held (2 x bias +) w0 * (x0 + x1) */
    .macro M0_PIXEL1
    mov   r4, r9
    mov   r5, r8
    subs  r4, r4, r5
    mov   r9, r4
    .endm

/* r0 = requantize(r0): r2 rounding, r3 shift, r5 mult, r1 = 32768; r4 clobbered */
    .macro M0_REQ
    cmp   r0, #0
    ble   1f
    adds  r0, r0, r2
    lsrs  r0, r0, r3
    lsrs  r4, r0, #16
    bne   2f
3:  muls  r0, r5, r0
    adds  r0, r0, r1
    lsrs  r0, r0, #16
    cmp   r0, #255
    bls   4f
    movs  r0, #255
    b     4f
2:  movs  r0, #255
    lsls  r0, r0, #8
    adds  r0, r0, #255
    b     3b
1:  movs  r0, #0
4:
    .endm

/* the sum in register hi, pixel p: r7 = out (this channel), r6 = out_dx (bytes) */
    .macro M0_EMIT acc, hi, p
    .if \acc
    .if \p
    ldr   r0, [r7, r6]
    add   r0, \hi
    str   r0, [r7, r6]
    .else
    ldr   r0, [r7, #0]
    add   r0, \hi
    str   r0, [r7, #0]
    .endif
    .else
    mov   r0, \hi
    M0_REQ
    .if \p
    strb  r0, [r7, r6]
    .else
    strb  r0, [r7, #0]
    .endif
    .endif
    .endm

/* before the first M0_EMIT of a group: r7 = out, r6 = out_dx and, when requantizing,
   * M0_REQ's r1 = 32768 and the first channel's rounding, shift and mult (r2, r3, r5) */
    .macro M0_EMIT_START acc
    ldr   r7, [sp, #F_OUT]
    ldr   r6, [sp, #F_ODX]
    .if !\acc
    movs  r1, #128
    lsls  r1, r1, #8
    add   r4, sp, #F_P0
    ldm   r4!, {r2, r3, r5}
    .endif
    .endm

/* the requantization parameters of ch channels into F_B0.. and F_P0.. */
    .macro M0_PARAMS ch
    ldr   r4, [sp, #F_BP]
    ldm   r4!, {r5}
    .if \ch == 2
    ldm   r4!, {r6}
    str   r6, [sp, #F_B1]
    .endif
    str   r4, [sp, #F_BP]
    str   r5, [sp, #F_B0]
    ldr   r4, [sp, #F_MP]
    ldrh  r5, [r4, #0]
    .if \ch == 2
    ldrh  r6, [r4, #2]
    .endif
    adds  r4, #4
    str   r4, [sp, #F_MP]
    ldr   r4, [sp, #F_SP]
    ldrb  r3, [r4, #0]
    .if \ch == 2
    ldrb  r7, [r4, #1]
    .endif
    adds  r4, #2
    str   r4, [sp, #F_SP]
    movs  r2, #1
    lsls  r2, r2, r3
    lsrs  r2, r2, #1
    add   r4, sp, #F_P0
    stm   r4!, {r2, r3, r5}
    .if \ch == 2
    movs  r2, #1
    lsls  r2, r2, r7
    lsrs  r2, r2, #1
    mov   r3, r7
    mov   r5, r6
    stm   r4!, {r2, r3, r5}
    .endif
    .endm

/* every group of the current job (F_SEG, F_OUT, F_GOFF, F_GLEFT) for ch channels */
    .macro M0_GROUPS ch, px, acc, lbl
\lbl\()_group:
    .if \acc
    movs  r5, #0
    mov   r8, r5
    mov   r9, r5
    mov   r10, r5
    mov   r11, r5
    .else
    ldr   r5, [sp, #F_B0]
    mov   r8, r5
    .if \ch == 2 && \px == 2
    adds  r5, r5, r5
    .endif
    mov   r9, r5
    .if \ch == 2
    ldr   r6, [sp, #F_B1]
    mov   r10, r6
    mov   r11, r6
    .endif
    .endif
    ldr   r4, [sp, #F_SEG]
    mov   lr, r4
    ldr   r1, [sp, #F_W]
    ldr   r2, [sp, #F_W1]
    M0_SEGS \ch, \px, \lbl
    .if \ch == 2 && \px == 2
    M0_PIXEL1
    .endif
    M0_EMIT_START \acc
    M0_EMIT \acc, r8, 0
    .if \px == 2
    M0_EMIT \acc, r9, 1
    .endif
    .if \ch == 2
    .if \acc
    adds  r7, #4
    .else
    add   r4, sp, #F_P1
    ldm   r4!, {r2, r3, r5}
    adds  r7, #1
    .endif
    M0_EMIT \acc, r10, 0
    .if \px == 2
    M0_EMIT \acc, r11, 1
    .endif
    .endif
    ldr   r4, [sp, #F_OUT]
    ldr   r5, [sp, #F_GOUTD]
    adds  r4, r4, r5
    str   r4, [sp, #F_OUT]
    ldr   r4, [sp, #F_GOFF]
    ldr   r5, [sp, #F_GDX]
    adds  r4, r4, r5
    str   r4, [sp, #F_GOFF]
    ldr   r4, [sp, #F_GLEFT]
    subs  r4, #1
    str   r4, [sp, #F_GLEFT]
    beq   \lbl\()_end
    b     \lbl\()_group
\lbl\()_end:
    .endm

/* one channel, the current job's groups two at a time (4 pixels) while two are left */
    .macro M0_QUADS acc, lbl
\lbl\()_quad:
    ldr   r4, [sp, #F_GLEFT]
    cmp   r4, #2
    bge   1f
    b     \lbl\()_end
1:
    .if \acc
    movs  r5, #0
    .else
    ldr   r5, [sp, #F_B0]
    .endif
    mov   r8, r5
    mov   r9, r5
    mov   r10, r5
    mov   r11, r5
    ldr   r4, [sp, #F_SEG]
    mov   lr, r4
    ldr   r1, [sp, #F_W]
    M0_SEGS 1, 4, \lbl
    M0_EMIT_START \acc
    M0_EMIT \acc, r8, 0
    M0_EMIT \acc, r9, 1
    ldr   r4, [sp, #F_GOUTD]
    adds  r7, r7, r4
    M0_EMIT \acc, r10, 0
    M0_EMIT \acc, r11, 1
    ldr   r4, [sp, #F_OUT]
    ldr   r5, [sp, #F_GOUTD]
    lsls  r5, r5, #1
    adds  r4, r4, r5
    str   r4, [sp, #F_OUT]
    ldr   r4, [sp, #F_GOFF]
    ldr   r5, [sp, #F_GDX]
    lsls  r5, r5, #1
    adds  r4, r4, r5
    str   r4, [sp, #F_GOFF]
    ldr   r4, [sp, #F_GLEFT]
    subs  r4, #2
    str   r4, [sp, #F_GLEFT]
    b     \lbl\()_quad
\lbl\()_end:
    .endm

/* every job of the call for ch channels (F_W, F_W1, F_COFF and the parameters set) */
    .macro M0_JOBS ch, acc, lbl
    ldr   r4, [sp, #F_JOB0]
    str   r4, [sp, #F_JP]
\lbl\()_job:
    ldr   r4, [sp, #F_JP]
    ldm   r4!, {r0, r1, r2, r3, r5}
    str   r4, [sp, #F_JP]
    cmp   r2, #0
    bne   1f
    b     \lbl\()_done
1:  str   r0, [sp, #F_SEG]
    ldr   r4, [sp, #F_COFF]
    adds  r1, r1, r4
    str   r1, [sp, #F_OUT]
    str   r2, [sp, #F_GLEFT]
    str   r5, [sp, #F_GOFF]
    cmp   r3, #2
    bne   2f
    b     \lbl\()_two
2:
    M0_GROUPS \ch, 1, \acc, \lbl\()_p1
    b     \lbl\()_job
\lbl\()_two:
    .if \ch == 1
    M0_QUADS \acc, \lbl\()_p4
    ldr   r4, [sp, #F_GLEFT]
    cmp   r4, #0
    bne   3f
    b     \lbl\()_job
3:
    .endif
    M0_GROUPS \ch, 2, \acc, \lbl\()_p2
    b     \lbl\()_job
\lbl\()_done:
    .endm

/* void name(const pd_jobs_t *j): channel pairs, then an odd last channel */
    .macro M0_CALL name, acc
    .global \name
    .type \name, %function
    .thumb_func
\name:
    push  {r4-r7, lr}
    mov   r4, r8
    mov   r5, r9
    mov   r6, r10
    mov   r7, r11
    push  {r4-r7}
    sub   sp, #F_SIZE
    ldr   r1, [r0, #R_JOB]
    str   r1, [sp, #F_JOB0]
    ldr   r1, [r0, #R_W]
    str   r1, [sp, #F_W]
    ldr   r1, [r0, #R_WCO]
    str   r1, [sp, #F_WCO]
    ldr   r1, [r0, #R_BIAS]
    str   r1, [sp, #F_BP]
    ldr   r1, [r0, #R_MULT]
    str   r1, [sp, #F_MP]
    ldr   r1, [r0, #R_SHIFT]
    str   r1, [sp, #F_SP]
    ldr   r1, [r0, #R_OUTDX]
    str   r1, [sp, #F_ODX]
    ldr   r1, [r0, #R_NCO]
    str   r1, [sp, #F_LEFT]
    ldr   r1, [r0, #R_GDX]
    str   r1, [sp, #F_GDX]
    ldr   r1, [r0, #R_GOUT]
    str   r1, [sp, #F_GOUTD]
    movs  r1, #0
    str   r1, [sp, #F_COFF]
\name\()_pair:
    ldr   r5, [sp, #F_LEFT]
    cmp   r5, #2
    bge   5f
    b     \name\()_tail
5:
    .if !\acc
    M0_PARAMS 2
    .endif
    ldr   r1, [sp, #F_W]
    ldr   r4, [sp, #F_WCO]
    adds  r2, r1, r4
    str   r2, [sp, #F_W1]
    M0_JOBS 2, \acc, \name\()_c2
    ldr   r4, [sp, #F_W]
    ldr   r5, [sp, #F_WCO]
    lsls  r5, r5, #1
    adds  r4, r4, r5
    str   r4, [sp, #F_W]
    ldr   r4, [sp, #F_COFF]
    .if \acc
    adds  r4, #8
    .else
    adds  r4, #2
    .endif
    str   r4, [sp, #F_COFF]
    ldr   r4, [sp, #F_LEFT]
    subs  r4, #2
    str   r4, [sp, #F_LEFT]
    b     \name\()_pair
\name\()_tail:
    cmp   r5, #0
    bne   6f
    b     \name\()_exit
6:
    .if !\acc
    M0_PARAMS 1
    .endif
    M0_JOBS 1, \acc, \name\()_c1
\name\()_exit:
    add   sp, #F_SIZE
    pop   {r4-r7}
    mov   r8, r4
    mov   r9, r5
    mov   r10, r6
    mov   r11, r7
    pop   {r4-r7, pc}
    .size \name, . - \name
    .endm

    M0_CALL pd_m0_jobs, 0
    M0_CALL pd_m0_jobs_acc, 1
