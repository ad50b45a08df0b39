// Child process of bench/router.bench.ts: the tiny HTTP backend every target proxies to. Plain JavaScript so
// it starts without a loader. GET / answers a small JSON body; GET /sse opens an event stream whose first event
// is written at once (then it ends); POST /mcp answers any JSON-RPC request with an empty result.
'use strict';
const http = require('node:http');

const BODY = Buffer.from('{"ok":true,"service":"bench-backend"}');
const server = http.createServer((req, res) => {
  if (req.url === '/sse') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.end('event: message\ndata: {"hello":true}\n\n');
    return;
  }
  if (req.method === 'POST') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let id = null;
      try {
        id = JSON.parse(Buffer.concat(chunks).toString()).id ?? null;
      } catch {}
      const out = `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{}}`;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
      res.end(out);
    });
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
  res.end(BODY);
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
