/*
 * rng.h: the seeded pseudo-random numbers of `playstat simulate` (xoshiro256**, seeded through
 * splitmix64), and the distributions its behaviour models draw from.
 *
 * Determinism is the point: a generator is a value seeded from (seed, stream), so every
 * simulated player, match or live session gets its own stream and draws the same numbers
 * whatever order the threads run in. Not for secrets: the CSPRNG is common/random.h.
 */
#ifndef PS_SIM_RNG_H
#define PS_SIM_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct ps_sim_rng {
  uint64_t s[4];
} ps_sim_rng;

/* A generator for stream `stream` of seed `seed`; different pairs give unrelated streams. */
void ps_sim_rng_init(ps_sim_rng *r, uint64_t seed, uint64_t stream);
uint64_t ps_sim_rng_u64(ps_sim_rng *r);
/* Uniform in [0, 1). */
double ps_sim_uniform(ps_sim_rng *r);
/* Uniform integer in [0, n); 0 when n is 0. */
size_t ps_sim_below(ps_sim_rng *r, size_t n);
/* Uniform integer in [lo, hi] (lo <= hi). */
int64_t ps_sim_range(ps_sim_rng *r, int64_t lo, int64_t hi);
/* 1 with probability p. */
int ps_sim_chance(ps_sim_rng *r, double p);
/* Exponential with the given mean. */
double ps_sim_exponential(ps_sim_rng *r, double mean);
/* Log-normal with the given median and sigma (the spread of its logarithm). */
double ps_sim_lognormal(ps_sim_rng *r, double median, double sigma);
/* An index in [0, n) drawn with the given non-negative weights (not all zero). */
size_t ps_sim_weighted(ps_sim_rng *r, const double *weights, size_t n);
/* An index in [0, n) with Zipf-like popularity: index k has weight 1 / (k + 1). */
size_t ps_sim_zipf(ps_sim_rng *r, size_t n);
/* A lowercase UUID version 4 from the generator's next 128 bits, into out[37]. */
void ps_sim_uuid(ps_sim_rng *r, char out[37]);

/* Picks an element of a static array: PS_SIM_PICK(rng, array). */
#define PS_SIM_PICK(r, array) ((array)[ps_sim_below((r), sizeof(array) / sizeof *(array))])

#endif
