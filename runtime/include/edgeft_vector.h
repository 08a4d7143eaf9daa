/* edgeft runtime: the f32 vectors of the host's register blocks.
 *
 * edgeft-register-block{vector=N} makes a block's columns one
 * vector<N x f32> of MLIR's vector dialect; the emitter spells it as a GCC
 * generic vector (gcc and clang alike). Their +, -, * and / work lane by
 * lane and round as the scalar operators do, so a kernel on vectors gives
 * each element the bits the scalar kernel gives it. A column of a tile need
 * not be aligned: loads and stores go through the `_u` types (alignment of
 * a float, and they may alias the floats they read). Where the target has
 * no vector registers the compiler splits the operations into scalar ones.
 */
#ifndef EDGEFT_VECTOR_H
#define EDGEFT_VECTOR_H

#if defined(__GNUC__)
typedef float edgeft_v4f __attribute__((vector_size(16)));
typedef float edgeft_v8f __attribute__((vector_size(32)));
typedef float edgeft_v16f __attribute__((vector_size(64)));
typedef float edgeft_v4f_u __attribute__((vector_size(16), aligned(4), may_alias));
typedef float edgeft_v8f_u __attribute__((vector_size(32), aligned(4), may_alias));
typedef float edgeft_v16f_u __attribute__((vector_size(64), aligned(4), may_alias));

/* The vector of type T (edgeft_v8f, ...) at the float pointer P; stored. */
#define EDGEFT_VLOAD(T, P) (*(const T##_u *)(P))
#define EDGEFT_VSTORE(T, P, V) (*(T##_u *)(P) = (V))

/* arith.maximumf / minimumf lane by lane, as edgeft_maximumf / minimumf
 * (edgeft_minmax.h) and without a branch: the greater (lesser) operand; of
 * two equal ones their bits ANDed (ORed), so +0 over -0 (-0 under +0);
 * a + b, a quiet NaN, where either is a NaN. Comparisons give lanes of all
 * ones or zeros, and a cast between vectors of one size keeps the bits. */
#define EDGEFT_VMAXIMUMF(T, A, B) __extension__({ \
    const T a_ = (A), b_ = (B); \
    const __typeof__(a_ > b_) gt_ = a_ > b_, lt_ = a_ < b_, eq_ = a_ == b_; \
    const __typeof__(gt_) ia_ = (__typeof__(gt_))a_, ib_ = (__typeof__(gt_))b_; \
    (T)((ia_ & gt_) | (ib_ & lt_) | (ia_ & ib_ & eq_) | \
        ((__typeof__(gt_))(a_ + b_) & ~(gt_ | lt_ | eq_))); })
#define EDGEFT_VMINIMUMF(T, A, B) __extension__({ \
    const T a_ = (A), b_ = (B); \
    const __typeof__(a_ > b_) gt_ = a_ > b_, lt_ = a_ < b_, eq_ = a_ == b_; \
    const __typeof__(gt_) ia_ = (__typeof__(gt_))a_, ib_ = (__typeof__(gt_))b_; \
    (T)((ia_ & lt_) | (ib_ & gt_) | ((ia_ | ib_) & eq_) | \
        ((__typeof__(gt_))(a_ + b_) & ~(gt_ | lt_ | eq_))); })
#endif

#endif
