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
#endif

#endif
