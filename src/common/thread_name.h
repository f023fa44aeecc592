/* thread_name.h: names the calling thread, so that top -H, perf and bench/run.sh's per-thread
 * figures tell the writer from the upkeep and the HTTP threads. */
#ifndef PS_COMMON_THREAD_NAME_H
#define PS_COMMON_THREAD_NAME_H

/* Sets the calling thread's name (Linux keeps the first 15 bytes). Best effort: a failure is
 * ignored, a name is only a label. */
void ps_thread_set_name(const char *name);

#endif
