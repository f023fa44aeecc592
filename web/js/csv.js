// csv.js: any table of the dashboard as a CSV file (RFC 4180: comma separated, CRLF line
// ends, fields quoted when they hold a comma, quote or line break; a leading =, +, - or @ is
// prefixed with ' so spreadsheets do not run it as a formula).

function field(v) {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s) && !/^-?\d/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The CSV text of a header row and data rows (arrays of values). */
export function toCsv(header, rows) {
  return [header, ...rows].map((r) => r.map(field).join(',')).join('\r\n') + '\r\n';
}

/** Offers the CSV text as a download named filename. */
export function download(filename, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
