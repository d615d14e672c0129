// A stand-in for `codex app-server` (JSON-RPC lines on stdio, no "jsonrpc" member, as Codex 0.169.0 speaks it):
// answers initialize, thread/loaded/list (one loaded thread) and turn/start, and reports every turn/start on stderr
// as "FAKE-CODEX turn/start <params JSON>" so a test can see what the bridge delivered. The first turn/start of each
// process fails when FAKE_CODEX_FAIL_FIRST=1, to prove the bridge retries instead of skipping the message.
import readline from 'node:readline';

let failNext = process.env.FAKE_CODEX_FAIL_FIRST === '1';
let turns = 0;
const send = (message) => process.stdout.write(JSON.stringify(message) + '\n');
const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
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
});
