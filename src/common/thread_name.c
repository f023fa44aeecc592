/* thread_name.c: see thread_name.h (prctl, so that no _GNU_SOURCE is needed). */
#include "common/thread_name.h"

#include <sys/prctl.h>

void ps_thread_set_name(const char *name) { (void)prctl(PR_SET_NAME, name, 0, 0, 0); }
