'use strict';
// Seeded randomness for simulations: the same seed replays the same population, so a failure
// printed with its seed can be reproduced (PLAYSTAT_SIM_SEED=...). Node built-ins only.

/** mulberry32: a small, fast 32-bit PRNG; returns a function giving floats in [0, 1). */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of a simulation: PLAYSTAT_SIM_SEED when set, else fallback. */
function simulationSeed(fallback) {
  return Number(process.env.PLAYSTAT_SIM_SEED || fallback);
}

module.exports = { mulberry32, simulationSeed };
