'use strict';
// Request framing against the real binary over raw sockets (node:net): what libmicrohttpd
// 0.9.75 let through and playstat now refuses.
// - Two different Content-Length headers: MHD took the first; RFC 9112 §6.3 wants 400.
// - Transfer-Encoding: chunked with Content-Length: MHD answered 200; it must be 400 (a proxy
//   framing the other way round would let a second request be smuggled inside the body).
// - Headers past 16 KiB: a 16,000-byte header got no answer at all (MHD's 16 KiB connection
//   memory had no room left for one) while 16,300 bytes got 431. Every too-large header must
//   get 431, and every header under the limit an answer.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');

const ps = require('./lib/playstat');

/** Sends raw bytes, returns everything the server sends until it closes (or timeoutMs). */
function raw(port, bytes, timeoutMs = 5000) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks = [];
    let done = false;
    const finish = (how) => {
      if (done) return;
      done = true;
      sock.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ text, how, status: Number((/^HTTP\/1\.1 (\d{3})/.exec(text) || [])[1] || 0) });
    };
    sock.setTimeout(timeoutMs, () => finish('timeout'));
    sock.on('data', (d) => chunks.push(d));
    sock.on('end', () => finish('closed'));
    sock.on('error', () => finish('error'));
    sock.write(bytes);
  });
}

describe('HTTP framing', () => {
  let srv;
  let game;
  before(async () => {
    srv = await ps.startServer({ name: 'http_framing' });
    game = await ps.createGame(srv.dataDir, 'Framing Game');
  });
  after(async () => { if (srv) await srv.stop(); });

  const events = () => `/v2/${game.game_key}/events`;

  it('two different Content-Length headers are a 400, and the connection closes', async () => {
    const res = await raw(srv.port, `POST ${events()} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n`
      + 'Content-Length: 3\r\nContent-Type: application/json\r\n\r\n[]]');
    assert.equal(res.status, 400, res.text);
    assert.match(res.text, /Content-Length/);
    assert.match(res.text, /Connection: close/i);
    assert.equal(res.how, 'closed');
  });

  it('Transfer-Encoding: chunked with Content-Length is a 400 (either order)', async () => {
    for (const headers of ['Transfer-Encoding: chunked\r\nContent-Length: 7\r\n',
      'Content-Length: 7\r\nTransfer-Encoding: chunked\r\n']) {
      const res = await raw(srv.port, `POST ${events()} HTTP/1.1\r\nHost: x\r\n${headers}\r\n2\r\n[]\r\n0\r\n\r\n`);
      assert.equal(res.status, 400, `${JSON.stringify(headers)}: ${res.text}`);
      assert.match(res.text, /Transfer-Encoding and Content-Length/);
    }
  });

  it('well-framed requests still work: one Content-Length, twice the same, or chunked alone', async () => {
    const good = [
      `GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      `POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
    ];
    const want = [200, 200, 405];
    for (let i = 0; i < good.length; i++) {
      const res = await raw(srv.port, good[i]);
      assert.equal(res.status, want[i], `${JSON.stringify(good[i])}: ${res.text}`);
    }
  });

  it('every header past 16 KiB is answered 431, every one under it gets its answer', async () => {
    // Main answered nothing at all to 16,000 bytes. Sizes are of the X-Big value; the request
    // line and Host add ~40 bytes.
    const sizes = [1000, 8000, 15000, 16000, 16200, 16300, 16400, 17000, 20000, 24000, 30000,
      32000, 33000, 36000, 40000, 50000, 65000, 100000, 1000000];
    const problems = [];
    for (const n of sizes) {
      const res = await raw(srv.port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(n)}\r\nConnection: close\r\n\r\n`);
      const want = n + 60 <= 16 * 1024 ? 200 : 431;
      if (res.status !== want) problems.push(`${n} bytes: ${res.status || `no answer (${res.how})`}, want ${want}`);
    }
    assert.deepEqual(problems, []);
  });
});
