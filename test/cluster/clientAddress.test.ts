/**
 * The real client address behind nginx: X-Forwarded-For is believed only with --trust-proxy and
 * only from loopback or an address in --trusted-proxies (nginx on another machine); anyone else
 * could write the header to dodge the per-address limits.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configFromArgs } from '../../server/config.js';
import { clientAddress } from '../../server/httpGuards.js';

const req = (peer: string, xff?: string) => ({ socket: { remoteAddress: peer }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as never;

describe('client address behind a proxy', () => {
  test('a listed proxy on another machine is trusted, in either address spelling; an unlisted one is not', () => {
    const proxies = ['10.0.0.2'];
    assert.equal(clientAddress(req('10.0.0.2', '198.51.100.4'), true, proxies), '198.51.100.4');
    assert.equal(clientAddress(req('::ffff:10.0.0.2', '198.51.100.4'), true, proxies), '198.51.100.4');
    assert.equal(clientAddress(req('10.0.0.3', '198.51.100.4'), true, proxies), '10.0.0.3', 'not in the list');
    assert.equal(clientAddress(req('10.0.0.2', '198.51.100.4'), false, proxies), '10.0.0.2', 'off unless --trust-proxy');
    assert.equal(clientAddress(req('127.0.0.1', '198.51.100.4, 203.0.113.9'), true, proxies), '203.0.113.9', 'loopback stays trusted');
    assert.equal(clientAddress(req('10.0.0.2', '<script>'), true, proxies), '10.0.0.2', 'garbage falls back to the peer');
  });

  test('--trusted-proxies and --when-full parse and validate', () => {
    const config = configFromArgs(['--trust-proxy', 'on', '--trusted-proxies', '10.0.0.2, 10.0.0.3', '--when-full', '503'], {});
    assert.deepEqual(config.trustedProxies, ['10.0.0.2', '10.0.0.3']);
    assert.equal(config.whenFull, '503');
    assert.equal(configFromArgs([], {}).whenFull, 'close');
    assert.throws(() => configFromArgs(['--when-full', 'drop'], {}), /whenFull/);
    assert.throws(() => configFromArgs(['--trusted-proxies', 'nginx.local'], {}), /IP address/);
  });
});
