// The emulators ship no types; only what the harness uses.
declare module 's3rver' {
  export default class S3rver {
    constructor(options: Record<string, unknown>);
    run(): Promise<import('node:net').AddressInfo>;
    close(): Promise<void>;
    on(event: 'event', listener: (e: unknown) => void): this;
  }
}
declare module 'dynalite' {
  const dynalite: (options: Record<string, unknown>) => import('node:http').Server;
  export default dynalite;
}
