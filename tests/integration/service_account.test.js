'use strict';
// `playstat service-account create | list | delete`: the credentials of the session
// observability API. create prints the secret once (64 hex, 256 bits) and the data directory
// keeps only its SHA-256 (every file of it is searched for the secret); list never shows
// secrets; usage errors (unknown project, bad role, missing options) exit 2, an unknown key id
// on delete exits 1.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ps = require('./lib/playstat');

const HEX64 = /^[0-9a-f]{64}$/;

async function createAccount(dataDir, project, role, extra = []) {
  const { stdout, stderr } = await ps.runCli(['service-account', 'create', '--data', dataDir,
    '--project', project, '--role', role, ...extra]);
  assert.equal(stderr, '');
  assert.match(stdout, /^[^\n]+\n$/, 'one JSON object on one line');
  const account = JSON.parse(stdout);
  assert.match(account.key_id, ps.UUID, 'key_id is a uuid');
  assert.match(account.secret, HEX64, 'secret is 32 random bytes in hex');
  assert.equal(account.project_id, project);
  assert.equal(account.role, role);
  return account;
}

async function listAccounts(dataDir, project) {
  const args = ['service-account', 'list', '--data', dataDir];
  if (project) args.push('--project', project);
  const { stdout } = await ps.runCli(args);
  const lines = stdout.split('\n').filter((l) => l !== '');
  return { stdout, accounts: lines.map((l) => JSON.parse(l)) };
}

/** Every regular file under dir, recursively, as one Buffer each. */
function filesUnder(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(p));
    else if (entry.isFile()) out.push({ path: p, bytes: fs.readFileSync(p) });
  }
  return out;
}

describe('playstat service-account', () => {
  let dataDir;
  let game;
  let other;
  let viewer;
  let writer;

  before(async () => {
    dataDir = ps.makeTempDir('service-account');
    game = await ps.createGame(dataDir, 'Matchmade Game');
    other = await ps.createGame(dataDir, 'Other Game');
    viewer = await createAccount(dataDir, game.project_id, 'viewer');
    writer = await createAccount(dataDir, game.project_id, 'writer', ['--name', 'matchmaker "eu"']);
  });

  after(() => ps.removeDir(dataDir));

  it('create prints a fresh key id and secret each time, with the name given', () => {
    assert.equal(viewer.name, '');
    assert.equal(writer.name, 'matchmaker "eu"');
    assert.notEqual(viewer.key_id, writer.key_id);
    assert.notEqual(viewer.secret, writer.secret);
  });

  it('list prints every account without secrets, and filters by project', async () => {
    const other1 = await createAccount(dataDir, other.project_id, 'viewer');
    const all = await listAccounts(dataDir);
    assert.deepEqual(all.accounts.map((a) => a.key_id), [viewer.key_id, writer.key_id, other1.key_id],
      'by creation');
    for (const a of all.accounts) {
      assert.deepEqual(Object.keys(a).sort(), ['created_ts', 'key_id', 'name', 'project_id', 'role']);
      assert.ok(Math.abs(a.created_ts - ps.nowSec()) < 600, `created_ts ${a.created_ts} is now`);
    }
    assert.equal(all.accounts[1].name, 'matchmaker "eu"');
    assert.equal(all.accounts[1].role, 'writer');
    for (const secret of [viewer.secret, writer.secret, other1.secret]) {
      assert.ok(!all.stdout.includes(secret), 'no secret in list output');
      const hash = crypto.createHash('sha256').update(secret).digest('hex');
      assert.ok(!all.stdout.includes(hash), 'no secret hash in list output');
    }
    const mine = await listAccounts(dataDir, game.project_id);
    assert.deepEqual(mine.accounts.map((a) => a.key_id), [viewer.key_id, writer.key_id]);
    const theirs = await listAccounts(dataDir, other.project_id);
    assert.deepEqual(theirs.accounts.map((a) => a.key_id), [other1.key_id]);
    const none = await listAccounts(dataDir, '00000000-0000-4000-8000-000000000000');
    assert.equal(none.stdout, '');
  });

  it('the data directory holds the SHA-256 of each secret, never the secret', () => {
    const files = filesUnder(dataDir);
    assert.ok(files.length > 0);
    for (const secret of [viewer.secret, writer.secret]) {
      const hash = crypto.createHash('sha256').update(secret).digest('hex');
      for (const f of files) {
        assert.ok(!f.bytes.includes(Buffer.from(secret)), `${f.path} holds a secret in clear`);
        assert.ok(!f.bytes.includes(Buffer.from(secret.toUpperCase())), `${f.path} holds a secret`);
        assert.ok(!f.bytes.includes(Buffer.from(secret, 'hex')), `${f.path} holds a secret's bytes`);
      }
      // The search looks where the accounts are: the hash is there.
      assert.ok(files.some((f) => f.bytes.includes(Buffer.from(hash))), 'the hash is stored');
    }
  });

  it('refuses an unknown project and a bad role with exit 2, creating nothing', async () => {
    const before = (await listAccounts(dataDir)).accounts.length;
    let res = ps.runCliFailing(['service-account', 'create', '--data', dataDir,
      '--project', '00000000-0000-4000-8000-000000000000', '--role', 'viewer']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /no game has project_id '00000000-0000-4000-8000-000000000000'/);
    assert.equal(res.stdout, '');
    res = ps.runCliFailing(['service-account', 'create', '--data', dataDir,
      '--project', game.project_id, '--role', 'admin']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /--role must be viewer or writer/);
    res = ps.runCliFailing(['service-account', 'create', '--data', dataDir,
      '--project', game.project_id, '--role', 'Viewer']);
    assert.equal(res.code, 2);
    res = ps.runCliFailing(['service-account', 'create', '--data', dataDir, '--role', 'viewer']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /needs --project and --role/);
    res = ps.runCliFailing(['service-account', 'create', '--data', dataDir,
      '--project', game.project_id]);
    assert.equal(res.code, 2);
    res = ps.runCliFailing(['service-account', 'create', '--data', dataDir,
      '--project', game.project_id, '--role', 'viewer', '--name', 'x'.repeat(129)]);
    assert.equal(res.code, 2);
    res = ps.runCliFailing(['service-account', 'rotate', '--data', dataDir]);
    assert.equal(res.code, 2);
    res = ps.runCliFailing(['service-account']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /usage: playstat service-account create/);
    assert.equal((await listAccounts(dataDir)).accounts.length, before);
  });

  it('delete removes one account; an unknown key id exits 1', async () => {
    const doomed = await createAccount(dataDir, game.project_id, 'viewer');
    const { stdout } = await ps.runCli(['service-account', 'delete', '--data', dataDir,
      '--key-id', doomed.key_id]);
    assert.equal(stdout, '');
    const left = (await listAccounts(dataDir)).accounts.map((a) => a.key_id);
    assert.ok(!left.includes(doomed.key_id));
    assert.ok(left.includes(viewer.key_id) && left.includes(writer.key_id));
    let res = ps.runCliFailing(['service-account', 'delete', '--data', dataDir,
      '--key-id', doomed.key_id]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /no service account has that key id/);
    res = ps.runCliFailing(['service-account', 'delete', '--data', dataDir]);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /needs --key-id/);
  });

  it('--help prints the usage on stdout and the top-level usage names the command', async () => {
    const { stdout } = await ps.runCli(['service-account', '--help']);
    assert.match(stdout, /service-account create --data DIR --project PROJECT_ID --role viewer\|writer/);
    assert.match(stdout, /shown\s+only now/);
    const top = await ps.runCli(['--help']);
    assert.match(top.stdout, /service-account/);
  });
});
