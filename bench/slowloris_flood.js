'use strict';
// bench/slowloris_flood.js PORT CONNECTIONS ADDRESSES: a slowloris flood for bench/slowloris.sh.
// Opens CONNECTIONS connections to 127.0.0.1:PORT from ADDRESSES loopback addresses
// (127.0.0.2 ...), each sending a request's start and then one header byte a second, and
// reopening a second after the server closed it, as slowloris tools do. Prints one line a
// second: open connections and how many the server closed so far. Runs until killed.
const net = require('node:net');

const [port, total, addresses] = process.argv.slice(2).map(Number);
if (!port || !total || !addresses) {
  console.error('usage: node bench/slowloris_flood.js PORT CONNECTIONS ADDRESSES');
  process.exit(2);
}
const conns = new Array(total);
let closed = 0;
let open = 0;

function connect(k) {
  const sock = net.connect({ host: '127.0.0.1', port, localAddress: `127.0.${Math.floor((2 + (k % addresses)) / 256)}.${(2 + (k % addresses)) % 256}` });
  const c = { sock, live: false };
  sock.on('connect', () => { c.live = true; open++; sock.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: '); });
  sock.on('error', () => {});
  sock.on('data', () => {});
  sock.on('close', () => {
    if (c.live) open--;
    c.live = false;
    closed++;
    setTimeout(() => { conns[k] = connect(k); }, 1000);
  });
  return c;
}

(async () => {
  for (let k = 0; k < total; k++) {
    conns[k] = connect(k);
    if (k % 500 === 499) await new Promise((r) => setTimeout(r, 10));
  }
  setInterval(() => {
    for (const c of conns) if (c && c.live && c.sock.writable) c.sock.write('a');
    console.log(`flood: ${open} open, ${closed} closed by the server`);
  }, 1000);
})();
