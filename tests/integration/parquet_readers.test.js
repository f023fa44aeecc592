'use strict';
// The Parquet writer (src/export/parquet.c, driven by tests/export/parquet_sample) against two
// readers this project did not write (lib/parquet_read.js: hyparquet and parquet-wasm, which
// must agree): random schemas of every column type, REQUIRED and OPTIONAL, with nulls, empty
// and unicode strings (U+0000 and astral characters included), strings over 1 MiB, negative and
// extreme int64, NaN, ±0 and ±Infinity doubles; both codecs; small row groups (many of them)
// and big column chunks (several pages); no row at all. Each file must read back as exactly the
// rows written, with the declared types and optionality, and each row group's statistics
// (null_count, min, max) must equal the model's: NaN left out of min/max, a zero minimum -0 and
// a zero maximum +0, strings ordered byte-wise on their UTF-8, string bounds over 4096 bytes
// left out. Row groups are cut where the writer's documented accounting reaches
// row_group_bytes (a value's PLAIN bytes plus a byte per OPTIONAL value). Seeded:
// PLAYSTAT_SIM_SEED replays a failure.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ps = require('./lib/playstat');
const { mulberry32, simulationSeed } = require('./lib/random');
const { readParquet } = require('./lib/parquet_read');

const SAMPLE = process.env.PLAYSTAT_PARQUET_SAMPLE;
const TYPES = ['int64', 'double', 'boolean', 'string', 'timestamp_ms'];
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DATE_LIMIT_MS = 8.64e15; // the range of a JavaScript Date, which lib/parquet_read keeps
const STAT_MAX_LEN = 4096;

/** The JSON form parquet_sample reads (see its header comment). */
function toJsonValue(type, v) {
  if (v === null) return null;
  if (type === 'int64' || type === 'timestamp_ms') return String(v);
  if (type === 'double') return Object.is(v, -0) ? '-0' : String(v);
  return v;
}

/** Writes rows with parquet_sample; returns the file's path. */
function writeSample(dir, name, columns, rows, { codec = 'zstd', rowGroupBytes } = {}) {
  const file = path.join(dir, `${name}.parquet`);
  const args = [file, '--codec', codec];
  if (rowGroupBytes) args.push('--row-group-bytes', String(rowGroupBytes));
  const input = JSON.stringify({
    columns,
    rows: rows.map((row) => columns.map((c) => toJsonValue(c.type, row[c.name]))),
  });
  const res = spawnSync(SAMPLE, args, { input, maxBuffer: 1 << 26, encoding: 'utf8' });
  assert.equal(res.status, 0, `parquet_sample ${name}: exit ${res.status}\n${res.stderr}`);
  assert.deepEqual(JSON.parse(res.stdout), { rows: rows.length });
  return file;
}

function randomGenerators(rand) {
  const int = (n) => Math.floor(rand() * n);
  const pick = (xs) => xs[int(xs.length)];
  const CHARS = ['a', 'z', 'A', ' ', '0', 'é', 'ß', 'ж', '中', '文', '😀', '𝄞', '\u0000', '\n', '"', '\\', '\uFFFD', '\u00FF'];
  const int64 = () => {
    switch (int(6)) {
      case 0: return pick([INT64_MIN, INT64_MAX, 0n, -1n, 1n, INT64_MIN + 1n, INT64_MAX - 1n]);
      case 1: return BigInt(int(2000) - 1000);
      default: return BigInt.asIntN(64, (BigInt(int(2 ** 32)) << 32n) | BigInt(int(2 ** 32)));
    }
  };
  const timestamp = () => {
    switch (int(4)) {
      case 0: return pick([0, -1, 1, DATE_LIMIT_MS, -DATE_LIMIT_MS]);
      case 1: return 1.7e12 + int(1e9);
      default: return Math.round((rand() * 2 - 1) * DATE_LIMIT_MS);
    }
  };
  const double = () => {
    switch (int(6)) {
      case 0: return pick([NaN, Infinity, -Infinity, 0, -0, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, -Number.MIN_VALUE]);
      case 1: return int(100) - 50;
      case 2: return (rand() - 0.5) * 2 ** 70;
      default: return (rand() - 0.5) * 1e6;
    }
  };
  const string = () => {
    const n = pick([0, 0, 1, 2, 5, 20, 100]);
    let s = '';
    for (let i = 0; i < n; i++) s += pick(CHARS);
    return s;
  };
  const value = { int64, timestamp_ms: timestamp, double, boolean: () => rand() < 0.5, string };
  return { int, pick, value };
}

function randomCase(rand) {
  const g = randomGenerators(rand);
  const ncolumns = 1 + g.int(7);
  const columns = [];
  for (let i = 0; i < ncolumns; i++) {
    columns.push({ name: g.pick([`c${i}`, `col_${i}_é`, `${i}`]), type: g.pick(TYPES), optional: rand() < 0.6 });
  }
  const nullRate = g.pick([0, 0.1, 0.5, 1]);
  const nrows = g.pick([1, 2, 7, 8, 9, 50, 300, 2000]);
  const rows = [];
  for (let r = 0; r < nrows; r++) {
    const row = {};
    for (const c of columns) row[c.name] = c.optional && rand() < nullRate ? null : g.value[c.type]();
    rows.push(row);
  }
  return { columns, rows, codec: g.pick(['zstd', 'none']), rowGroupBytes: g.pick([undefined, 1, 100, 2000, 50000]) };
}

/** The bytes the writer counts for a row (parquet.c: PLAIN value bytes, a level byte per
 * OPTIONAL column). */
function rowBytes(columns, row) {
  let n = 0;
  for (const c of columns) {
    if (c.optional) n++;
    const v = row[c.name];
    if (v === null) continue;
    n += c.type === 'boolean' ? 1 : c.type === 'string' ? 4 + Buffer.byteLength(v) : 8;
  }
  return n;
}

/** Row counts of the row groups the writer must cut for rowGroupBytes (default 64 MiB). */
function expectedRowGroups(columns, rows, rowGroupBytes = 64 << 20) {
  const groups = [];
  let n = 0, bytes = 0;
  for (const row of rows) {
    n++;
    bytes += rowBytes(columns, row);
    if (bytes >= rowGroupBytes) {
      groups.push(n);
      n = 0;
      bytes = 0;
    }
  }
  if (n) groups.push(n);
  return groups;
}

function compare(type, a, b) {
  if (type === 'string') return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  if (type === 'boolean') return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The statistics of one column over rows, as the specification asks a writer to give them. */
function expectedStatistics(column, rows) {
  const values = rows.map((r) => r[column.name]);
  const nonNull = values.filter((v) => v !== null && !(column.type === 'double' && Number.isNaN(v)));
  const stats = { nullCount: values.filter((v) => v === null).length, min: undefined, max: undefined };
  if (nonNull.length) {
    let min = nonNull[0], max = nonNull[0];
    for (const v of nonNull) {
      if (compare(column.type, v, min) < 0) min = v;
      if (compare(column.type, v, max) > 0) max = v;
    }
    if (column.type === 'double') {
      if (min === 0) min = -0;
      if (max === 0) max = 0;
    }
    const fits = (v) => column.type !== 'string' || Buffer.byteLength(v) <= STAT_MAX_LEN;
    stats.min = fits(min) ? min : undefined;
    stats.max = fits(max) ? max : undefined;
  }
  return stats;
}

function show(v) {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string' && v.length > 60) return `<string of ${v.length}>`;
  return Object.is(v, -0) ? '-0' : String(JSON.stringify(v) ?? v);
}

/** Reads file with both readers and checks it holds exactly what was written. */
async function assertReadsBack(file, { columns, rows, codec = 'zstd', rowGroupBytes }, what) {
  const got = await readParquet(file);
  assert.deepEqual(got.columns.map((c) => ({ name: c.name, type: c.type, optional: c.optional })),
    columns.map((c) => ({ name: c.name, type: c.type, optional: c.optional })), `${what}: columns`);
  for (const c of got.columns) {
    const physical = { int64: 'INT64', timestamp_ms: 'INT64', double: 'DOUBLE', boolean: 'BOOLEAN', string: 'BYTE_ARRAY' };
    assert.equal(c.physicalType, physical[c.type], `${what}: ${c.name} physical type`);
  }
  assert.equal(got.numRows, rows.length, `${what}: num_rows`);
  assert.equal(got.rows.length, rows.length, `${what}: rows read`);
  for (let r = 0; r < rows.length; r++) {
    for (const c of columns) {
      const want = rows[r][c.name], have = got.rows[r][c.name];
      if (!Object.is(want, have)) assert.fail(`${what}: row ${r} ${c.name} (${c.type}): wrote ${show(want)}, read ${show(have)}`);
    }
  }
  const groups = expectedRowGroups(columns, rows, rowGroupBytes);
  assert.deepEqual(got.rowGroups.map((g) => g.numRows), groups, `${what}: row groups`);
  let first = 0;
  got.rowGroups.forEach((g, i) => {
    const slice = rows.slice(first, first + g.numRows);
    first += g.numRows;
    assert.deepEqual(g.columns.map((c) => c.name), columns.map((c) => c.name), `${what}: chunks of group ${i}`);
    g.columns.forEach((chunk, k) => {
      const want = expectedStatistics(columns[k], slice);
      const where = `${what}: group ${i} ${chunk.name} (${columns[k].type})`;
      assert.equal(chunk.codec, codec === 'zstd' ? 'ZSTD' : 'UNCOMPRESSED', `${where}: codec`);
      assert.equal(chunk.numValues, g.numRows, `${where}: num_values`);
      assert.equal(chunk.nullCount, want.nullCount, `${where}: null_count`);
      if (!Object.is(chunk.min, want.min)) assert.fail(`${where}: min ${show(chunk.min)}, model ${show(want.min)}`);
      if (!Object.is(chunk.max, want.max)) assert.fail(`${where}: max ${show(chunk.max)}, model ${show(want.max)}`);
    });
  });
  return got;
}

describe('Parquet writer against hyparquet and parquet-wasm', { skip: !SAMPLE && 'PLAYSTAT_PARQUET_SAMPLE is not set' }, () => {
  let dir;
  const seed = simulationSeed(20261202);
  before(() => { dir = ps.makeTempDir('parquet'); });
  after(() => ps.removeDir(dir));

  it(`reads back random schemas and rows (seed ${seed})`, async () => {
    const rand = mulberry32(seed);
    for (let n = 0; n < 40; n++) {
      const c = randomCase(rand);
      const file = writeSample(dir, `random-${n}`, c.columns, c.rows, c);
      await assertReadsBack(file, c, `case ${n} (seed ${seed}, ${c.codec}, row_group_bytes ${c.rowGroupBytes})`);
    }
  });

  it('writes a file of no row, with both codecs', async () => {
    const columns = TYPES.map((type, i) => ({ name: `c${i}`, type, optional: i % 2 === 0 }));
    for (const codec of ['zstd', 'none']) {
      const file = writeSample(dir, `empty-${codec}`, columns, [], { codec });
      const got = await assertReadsBack(file, { columns, rows: [], codec }, `empty ${codec}`);
      assert.equal(got.rowGroups.length, 0);
    }
  });

  it('keeps strings over 1 MiB, and leaves such bounds out of the statistics', async () => {
    const big = 'é'.repeat(700000) + '😀'; // 1.4 MB of UTF-8: a page of its own
    const columns = [{ name: 's', type: 'string', optional: true }, { name: 'n', type: 'int64', optional: false }];
    const rows = [{ s: big, n: 1n }, { s: '', n: 2n }, { s: null, n: 3n }, { s: `${big}z`, n: 4n }, { s: 'short', n: 5n }];
    for (const codec of ['zstd', 'none']) {
      const file = writeSample(dir, `big-${codec}`, columns, rows, { codec });
      const got = await assertReadsBack(file, { columns, rows, codec }, `big strings ${codec}`);
      assert.equal(got.rowGroups[0].columns[0].min, '');
      assert.equal(got.rowGroups[0].columns[0].max, undefined); // the max is a 1.4 MB string
    }
  });

  it('reads back many rows over several row groups and pages', async () => {
    const rand = mulberry32(seed + 1);
    const g = randomGenerators(rand);
    const columns = [
      { name: 'id', type: 'int64', optional: false },
      { name: 'maybe', type: 'int64', optional: true },
      { name: 'x', type: 'double', optional: false },
      { name: 'flag', type: 'boolean', optional: true },
      { name: 'at', type: 'timestamp_ms', optional: true },
      { name: 'label', type: 'string', optional: true },
    ];
    const rows = [];
    for (let i = 0; i < 200000; i++) {
      rows.push({
        id: BigInt(i),
        maybe: i % 7 === 0 ? null : g.value.int64(),
        x: g.value.double(),
        flag: i % 3 === 0 ? null : (i & 4) !== 0,
        // long runs of nulls and of values, for both kinds of definition-level runs
        at: Math.floor(i / 1000) % 2 ? null : 1.7e12 + i,
        label: i % 11 === 0 ? null : `label-${i % 97}`,
      });
    }
    const rowGroupBytes = 3 << 20; // about 45 bytes a row: 3 row groups, chunks over 1 MiB
    for (const codec of ['zstd', 'none']) {
      const file = writeSample(dir, `many-${codec}`, columns, rows, { codec, rowGroupBytes });
      const got = await assertReadsBack(file, { columns, rows, codec, rowGroupBytes }, `many rows ${codec}`);
      assert.ok(got.rowGroups.length >= 2, `several row groups: ${got.rowGroups.length}`);
    }
  });

  it('refuses a null in a REQUIRED column and a duplicate column name', () => {
    const file = path.join(dir, 'refused.parquet');
    let res = spawnSync(SAMPLE, [file], {
      input: JSON.stringify({ columns: [{ name: 'a', type: 'int64' }], rows: [['1'], [null]] }), encoding: 'utf8',
    });
    assert.equal(res.status, 2, res.stderr);
    assert.match(res.stderr, /row 1: invalid argument/);
    res = spawnSync(SAMPLE, [file], {
      input: JSON.stringify({ columns: [{ name: 'a', type: 'int64' }, { name: 'a', type: 'string' }], rows: [] }), encoding: 'utf8',
    });
    assert.equal(res.status, 2, res.stderr);
    assert.match(res.stderr, /open: invalid argument/);
  });
});
