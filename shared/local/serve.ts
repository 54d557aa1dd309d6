import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { apiApp } from '../api/app.js';
import { FileStateStore } from './file-state-store.js';
import { FsObjectStore } from './fs-object-store.js';
import { shownStatus } from './job-lock.js';

const LOOPBACK = '127.0.0.1';

/** `sluice serve`: the dashboard and API over a local output folder, on 127.0.0.1 unless a host is given. */
export async function serveLocal(options: { out: string; port: number; host?: string }): Promise<{ url: string; host: string; port: number; exposed: boolean; close: () => Promise<void> }> {
  const host = options.host ?? LOOPBACK;
  const stateRoot = join(options.out, 'state');
  const state = new FileStateStore(stateRoot);
  const app = apiApp(
    {
      state,
      objects: new FsObjectStore(options.out),
      link: async (key) => `/files/${key.split('/').map(encodeURIComponent).join('/')}`,
      statusOf: (job) => shownStatus(stateRoot, job),
    },
    // On loopback, only this machine's own names: a page elsewhere whose name was rebound to 127.0.0.1 is refused.
    { pages: true, ...(options.host === undefined ? { hosts: () => loopbackHosts(port) } : {}) },
  );
  let port = options.port;
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: host }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    host,
    port,
    exposed: host !== LOOPBACK && host !== 'localhost' && host !== '::1',
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The Host headers a browser on this machine sends to a server on 127.0.0.1 at `port`. */
function loopbackHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
}
