// s3rver-sigv4.js: an S3-compatible server for the tests that checks AWS Signature V4 as S3
// does. s3rver 3.7.1 (npm) stores objects and speaks the S3 API, but accepts any V4 signature
// of a known key id (its authentication middleware: "Signature version 4 calculation is
// unimplemented"), so a wrong secret would pass. This front, written from the AWS
// specification (not from libcurl), verifies every request before handing it to s3rver:
//   - the Authorization header (AWS4-HMAC-SHA256; credentials S3RVER/S3RVER), the scope, the
//     signed headers (host, x-amz-date, x-amz-content-sha256 and every x-amz-* sent), and the signature
//     over the canonical request (URI and query re-encoded as S3 does) -> 403
//     SignatureDoesNotMatch / InvalidAccessKeyId / AccessDenied, in S3's XML;
//   - x-amz-content-sha256 against the body's SHA-256 -> 400 XAmzContentSHA256Mismatch;
//   - x-amz-date within 15 minutes -> 403 RequestTimeTooSkewed.
// It also answers AbortMultipartUpload (s3rver answers 405) by dropping the upload's parts.
// GET /__ready answers 200 unsigned (for run-with.sh's wait).
// Faults for the tests, chosen by the key (after the signature is checked): a key holding
// "__503xN__" is answered 503 SlowDown for its first N requests (counted per path and method),
// one holding "__partfail__" is answered 500 InternalError to every UploadPart.
//
//   node s3rver-sigv4.js DIR PORT BUCKET     (listens on 127.0.0.1:PORT; data under DIR)
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');
const S3rver = require('s3rver');

const [dir, port, bucket] = process.argv.slice(2);
const ACCOUNTS = { S3RVER: 'S3RVER' };
const MAX_BODY = 512 * 1024 * 1024;
const faults = new Map();

const sha256 = data => crypto.createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest();
// RFC 3986 unreserved characters kept, everything else %XX (upper case), as SigV4 wants.
const encode = s =>
  encodeURIComponent(s).replace(/[!'()*]/g, c => '%' + c.charCodeAt(0).toString(16).toUpperCase());

function xmlError(res, status, code, message) {
  res.writeHead(status, { 'Content-Type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
          `<Message>${message}</Message></Error>`);
}

function canonicalUri(rawPath) {
  return rawPath.split('/').map(segment => encode(decodeURIComponent(segment))).join('/');
}

function canonicalQuery(rawQuery) {
  if (!rawQuery) return '';
  return rawQuery.split('&').filter(Boolean).map(pair => {
    const eq = pair.indexOf('=');
    const name = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, '%20'));
    return [encode(name), encode(value)];
  }).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([n, v]) => `${n}=${v}`).join('&');
}

function headerValues(req, name) {
  const values = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2)
    if (req.rawHeaders[i].toLowerCase() === name) values.push(req.rawHeaders[i + 1].trim().replace(/\s+/g, ' '));
  return values;
}

// The problem with req's signature as [status, code, message], or null when it is right.
function verify(req, body) {
  const auth = req.headers.authorization;
  if (!auth) return [403, 'AccessDenied', 'Anonymous access is refused'];
  const m = /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return [400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed'];
  const [keyId, day, region, service, terminator] = m[1].split('/');
  if (!(keyId in ACCOUNTS)) return [403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.'];
  if (service !== 's3' || terminator !== 'aws4_request') return [400, 'AuthorizationHeaderMalformed', 'Bad credential scope'];
  const signed = m[2].split(';');
  for (const needed of ['host', 'x-amz-date', 'x-amz-content-sha256'])
    if (!signed.includes(needed)) return [403, 'AccessDenied', `${needed} must be signed`];
  for (const name of Object.keys(req.headers))
    if (name.startsWith('x-amz-') && !signed.includes(name)) return [403, 'AccessDenied', `${name} must be signed`];
  const amzDate = req.headers['x-amz-date'];
  if (!/^\d{8}T\d{6}Z$/.test(amzDate || '') || amzDate.slice(0, 8) !== day)
    return [403, 'AccessDenied', 'x-amz-date is missing or disagrees with the scope'];
  const when = Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8),
                        +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15));
  if (Math.abs(Date.now() - when) > 15 * 60 * 1000) return [403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.'];
  const payloadHash = req.headers['x-amz-content-sha256'];
  if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== sha256(body))
    return [400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed."];
  const q = req.url.indexOf('?');
  const canonical = [
    req.method,
    canonicalUri(q < 0 ? req.url : req.url.slice(0, q)),
    canonicalQuery(q < 0 ? '' : req.url.slice(q + 1)),
    signed.map(name => `${name}:${headerValues(req, name).join(',')}\n`).join(''),
    signed.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  let key = hmac('AWS4' + ACCOUNTS[keyId], day);
  for (const part of [region, 's3', 'aws4_request']) key = hmac(key, part);
  const expected = crypto.createHmac('sha256', key).update(toSign).digest('hex');
  if (!crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(m[3])))
    return [403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.'];
  return null;
}

function abortUpload(req, res) {
  const uploadId = new URL(req.url, 'http://x').searchParams.get('uploadId');
  const bucketName = decodeURIComponent(req.url.split('/')[1]);
  const uploadDir = path.join(dir, bucketName, '._S3rver_uploads', path.basename(uploadId));
  if (!fs.existsSync(uploadDir)) return xmlError(res, 404, 'NoSuchUpload', 'The specified upload does not exist.');
  fs.rmSync(uploadDir, { recursive: true, force: true });
  res.writeHead(204);
  res.end();
}

async function main() {
  const inner = new S3rver({
    address: '127.0.0.1', port: 0, directory: dir, silent: true,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const { port: innerPort } = await inner.run();
  const front = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/__ready') return res.end('ok');
    const chunks = [];
    let size = 0;
    req.on('data', chunk => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY) return xmlError(res, 400, 'EntityTooLarge', 'Too large for the test server');
      const body = Buffer.concat(chunks);
      const problem = verify(req, body);
      if (problem) return xmlError(res, ...problem);
      if (req.method === 'DELETE' && /[?&]uploadId=/.test(req.url)) return abortUpload(req, res);
      const slowDown = /__503x(\d+)__/.exec(req.url);
      if (slowDown) {
        const seen = `${req.method} ${req.url.split('?')[0]}`;
        faults.set(seen, (faults.get(seen) || 0) + 1);
        if (faults.get(seen) <= +slowDown[1]) return xmlError(res, 503, 'SlowDown', 'Please reduce your request rate.');
      }
      if (req.url.includes('__partfail__') && /[?&]partNumber=/.test(req.url))
        return xmlError(res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
      const forward = http.request({ host: '127.0.0.1', port: innerPort, method: req.method,
                                     path: req.url, headers: req.headers }, answer => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      });
      forward.on('error', err => xmlError(res, 502, 'BadGateway', String(err.message)));
      forward.end(body);
    });
  });
  front.listen(+port, '127.0.0.1', () => process.stdout.write(`listening on ${port}\n`));
  front.on('error', err => {
    process.stderr.write(`s3rver-sigv4: ${err.message}\n`);
    process.exit(1);
  });
  const stop = () => front.close(() => inner.close().then(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch(err => {
  process.stderr.write(`s3rver-sigv4: ${err.stack || err}\n`);
  process.exit(1);
});
