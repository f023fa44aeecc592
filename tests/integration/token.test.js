'use strict';
// `playstat token`: the player bearer token it prints is an HS256 JWT that any JWT library
// verifies with the game's token_secret (checked here with node:crypto alone), with sub = the
// player and exp = now + ttl; and its usage errors exit as documented (1 failure, 2 usage).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');

const ps = require('./lib/playstat');

const B64URL = /^[A-Za-z0-9_-]+$/;

/** Splits and checks a token independently of playstat; returns { header, payload }. */
function verifyHs256(token, secret) {
  const parts = token.split('.');
  assert.equal(parts.length, 3, `a JWT has three dot-separated parts: ${token}`);
  for (const p of parts) assert.match(p, B64URL, 'each part is unpadded base64url');
  const expected = crypto.createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], 'base64url');
  assert.equal(given.length, 32, 'an HS256 signature is 32 bytes');
  assert.ok(crypto.timingSafeEqual(given, expected),
    'the signature must be HMAC-SHA256(token_secret as text, "header.payload")');
  const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
  const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  return { header, payload };
}

describe('playstat token', () => {
  let dataDir;
  let game;
  let other;

  before(async () => {
    dataDir = ps.makeTempDir('token');
    game = await ps.createGame(dataDir, 'Token Game');
    other = await ps.createGame(dataDir, 'Other Game');
  });

  after(() => ps.removeDir(dataDir));

  it('prints one HS256 JWT signed with the game\'s token_secret, sub = player, exp = now + 3600', async () => {
    const t0 = ps.nowSec();
    const { stdout, stderr } = await ps.runCli(['token', '--data', dataDir, '--game', String(game.id),
      '--player', 'player-42']);
    const t1 = ps.nowSec();
    assert.match(stdout, /^[^\n]+\n$/, 'the token alone, on one line');
    assert.equal(stderr, '');
    const token = stdout.trim();
    const { header, payload } = verifyHs256(token, game.token_secret);
    assert.equal(header.alg, 'HS256');
    assert.equal(header.typ, 'JWT');
    assert.equal(payload.sub, 'player-42');
    assert.ok(Number.isInteger(payload.iat) && Number.isInteger(payload.exp), JSON.stringify(payload));
    assert.ok(payload.iat >= t0 - 5 && payload.iat <= t1 + 5, `iat ${payload.iat} is now`);
    assert.ok(payload.exp >= t0 + 3600 - 5 && payload.exp <= t1 + 3600 + 5, `exp ${payload.exp} is now + 3600`);
    assert.equal(payload.exp - payload.iat, 3600);
    // Not the other game's key, and not the 32 bytes the hex spells.
    assert.throws(() => verifyHs256(token, other.token_secret), /signature/);
    assert.throws(() => verifyHs256(token, Buffer.from(game.token_secret, 'hex')), /signature/);
  });

  it('honours --ttl and signs any UTF-8 player id', async () => {
    const player = 'joueur "é" 7';
    const t0 = ps.nowSec();
    const { stdout } = await ps.runCli(['token', '--data', dataDir, '--game', String(game.id),
      '--player', player, '--ttl', '90']);
    const t1 = ps.nowSec();
    const { payload } = verifyHs256(stdout.trim(), game.token_secret);
    assert.equal(payload.sub, player);
    assert.ok(payload.exp >= t0 + 90 - 5 && payload.exp <= t1 + 90 + 5, `exp ${payload.exp} is now + 90`);
    const year = await ps.runCli(['token', '--data', dataDir, '--game', String(other.id),
      '--player', '1', '--ttl', '31536000']);
    const y = verifyHs256(year.stdout.trim(), other.token_secret).payload;
    assert.equal(y.exp - y.iat, 31536000);
  });

  it('reads the data directory from $PLAYSTAT_DATA', async () => {
    const saved = process.env.PLAYSTAT_DATA;
    process.env.PLAYSTAT_DATA = dataDir;
    try {
      const { stdout } = await ps.runCli(['token', '--game', String(game.id), '--player', 'env']);
      assert.equal(verifyHs256(stdout.trim(), game.token_secret).payload.sub, 'env');
    } finally {
      if (saved === undefined) delete process.env.PLAYSTAT_DATA; else process.env.PLAYSTAT_DATA = saved;
    }
  });

  it('exits 1 with "no game has that id" for an unknown game', async () => {
    const res = ps.runCliFailing(['token', '--data', dataDir, '--game', '999999', '--player', 'p']);
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /no game has that id/);
    assert.equal(res.stdout, '');
  });

  it('exits 2 on usage errors (missing --player, bad --ttl, bad --game, bad player)', async () => {
    const base = ['token', '--data', dataDir, '--game', String(game.id)];
    const cases = [
      [base, /usage: playstat token/],
      [['token', '--data', dataDir, '--player', 'p'], /usage: playstat token/],
      [[...base, '--player', 'p', '--ttl', '0'], /--ttl/],
      [[...base, '--player', 'p', '--ttl', '31536001'], /--ttl/],
      [[...base, '--player', 'p', '--ttl', '1h'], /--ttl/],
      [['token', '--data', dataDir, '--game', 'abc', '--player', 'p'], /--game/],
      [[...base, '--player', ''], /--player/],
      [[...base, '--player', 'x'.repeat(129)], /--player/],
      [[...base, '--player', 'p', 'extra'], /usage: playstat token/],
      [[...base, '--player', 'p', '--bogus'], /usage: playstat token/],
    ];
    for (const [args, stderrPattern] of cases) {
      const res = ps.runCliFailing(args);
      assert.equal(res.code, 2, `playstat ${args.join(' ')}: exit ${res.code}, stderr ${res.stderr}`);
      assert.match(res.stderr, stderrPattern, `playstat ${args.join(' ')}`);
      assert.equal(res.stdout, '', 'no token on a usage error');
    }
    const help = await ps.runCli(['token', '--help']);
    assert.match(help.stdout, /--ttl S/);
    assert.match(help.stdout, /token_secret/);
  });
});
