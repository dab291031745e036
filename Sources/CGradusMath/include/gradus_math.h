#ifndef GRADUS_MATH_H
#define GRADUS_MATH_H

// Square roots that never set errno.
//
// Swift's `Float.squareRoot()` goes through `__builtin_sqrtf`, which on Linux keeps C's errno
// semantics (-fmath-errno is the default there): a branch to the libm call for negative inputs that
// stops LLVM from vectorizing any loop containing it. `__builtin_elementwise_sqrt` is the IEEE square
// root without errno; inlined into Swift loops, it vectorizes (sqrtps/vsqrtps).
static inline float gradus_sqrtf(float x) { return __builtin_elementwise_sqrt(x); }
static inline double gradus_sqrt(double x) { return __builtin_elementwise_sqrt(x); }

// Subnormal floats flushed to zero, for the calling thread, between begin and end (x86's MXCSR
// flush-to-zero and denormals-are-zero bits; elsewhere a no-op). Arithmetic on subnormal numbers
// takes a microcode assist of about a hundred cycles per operation on x86: optimizer state that
// decays geometrically (momentum of a weight whose gradient is always zero, such as MNIST's border
// pixels) passes through that range and made SGD's update 23% of an MNIST epoch.
static inline unsigned gradus_flush_subnormals_begin(void) {
#if defined(__x86_64__)
    unsigned saved = __builtin_ia32_stmxcsr();
    __builtin_ia32_ldmxcsr(saved | 0x8040u);
    return saved;
#else
    return 0;
#endif
}

static inline void gradus_flush_subnormals_end(unsigned saved) {
#if defined(__x86_64__)
    // The saved mode, keeping the sticky exception flags (bits 0-5) raised in between.
    __builtin_ia32_ldmxcsr(saved | (__builtin_ia32_stmxcsr() & 0x3Fu));
#else
    (void)saved;
#endif
}

// A hint to the CPU that the caller is spinning on a memory location (x86's `pause`): it saves power
// and lets the other hardware thread of the core run while a worker waits for work.
static inline void gradus_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#endif
