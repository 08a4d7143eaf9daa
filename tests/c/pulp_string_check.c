/* Host check of runtime/pulp/string.c (built with -DEDGEFT_LIBM_PREFIX=edgeft_):
   memcpy, memset, memmove (both overlap directions), memcmp and strlen over
   all source/destination alignments 0..7 and sizes 0..67 plus a few large
   sizes, against byte-by-byte references; bytes around the destination must
   stay untouched. Prints "ok" or the first failure and exits 1. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

void *edgeft_memcpy(void *restrict, const void *restrict, size_t);
void *edgeft_memmove(void *, const void *, size_t);
void *edgeft_memset(void *, int, size_t);
int edgeft_memcmp(const void *, const void *, size_t);
size_t edgeft_strlen(const char *);

#define BUF 8192
static _Alignas(8) unsigned char src[BUF], dst[BUF], ref[BUF];
static const size_t large[] = {255, 1000, 1024, 4099};

static void fill(unsigned char *p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(seed + i * 131u + (i >> 8));
}
static int same(const char *what, size_t a, size_t b, size_t n) {
  for (size_t i = 0; i < BUF; i++)
    if (dst[i] != ref[i]) {
      printf("%s: dst align %zu src align %zu size %zu: byte %zu differs\n", what, a, b, n, i);
      return 0;
    }
  return 1;
}
static int check_size(size_t a, size_t b, size_t n) {
  void *r;
  /* memcpy */
  fill(src, BUF, 7); fill(dst, BUF, 99); fill(ref, BUF, 99);
  for (size_t i = 0; i < n; i++) ref[64 + a + i] = src[64 + b + i];
  r = edgeft_memcpy(dst + 64 + a, src + 64 + b, n);
  if (r != dst + 64 + a || !same("memcpy", a, b, n)) return 0;
  /* memset */
  fill(dst, BUF, 99); fill(ref, BUF, 99);
  for (size_t i = 0; i < n; i++) ref[64 + a + i] = 0xA5;
  r = edgeft_memset(dst + 64 + a, 0x1A5, n);
  if (r != dst + 64 + a || !same("memset", a, b, n)) return 0;
  /* memmove within one buffer, destination after and before the source */
  for (int dir = 0; dir < 2; dir++) {
    size_t so = 64 + b + (dir ? 3 : 0), d0 = 64 + a + (dir ? 0 : 3);
    fill(dst, BUF, 42); fill(ref, BUF, 42);
    unsigned char tmp[BUF];
    for (size_t i = 0; i < n; i++) tmp[i] = ref[so + i];
    for (size_t i = 0; i < n; i++) ref[d0 + i] = tmp[i];
    r = edgeft_memmove(dst + d0, dst + so, n);
    if (r != dst + d0 || !same(dir ? "memmove back" : "memmove fwd", a, b, n)) return 0;
  }
  /* memcmp: equal, then one byte changed at each end */
  fill(src, BUF, 7); fill(dst, BUF, 7);
  if (edgeft_memcmp(dst + 64 + a, src + 64 + a, n) != 0) { printf("memcmp equal %zu\n", n); return 0; }
  if (n) {
    dst[64 + a + n - 1] ^= 0x80;
    int c = edgeft_memcmp(dst + 64 + a, src + 64 + a, n);
    if ((c > 0) != (dst[64 + a + n - 1] > src[64 + a + n - 1]) || c == 0) { printf("memcmp %zu\n", n); return 0; }
  }
  return 1;
}

int main(void) {
  for (size_t a = 0; a < 8; a++)
    for (size_t b = 0; b < 8; b++) {
      for (size_t n = 0; n < 68; n++)
        if (!check_size(a, b, n)) return 1;
      for (size_t k = 0; k < sizeof large / sizeof large[0]; k++)
        if (!check_size(a, b, large[k])) return 1;
    }
  char s[80];
  for (size_t a = 0; a < 8; a++)
    for (size_t n = 0; n < 70; n++) {
      for (size_t i = 0; i < n; i++) s[a + i] = 'x';
      s[a + n] = 0;
      if (edgeft_strlen(s + a) != n) { printf("strlen align %zu size %zu\n", a, n); return 1; }
    }
  puts("ok");
  return 0;
}
