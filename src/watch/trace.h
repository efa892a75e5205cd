/* trace: a run in Chrome trace format (logs/trace.json; opens in Perfetto). */
#pragma once
#include "watch/runinfo.h"

/* Write the Chrome trace ({"traceEvents":[...]}, ph "X", microseconds, pid 1, tid = lane+1). */
int run_write_trace(struct run_info *ri, double end, FILE *out);
