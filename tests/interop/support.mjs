// What every interop script needs: the executable under test, an upper bound on waits, and a free loopback port.
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export const MESHFLEET_BIN = process.env.MESHFLEET_BIN
  ? path.resolve(process.env.MESHFLEET_BIN)
  : path.resolve(here, '../../out/meshfleet');

// Upper bound on every wait, so a broken server fails the run instead of hanging it.
export const TIMEOUT_MS = 20_000;

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
