/** What the server says about itself after a fuzz: sessions still open, errors that escaped its handlers. */

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function openSessions(url: string): Promise<number | null> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as { sessions?: unknown };
    return typeof body.sessions === 'number' ? body.sessions : null;
  } catch {
    return null;
  }
}

/** Waits (up to `ms`) for /healthz to count no sessions; returns the last count (null: unknown). */
export async function sessionsAfterDrain(url: string, ms: number): Promise<number | null> {
  const until = performance.now() + ms;
  let n = await openSessions(url);
  while (n !== null && n > 0 && performance.now() < until) {
    await sleep(200);
    n = await openSessions(url);
  }
  return n;
}

/**
 * Errors the server caught at its last line of defence (uncaughtException, unhandledRejection:
 * expotion_escaped_errors_total in /metrics): it kept serving, but each is a bug. Null when the
 * server has no such metric or /metrics does not answer.
 */
export async function escapedErrors(url: string): Promise<number | null> {
  try {
    const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    // A labelled counter shows no sample before its first increment, only its TYPE line.
    let total: number | null = text.includes('# TYPE expotion_escaped_errors_total') ? 0 : null;
    for (const line of text.split('\n')) {
      if (line.startsWith('expotion_escaped_errors_total')) total = (total ?? 0) + (Number(line.slice(line.lastIndexOf(' ') + 1)) || 0);
    }
    return total;
  } catch {
    return null;
  }
}
