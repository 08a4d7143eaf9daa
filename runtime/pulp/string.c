/* edgeft's memcpy/memmove/memset/memcmp/strlen for the PULP cluster, also
   linked into every RV32 program in place of picolibc's byte loops
   (edgeft.backends.toolchain.STRING_C).

   memcpy, memmove and memset move 32-bit words when the two pointers agree
   modulo 4 (bytes for the head up to the first aligned address and for the
   tail): a byte loop costs twice the cycles on the cluster cores. memcpy
   also merges aligned words by shifts when the pointers disagree modulo 4
   (memmove copies bytes then). Build with
   -fno-builtin; the functions are also marked so that the compiler does not
   turn their loops back into calls to themselves. */
#include <stdint.h>
#include <string.h>

#if defined(__clang__)
#define NO_LIBCALLS __attribute__((no_builtin))
#elif defined(__GNUC__)
#define NO_LIBCALLS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define NO_LIBCALLS
#endif

/* a word that may alias any object */
typedef uint32_t __attribute__((may_alias)) word_t;

NO_LIBCALLS void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  if ((((uintptr_t)d ^ (uintptr_t)s) & 3u) == 0) {
    while (n && ((uintptr_t)d & 3u)) { *d++ = *s++; n--; }
    word_t *dw = (word_t *)(void *)d;
    const word_t *sw = (const word_t *)(const void *)s;
    for (; n >= 16; n -= 16, dw += 4, sw += 4) {
      word_t a = sw[0], b = sw[1], c = sw[2], e = sw[3];
      dw[0] = a; dw[1] = b; dw[2] = c; dw[3] = e;
    }
    for (; n >= 4; n -= 4) *dw++ = *sw++;
    d = (unsigned char *)dw;
    s = (const unsigned char *)sw;
  }
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  else if (n >= 16) {
    /* mutually misaligned: aligned word loads merged by shifts. The loads
       stay inside the aligned words that hold the source's first and last
       bytes, so they read at most 3 bytes beside the source, never another
       word. */
    while ((uintptr_t)d & 3u) { *d++ = *s++; n--; }
    unsigned off = (unsigned)((uintptr_t)s & 3u), lo = 8u * off, hi = 32u - lo;
    const word_t *sw = (const word_t *)(const void *)(s - off);
    word_t *dw = (word_t *)(void *)d;
    word_t cur = *sw++;
    for (; n >= 4; n -= 4) {
      word_t next = *sw++;
      *dw++ = (cur >> lo) | (next << hi);
      cur = next;
    }
    d = (unsigned char *)dw;
    s = (const unsigned char *)sw - 4 + off;
  }
#endif
  while (n--) *d++ = *s++;
  return dst;
}

NO_LIBCALLS void *memmove(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  if (d == s || n == 0) return dst;
  if ((uintptr_t)d - (uintptr_t)s >= n) { /* d before s, or no overlap: forwards */
    if ((((uintptr_t)d ^ (uintptr_t)s) & 3u) == 0) {
      while (n && ((uintptr_t)d & 3u)) { *d++ = *s++; n--; }
      word_t *dw = (word_t *)(void *)d;
      const word_t *sw = (const word_t *)(const void *)s;
      for (; n >= 4; n -= 4) *dw++ = *sw++;
      d = (unsigned char *)dw;
      s = (const unsigned char *)sw;
    }
    while (n--) *d++ = *s++;
    return dst;
  }
  /* d after s, overlapping: backwards from the ends */
  d += n;
  s += n;
  if ((((uintptr_t)d ^ (uintptr_t)s) & 3u) == 0) {
    while (n && ((uintptr_t)d & 3u)) { *--d = *--s; n--; }
    word_t *dw = (word_t *)(void *)d;
    const word_t *sw = (const word_t *)(const void *)s;
    for (; n >= 4; n -= 4) *--dw = *--sw;
    d = (unsigned char *)dw;
    s = (const unsigned char *)sw;
  }
  while (n--) *--d = *--s;
  return dst;
}

NO_LIBCALLS void *memset(void *dst, int c, size_t n) {
  unsigned char *d = dst;
  unsigned char b = (unsigned char)c;
  while (n && ((uintptr_t)d & 3u)) { *d++ = b; n--; }
  word_t v = 0x01010101u * b;
  word_t *dw = (word_t *)(void *)d;
  for (; n >= 16; n -= 16, dw += 4) { dw[0] = v; dw[1] = v; dw[2] = v; dw[3] = v; }
  for (; n >= 4; n -= 4) *dw++ = v;
  d = (unsigned char *)dw;
  while (n--) *d++ = b;
  return dst;
}

NO_LIBCALLS int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *p = a, *q = b;
  for (; n; n--, p++, q++)
    if (*p != *q) return *p < *q ? -1 : 1;
  return 0;
}

NO_LIBCALLS size_t strlen(const char *s) {
  const char *p = s;
  while (*p) p++;
  return (size_t)(p - s);
}
