/* rng.c: see rng.h. xoshiro256** by Blackman and Vigna (public domain reference algorithm),
 * state filled by splitmix64 as its authors recommend. */
#include "sim/rng.h"

#include <math.h>
#include <string.h>

#include "common/random.h"

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void ps_sim_rng_init(ps_sim_rng *r, uint64_t seed, uint64_t stream) {
  uint64_t x = seed;
  uint64_t mixed = splitmix64(&x) ^ (stream * 0xd1342543de82ef95ULL + 0x2545f4914f6cdd1dULL);
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&mixed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t ps_sim_rng_u64(ps_sim_rng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double ps_sim_uniform(ps_sim_rng *r) { return (double)(ps_sim_rng_u64(r) >> 11) * 0x1.0p-53; }

size_t ps_sim_below(ps_sim_rng *r, size_t n) {
  return n ? (size_t)(ps_sim_uniform(r) * (double)n) % n : 0;
}

int64_t ps_sim_range(ps_sim_rng *r, int64_t lo, int64_t hi) {
  return lo + (int64_t)ps_sim_below(r, (size_t)(hi - lo + 1));
}

int ps_sim_chance(ps_sim_rng *r, double p) { return ps_sim_uniform(r) < p; }

double ps_sim_exponential(ps_sim_rng *r, double mean) {
  return -mean * log(1.0 - ps_sim_uniform(r));
}

double ps_sim_lognormal(ps_sim_rng *r, double median, double sigma) {
  /* Box-Muller; 1 - u keeps the logarithm's argument in (0, 1]. */
  double u1 = 1.0 - ps_sim_uniform(r), u2 = ps_sim_uniform(r);
  double normal = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
  return median * exp(sigma * normal);
}

size_t ps_sim_weighted(ps_sim_rng *r, const double *weights, size_t n) {
  double total = 0;
  for (size_t i = 0; i < n; i++) total += weights[i];
  double x = ps_sim_uniform(r) * total;
  for (size_t i = 0; i < n; i++) {
    if (x < weights[i]) return i;
    x -= weights[i];
  }
  return n - 1;
}

size_t ps_sim_zipf(ps_sim_rng *r, size_t n) {
  double harmonic = 0;
  for (size_t k = 0; k < n; k++) harmonic += 1.0 / (double)(k + 1);
  double x = ps_sim_uniform(r) * harmonic;
  for (size_t k = 0; k < n; k++) {
    x -= 1.0 / (double)(k + 1);
    if (x < 0) return k;
  }
  return n ? n - 1 : 0;
}

void ps_sim_uuid(ps_sim_rng *r, char out[37]) {
  unsigned char b[16];
  uint64_t hi = ps_sim_rng_u64(r), lo = ps_sim_rng_u64(r);
  for (int i = 0; i < 8; i++) {
    b[i] = (unsigned char)(hi >> (8 * i));
    b[8 + i] = (unsigned char)(lo >> (8 * i));
  }
  ps_uuid_v4_format(b, out);
}
