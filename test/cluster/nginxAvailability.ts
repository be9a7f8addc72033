/**
 * The cluster tests need Debian's nginx. Without it they skip, loudly; with
 * EXPOTION_REQUIRE_NGINX=1 (set by .ci/run, which installs it) a missing nginx fails them.
 */
import { nginxAvailable } from '../../scripts/cluster/cluster.js';

export const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';

/** Why the cluster tests cannot run here, or null when they can. */
export function nginxUnavailable(): string | null {
  if (nginxAvailable(NGINX)) return null;
  const why = `the cluster tests need nginx at ${NGINX} (apt-get install -y nginx)`;
  if (process.env.EXPOTION_REQUIRE_NGINX === '1') throw new Error(`EXPOTION_REQUIRE_NGINX=1 but ${why}`);
  const line = '!'.repeat(100);
  console.warn(`\n${line}\n!! SKIPPING the nginx cluster tests: ${why}\n${line}\n`);
  return why;
}
