'use strict';
// Reads a Parquet file with two readers this project did not write, hyparquet (JavaScript,
// with hyparquet-compressors for zstd) and parquet-wasm (Rust's arrow-rs compiled to
// WebAssembly), requires them to agree on every value, type and row count, and returns what
// they read. The export tests check every Parquet file they produce through it.
//
//   const { readParquet } = require('./lib/parquet_read');
//   const { rows, columns, numRows, rowGroups, createdBy } = await readParquet(pathOrBytes);
//
// rows: one object per row, { columnName: value }, in file order; value is null for a null,
//   else, by column type:
//     'int64'        BigInt
//     'timestamp_ms' Number of milliseconds since the epoch, UTC (throws past 2^53 ms)
//     'double'       Number (NaN, -0, ±Infinity kept)
//     'boolean'      true/false
//     'string'       string (UTF-8 decoded)
// columns: [{ name, type (one of the five above), physicalType ('INT64', 'DOUBLE', 'BOOLEAN',
//   'BYTE_ARRAY'), logicalType (null, 'STRING' or 'TIMESTAMP(MILLIS,UTC)'), optional }], in
//   schema order; both readers must see the same type and optionality.
// numRows: the footer's row count (both readers, and equal to rows.length).
// rowGroups: [{ numRows, columns: [{ name, codec ('ZSTD', 'UNCOMPRESSED'...), numValues,
//   nullCount, min, max }] }] from hyparquet's metadata (min/max normalised like the values,
//   undefined when absent; numValues and nullCount as Numbers); parquet-wasm must agree on the
//   number of row groups and each one's row count.
// Any disagreement, or a column of another type, throws an Error saying what differs.

const fs = require('node:fs');
const assert = require('node:assert/strict');

let modules;
async function load() {
  if (!modules) {
    const [hyparquet, compressors, wasm] = await Promise.all([
      import('hyparquet'), import('hyparquet-compressors'), import('parquet-wasm')]);
    modules = { hyparquet, compressors: compressors.compressors, wasm };
  }
  return modules;
}

function columnType(element) {
  const logical = element.logical_type && element.logical_type.type;
  if (element.type === 'INT64' && logical === 'TIMESTAMP') {
    const lt = element.logical_type;
    if (lt.unit !== 'MILLIS' || lt.isAdjustedToUTC !== true) {
      throw new Error(`${element.name}: TIMESTAMP(${lt.unit}, utc=${lt.isAdjustedToUTC}) is not TIMESTAMP(MILLIS, UTC)`);
    }
    return { type: 'timestamp_ms', logicalType: 'TIMESTAMP(MILLIS,UTC)' };
  }
  if (element.type === 'INT64' && !logical) return { type: 'int64', logicalType: null };
  if (element.type === 'DOUBLE' && !logical) return { type: 'double', logicalType: null };
  if (element.type === 'BOOLEAN' && !logical) return { type: 'boolean', logicalType: null };
  if (element.type === 'BYTE_ARRAY' && logical === 'STRING') return { type: 'string', logicalType: 'STRING' };
  throw new Error(`${element.name}: unexpected column type ${element.type} / ${JSON.stringify(element.logical_type)}`);
}

function msNumber(v, where) {
  const ms = typeof v === 'bigint' ? v : BigInt(v);
  if (ms > BigInt(Number.MAX_SAFE_INTEGER) || ms < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new Error(`${where}: timestamp ${ms} ms is past 2^53`);
  }
  return Number(ms);
}

/** A value as hyparquet gives it (timestamps parsed as BigInt ms), normalised. */
function normalise(type, v, where) {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'int64': return BigInt(v);
    case 'timestamp_ms': return msNumber(v instanceof Date ? v.getTime() : v, where);
    default: return v;
  }
}

async function readWithHyparquet(bytes) {
  const { hyparquet, compressors } = await load();
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const parsers = { timestampFromMilliseconds: (ms) => BigInt(ms) };
  const metadata = hyparquet.parquetMetadata(ab, { parsers });
  const [root, ...leaves] = metadata.schema;
  assert.equal(root.num_children, leaves.length, 'hyparquet: a flat schema');
  const columns = leaves.map((element) => {
    if (element.num_children) throw new Error(`${element.name}: a nested column`);
    return {
      name: element.name,
      ...columnType(element),
      physicalType: element.type,
      optional: element.repetition_type === 'OPTIONAL',
    };
  });
  const raw = await hyparquet.parquetReadObjects({ file: ab, compressors, parsers });
  const rows = raw.map((row, r) => {
    const out = {};
    for (const c of columns) out[c.name] = normalise(c.type, row[c.name], `hyparquet row ${r} ${c.name}`);
    return out;
  });
  const rowGroups = metadata.row_groups.map((rg) => ({
    numRows: Number(rg.num_rows),
    columns: rg.columns.map((chunk, i) => {
      const md = chunk.meta_data;
      const stats = md.statistics || {};
      const c = columns[i];
      assert.deepEqual(md.path_in_schema, [c.name], 'hyparquet: column chunk order');
      assert.equal(md.type, c.physicalType, `hyparquet: ${c.name} chunk type`);
      return {
        name: c.name,
        codec: md.codec,
        numValues: Number(md.num_values),
        nullCount: stats.null_count === undefined ? undefined : Number(stats.null_count),
        min: stats.min_value === undefined ? undefined : normalise(c.type, stats.min_value, `${c.name} min`),
        max: stats.max_value === undefined ? undefined : normalise(c.type, stats.max_value, `${c.name} max`),
      };
    }),
  }));
  return { columns, rows, numRows: Number(metadata.num_rows), rowGroups, createdBy: metadata.created_by };
}

// parquet-wasm gives Arrow tables; with no Arrow JS library installed, they are read through
// the Arrow C data interface (ArrowSchema/ArrowArray structs, wasm32 layout) in the module's
// memory.
const ARROW_FLAG_NULLABLE = 2;

function cString(mem, ptr) {
  const bytes = new Uint8Array(mem.buffer);
  let end = ptr;
  while (bytes[end] !== 0) end++;
  return Buffer.from(bytes.subarray(ptr, end)).toString('utf8');
}

function readSchema(mem, ptr) {
  const view = new DataView(mem.buffer);
  const format = cString(mem, view.getUint32(ptr, true));
  const namePtr = view.getUint32(ptr + 4, true);
  const flags = Number(view.getBigInt64(ptr + 16, true));
  const nChildren = Number(view.getBigInt64(ptr + 24, true));
  const childrenPtr = view.getUint32(ptr + 32, true);
  const children = [];
  for (let i = 0; i < nChildren; i++) children.push(readSchema(mem, view.getUint32(childrenPtr + 4 * i, true)));
  return { format, name: namePtr ? cString(mem, namePtr) : '', nullable: (flags & ARROW_FLAG_NULLABLE) !== 0, children };
}

function arrowType(format) {
  if (format === 'l') return 'int64';
  if (format === 'g') return 'double';
  if (format === 'b') return 'boolean';
  if (format === 'u' || format === 'U' || format === 'vu') return 'string';
  if (/^tsm:(UTC|\+00:00|Z)$/.test(format)) return 'timestamp_ms';
  throw new Error(`parquet-wasm: unexpected Arrow type ${format}`);
}

function readArray(mem, ptr) {
  const view = new DataView(mem.buffer);
  const nChildren = Number(view.getBigInt64(ptr + 32, true));
  const buffersPtr = view.getUint32(ptr + 40, true);
  const childrenPtr = view.getUint32(ptr + 44, true);
  const nBuffers = Number(view.getBigInt64(ptr + 24, true));
  const buffers = [];
  for (let i = 0; i < nBuffers; i++) buffers.push(view.getUint32(buffersPtr + 4 * i, true));
  const children = [];
  for (let i = 0; i < nChildren; i++) children.push(view.getUint32(childrenPtr + 4 * i, true));
  return {
    length: Number(view.getBigInt64(ptr, true)),
    nullCount: Number(view.getBigInt64(ptr + 8, true)),
    offset: Number(view.getBigInt64(ptr + 16, true)),
    buffers, children,
  };
}

function bit(bytes, ptr, i) { return (bytes[ptr + (i >> 3)] >> (i & 7)) & 1; }

/** The values of one Arrow array (a column of a record batch), normalised. */
function arrayValues(mem, type, format, ptr) {
  const a = readArray(mem, ptr);
  const bytes = new Uint8Array(mem.buffer);
  const view = new DataView(mem.buffer);
  const validity = a.buffers[0];
  const out = [];
  for (let k = 0; k < a.length; k++) {
    const i = a.offset + k;
    if (validity && !bit(bytes, validity, i)) {
      out.push(null);
      continue;
    }
    switch (type) {
      case 'int64': out.push(view.getBigInt64(a.buffers[1] + 8 * i, true)); break;
      case 'timestamp_ms': out.push(msNumber(view.getBigInt64(a.buffers[1] + 8 * i, true), 'parquet-wasm')); break;
      case 'double': out.push(view.getFloat64(a.buffers[1] + 8 * i, true)); break;
      case 'boolean': out.push(bit(bytes, a.buffers[1], i) === 1); break;
      case 'string': {
        let start, end;
        if (format === 'u') {
          start = view.getInt32(a.buffers[1] + 4 * i, true);
          end = view.getInt32(a.buffers[1] + 4 * i + 4, true);
        } else if (format === 'U') {
          start = Number(view.getBigInt64(a.buffers[1] + 8 * i, true));
          end = Number(view.getBigInt64(a.buffers[1] + 8 * i + 8, true));
        } else {
          throw new Error('parquet-wasm: Utf8View arrays are not read here');
        }
        out.push(Buffer.from(bytes.subarray(a.buffers[2] + start, a.buffers[2] + end)).toString('utf8'));
        break;
      }
      default: throw new Error(`parquet-wasm: type ${type}`);
    }
  }
  return out;
}

async function readWithParquetWasm(bytes) {
  const { wasm } = await load();
  const file = new Uint8Array(bytes);
  const table = wasm.readParquet(file);
  const ffi = table.toFFI();
  try {
    const mem = wasm.wasmMemory();
    const schema = readSchema(mem, ffi.schemaAddr());
    assert.equal(schema.format, '+s', 'parquet-wasm: a record batch is a struct');
    const columns = schema.children.map((f) => ({ name: f.name, type: arrowType(f.format), optional: f.nullable }));
    const rows = [];
    for (let b = 0; b < ffi.numArrays(); b++) {
      const batch = readArray(mem, ffi.arrayAddr(b));
      assert.equal(batch.children.length, columns.length, 'parquet-wasm: batch columns');
      const values = columns.map((c, i) => arrayValues(mem, c.type, schema.children[i].format, batch.children[i]));
      for (let r = 0; r < batch.length; r++) {
        const row = {};
        columns.forEach((c, i) => { row[c.name] = values[i][r + batch.offset]; });
        rows.push(row);
      }
    }
    return { columns, rows };
  } finally {
    ffi.free();
    table.free();
  }
}

async function readParquetMetadataWasm(bytes) {
  const { wasm } = await load();
  const pf = await wasm.ParquetFile.fromFile(new Blob([bytes]));
  try {
    const md = pf.metadata();
    const rowGroups = md.rowGroups().map((rg) => ({ numRows: rg.numRows() }));
    return { numRows: md.fileMetadata().numRows(), rowGroups };
  } finally {
    pf.free();
  }
}

/** Values are equal the way a round trip must keep them: NaN equals NaN, -0 is not +0. */
function sameValue(a, b) { return Object.is(a, b); }

async function readParquet(pathOrBytes) {
  const bytes = typeof pathOrBytes === 'string' ? fs.readFileSync(pathOrBytes) : Buffer.from(pathOrBytes);
  const hy = await readWithHyparquet(bytes);
  const pw = await readWithParquetWasm(bytes);
  const pwMeta = await readParquetMetadataWasm(bytes);
  assert.deepEqual(pw.columns.map((c) => [c.name, c.type, c.optional]),
    hy.columns.map((c) => [c.name, c.type, c.optional]), 'the two readers see the same columns');
  assert.equal(hy.rows.length, hy.numRows, 'hyparquet: rows read = num_rows');
  assert.equal(pw.rows.length, hy.numRows, 'parquet-wasm: rows read = num_rows');
  assert.equal(pwMeta.numRows, hy.numRows, 'parquet-wasm: num_rows');
  assert.deepEqual(pwMeta.rowGroups.map((g) => g.numRows), hy.rowGroups.map((g) => g.numRows),
    'the two readers see the same row groups');
  for (let r = 0; r < hy.rows.length; r++) {
    for (const c of hy.columns) {
      const a = hy.rows[r][c.name], b = pw.rows[r][c.name];
      if (!sameValue(a, b)) {
        throw new Error(`row ${r} column ${c.name}: hyparquet read ${describe(a)}, parquet-wasm ${describe(b)}`);
      }
    }
  }
  return { rows: hy.rows, columns: hy.columns, numRows: hy.numRows, rowGroups: hy.rowGroups, createdBy: hy.createdBy };
}

function describe(v) {
  if (typeof v === 'string' && v.length > 80) return `a string of ${v.length} chars starting ${JSON.stringify(v.slice(0, 40))}`;
  if (typeof v === 'bigint') return `${v}n`;
  return Object.is(v, -0) ? '-0' : JSON.stringify(v) ?? String(v);
}

module.exports = { readParquet };
