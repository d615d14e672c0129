// A stand-in for `codex app-server` (JSON-RPC lines on stdio, no "jsonrpc" member, as Codex 0.169.0 speaks it):
// answers initialize, thread/loaded/list (one loaded thread) and turn/start, and reports every turn/start on stderr
// as "FAKE-CODEX turn/start <params JSON>" so a test can see what the bridge delivered. The first turn/start of each
// process fails when FAKE_CODEX_FAIL_FIRST=1, to prove the bridge retries instead of skipping the message.
// Started with a `proxy` argument it plays `codex app-server proxy` instead, which relays stdio to the daemon's
// WebSocket server: it wants an HTTP upgrade (`GET /`, answered `101 Switching Protocols`), then each message as one
// masked text frame, and answers with unmasked text frames; JSON lines get no answer at all, as from the real proxy.
import crypto from 'node:crypto';
import readline from 'node:readline';

let failNext = process.env.FAKE_CODEX_FAIL_FIRST === '1';
let turns = 0;
const proxy = process.argv.slice(2).includes('proxy');

function frame(text) {
  const data = Buffer.from(text, 'utf8');
  const head = data.length < 126 ? Buffer.from([0x81, data.length])
    : data.length < 65536 ? Buffer.from([0x81, 126, data.length >> 8, data.length & 255])
    : Buffer.concat([Buffer.from([0x81, 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(data.length)); return b; })()]);
  return Buffer.concat([head, data]);
}

const send = (message) => process.stdout.write(proxy ? frame(JSON.stringify(message)) : JSON.stringify(message) + '\n');

if (proxy) {
  let buffer = Buffer.alloc(0);
  let upgraded = false;
  let text = '';
  process.stdin.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    if (!upgraded) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffer.subarray(0, end).toString('latin1').split('\r\n');
      buffer = buffer.subarray(end + 4);
      const headers = Object.fromEntries(head.slice(1).map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      if (!head[0].startsWith('GET / HTTP/1.1') || headers.upgrade?.toLowerCase() !== 'websocket' || !headers['sec-websocket-key']) {
        process.stderr.write(`FAKE-CODEX not a WebSocket upgrade: ${JSON.stringify(head[0])}\n`);
        return; // the real proxy's daemon never answers this either
      }
      const accept = crypto.createHash('sha1').update(headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
      process.stdout.write(`HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-accept: ${accept}\r\n\r\n`);
      process.stderr.write('FAKE-CODEX upgraded to WebSocket\n');
      upgraded = true;
    }
    while (buffer.length >= 2) {
      const fin = (buffer[0] & 0x80) !== 0, opcode = buffer[0] & 15, masked = (buffer[1] & 0x80) !== 0;
      let length = buffer[1] & 127, offset = 2;
      if (length === 126) { if (buffer.length < 4) return; length = buffer.readUInt16BE(2); offset = 4; }
      else if (length === 127) { if (buffer.length < 10) return; length = Number(buffer.readBigUInt64BE(2)); offset = 10; }
      if (!masked) { process.stderr.write('FAKE-CODEX unmasked client frame\n'); process.exit(3); }
      if (buffer.length < offset + 4 + length) return;
      const mask = buffer.subarray(offset, offset + 4);
      const data = Buffer.from(buffer.subarray(offset + 4, offset + 4 + length).map((b, i) => b ^ mask[i % 4]));
      buffer = buffer.subarray(offset + 4 + length);
      if (opcode === 8) process.exit(0);
      if (opcode !== 0 && opcode !== 1) continue;
      text += data.toString('utf8');
      if (fin) { const whole = text; text = ''; handle(whole); }
    }
  });
  process.stdin.on('end', () => process.exit(0));
} else {
  readline.createInterface({ input: process.stdin }).on('line', handle);
}

function handle(line) {
  const message = JSON.parse(line);
  process.stderr.write(`FAKE-CODEX got ${message.method}\n`);
  if (message.id === undefined) {
    return;
  }
  switch (message.method) {
    case 'initialize':
      send({ id: message.id, result: { userAgent: 'fake-codex/0.169.0', codexHome: '/nonexistent', platformFamily: 'unix', platformOs: 'linux' } });
      send({ method: 'configWarning', params: { summary: 'a notification the bridge ignores', details: null } });
      break;
    case 'thread/loaded/list':
      send({ id: message.id, result: { data: ['019a0000-0000-7000-8000-000000000001'], nextCursor: null } });
      break;
    case 'turn/start':
      if (failNext) {
        failNext = false;
        send({ id: message.id, error: { code: -32603, message: 'turn already in progress' } });
        break;
      }
      turns++;
      process.stderr.write(`FAKE-CODEX turn/start ${JSON.stringify(message.params)}\n`);
      send({ id: message.id, result: { turn: { id: `turn-${turns}`, items: [], status: 'inProgress' } } });
      break;
    default:
      send({ id: message.id, error: { code: -32601, message: `method not found: ${message.method}` } });
  }
}
