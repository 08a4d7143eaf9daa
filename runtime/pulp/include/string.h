/* edgeft's <string.h> for the PULP cluster (no libc there), implemented in
   runtime/pulp/string.c. EDGEFT_LIBM_PREFIX (see math.h) prefixes the names
   for a host test. */
#ifndef EDGEFT_PULP_STRING_H
#define EDGEFT_PULP_STRING_H

#include <stddef.h>

#ifdef EDGEFT_LIBM_PREFIX
#define EDGEFT_STRING_CAT2(a, b) a##b
#define EDGEFT_STRING_CAT(a, b) EDGEFT_STRING_CAT2(a, b)
#define memcpy EDGEFT_STRING_CAT(EDGEFT_LIBM_PREFIX, memcpy)
#define memmove EDGEFT_STRING_CAT(EDGEFT_LIBM_PREFIX, memmove)
#define memset EDGEFT_STRING_CAT(EDGEFT_LIBM_PREFIX, memset)
#define memcmp EDGEFT_STRING_CAT(EDGEFT_LIBM_PREFIX, memcmp)
#define strlen EDGEFT_STRING_CAT(EDGEFT_LIBM_PREFIX, strlen)
#endif

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif /* EDGEFT_PULP_STRING_H */
