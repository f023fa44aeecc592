/*
 * hot.h: PS_SDK_HOT marks the functions an event call runs (playstat_design and what it
 * calls in sdk/), so that the compiler puts them in .text.hot and the linker keeps them
 * together.
 *
 * Why: at a game's pace (one call every few milliseconds, the core busy with the game or idle
 * in between) a call starts with cold caches and a cold TLB, and its cost is mostly misses.
 * Its code was spread over ~48 KiB of the library's text (12 pages, a TLB miss each); grouped
 * it spans a few. Costs nothing when cold code is not a concern: the attribute also lets the
 * compiler optimise these functions for speed, which -O2 does anyway.
 */
#ifndef PS_SDK_HOT_H
#define PS_SDK_HOT_H

#if defined(__GNUC__) || defined(__clang__)
#define PS_SDK_HOT __attribute__((hot))
#else
#define PS_SDK_HOT
#endif

#endif
