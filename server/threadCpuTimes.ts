/**
 * How long each thread waited for a CPU (Linux): /proc/self/task/<tid>/schedstat holds the time a
 * thread ran and the time it was runnable but waiting on a run queue (ns). On a small machine a
 * thread can wait for a core as long as it works while the machine looks half idle, and its
 * timers then fire late although its event loop was not busy: busy time alone cannot tell that
 * from work of its own. Elsewhere (or for a thread that is gone) the figures are null.
 */
import { readFileSync, readlinkSync } from 'node:fs';

export interface ThreadCpuTimes {
  /** Time on a CPU since the thread started (ms). */
  runMs: number;
  /** Time runnable but waiting for a CPU since the thread started (ms). */
  waitMs: number;
}

/** The calling thread's kernel id (Linux), for reading its times from another thread of the process; null elsewhere. */
export function currentThreadId(): number | null {
  try {
    // /proc/thread-self links to <pid>/task/<tid> of the thread that reads it (sync fs calls run on the calling thread).
    const link = readlinkSync('/proc/thread-self');
    const tid = Number(link.slice(link.lastIndexOf('/') + 1));
    return Number.isInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}

/** Thread `tid` of this process: time run and time waited for a CPU; null where unknown. */
export function threadCpuTimes(tid: number): ThreadCpuTimes | null {
  try {
    const [run, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return Number.isFinite(run) && Number.isFinite(wait) ? { runMs: run! / 1e6, waitMs: wait! / 1e6 } : null;
  } catch {
    return null;
  }
}
