/**
 * deploy/nginx/expotion.conf.template renders with every field filled, refuses values that
 * would inject config, and the result passes `nginx -t` inside the main config the cluster runs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { renderMain, renderSite } from '../../scripts/cluster/nginxConfig.js';
import { NGINX, nginxUnavailable } from './nginxAvailability.js';

const upstreams = [
  { host: '127.0.0.1', port: 8081 },
  { host: '10.0.0.12', port: 8080 },
];

describe('nginx config', { timeout: 30_000 }, () => {
  test('the site balances by least connections, proxies WebSockets and fails over on error, timeout and 503', () => {
    const site = renderSite({ listen: '127.0.0.1:8080', upstreams });
    assert.doesNotMatch(site, /\{\{[A-Z_]+\}\}/, 'every field is filled');
    assert.match(site, /least_conn;/);
    assert.match(site, /server 127\.0\.0\.1:8081 max_fails=0;/);
    assert.match(site, /server 10\.0\.0\.12:8080 max_fails=0;/);
    assert.match(site, /proxy_next_upstream error timeout http_503;/);
    assert.match(site, /proxy_set_header Upgrade \$http_upgrade;/);
    assert.match(site, /proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/);
    assert.match(site, /location = \/healthz/);
    assert.match(renderSite({ listen: '80', upstreams: [{ host: '::1', port: 9000 }] }), /server \[::1\]:9000 max_fails=0;/);
  });

  test('values that would inject config are refused', () => {
    assert.throws(() => renderSite({ listen: '80; include /etc/passwd', upstreams }), /listen must be/);
    assert.throws(() => renderSite({ listen: '80', upstreams: [{ host: 'a b', port: 1 }] }), /upstream host/);
    assert.throws(() => renderSite({ listen: '80', upstreams: [{ host: 'x', port: 70000 }] }), /port/);
    assert.throws(() => renderSite({ listen: '80', upstreams: [] }), /at least one/);
    assert.throws(() => renderMain('/tmp/a b', '/tmp/site.conf'), /prefix/);
  });

  test('nginx -t accepts the rendered config', { skip: nginxUnavailable() ?? false }, () => {
    const prefix = mkdtempSync(join(tmpdir(), 'expotion-nginx-'));
    try {
      mkdirSync(join(prefix, 'tmp'));
      writeFileSync(join(prefix, 'site.conf'), renderSite({ listen: '127.0.0.1:1', upstreams }));
      writeFileSync(join(prefix, 'nginx.conf'), renderMain(prefix, join(prefix, 'site.conf')));
      const r = spawnSync(NGINX, ['-t', '-p', prefix, '-e', join(prefix, 'error.log'), '-c', join(prefix, 'nginx.conf')], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /test is successful/);
    } finally {
      rmSync(prefix, { recursive: true, force: true });
    }
  });
});
