/**
 * How long this process's threads have waited for a CPU (Linux: the second field of each
 * /proc/self/task/<tid>/schedstat, ns): on cores shared with the server it measures, the time the
 * harness's own threads were ready to stamp an arrival and could not. The server reports its
 * threads' waits itself (/metrics); the harness reads only its own process.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** Time all threads of this process have waited for a CPU so far (ms; threads that ended drop out); null where unknown. */
export function processCpuWaitMs(): number | null {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return null;
  }
  let totalNs = 0;
  for (const tid of tids) {
    try {
      totalNs += Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[1]) || 0;
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return totalNs / 1e6;
}
