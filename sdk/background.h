/*
 * background.h: the library's thread gives way to the game's threads.
 *
 * Why: on a machine with few cores, the library's thread (a SQLite transaction that moves the
 * journal, a gzip, a send) competes with the game's thread for a core. Measured with
 * bench/sdk_event_call.sh, the back-to-back maxima of an event call (4-12 ms, one or more
 * scheduler ticks) were calls that had been preempted (getrusage: an involuntary context
 * switch inside the call), some of them right after the call woke the library's thread.
 *
 * What: ps_sdk_background_thread() puts the calling thread under SCHED_BATCH, the scheduler
 * policy for work that is not interactive: on Linux a waking SCHED_BATCH thread never
 * preempts a running normal one (the game), it only takes a core that is free or whose time
 * slice ended. Its share of the CPU is unchanged (same nice value), so under a game that
 * keeps every core busy it still gets its turn: the journal moves and events go, only later.
 * Unprivileged (no capability is needed to take SCHED_BATCH); elsewhere than Linux, or when
 * refused, it does nothing: the policy is an optimisation, not a guarantee.
 */
#ifndef PS_SDK_BACKGROUND_H
#define PS_SDK_BACKGROUND_H

/* Makes the calling thread a background one (above). 0 when done, -1 when the system
 * refused or has no such policy (the thread then runs as before). */
int ps_sdk_background_thread(void);

#endif
