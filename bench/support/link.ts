/**
 * A loopback TCP link from one observer cloud to one target cloud, for network fault injection in the failover
 * benchmark. In `pass` mode it forwards bytes both ways; in `blackhole` mode it accepts connections and never
 * answers (a partition: the observer's probe times out while the target stays healthy for everyone else).
 * Switching to `blackhole` also cuts the connections already open, so pooled keep-alive connections don't leak
 * through the partition.
 */
import net from 'node:net';

export type LinkMode = 'pass' | 'blackhole';

export interface Link {
  /** The target's base URL as seen through the link (same path, the link's port). */
  readonly url: string;
  readonly port: number;
  mode(): LinkMode;
  set(mode: LinkMode): void;
  close(): Promise<void>;
}

/** Starts a link in `pass` mode to the host and port of `target` (an http URL). */
export async function startLink(target: string): Promise<Link> {
  const to = new URL(target);
  let current: LinkMode = 'pass';
  const open = new Set<net.Socket>();
  const track = (socket: net.Socket): void => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  };
  const cutAll = (): void => {
    for (const socket of open) socket.destroy();
  };

  const server = net.createServer((client) => {
    track(client);
    client.on('error', () => client.destroy());
    if (current === 'blackhole') return; // held open, never answered; destroyed on the next mode change or close
    const upstream = net.connect({ host: to.hostname, port: Number(to.port) });
    track(upstream);
    upstream.on('error', () => (upstream.destroy(), client.destroy()));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  const url = new URL(target);
  url.port = String(port);
  return {
    url: url.toString().replace(/\/$/, ''),
    port,
    mode: () => current,
    set(mode) {
      if (mode === current) return;
      current = mode;
      cutAll();
    },
    close: () =>
      new Promise<void>((resolve) => {
        cutAll();
        server.close(() => resolve());
      }),
  };
}
