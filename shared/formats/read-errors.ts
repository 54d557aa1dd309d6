import { InputError, TransientError } from '../errors.js';

/** Decompression faults are the file's fault (permanent); connection faults may heal (transient). */
export function classifyReadError(e: unknown, file: string): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code && code.startsWith('Z_')) return new InputError(file, 0, `corrupt or truncated gzip (${(e as Error).message})`, { cause: e });
  if ((e as Error | undefined)?.message === 'unexpected end of file') return new InputError(file, 0, 'truncated gzip', { cause: e });
  if (code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'EPIPE') return new TransientError(`${file}: ${(e as Error).message}`, { cause: e });
  return e;
}
