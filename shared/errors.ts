/** Base of every error Sluice raises on purpose; `name` reaches Step Functions as the error name. */
export class SluiceError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A config value is wrong. Permanent: retrying cannot help. */
export class ConfigError extends SluiceError {
  constructor(
    readonly path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${path}: ${message}`, options);
  }
}

/** An input file cannot be read as configured. Permanent. `line` is 0 when no line applies. */
export class InputError extends SluiceError {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(line > 0 ? `${file}:${line}: ${message}` : `${file}: ${message}`, options);
  }
}

/** Output cannot be written (disk full, no permission). Permanent until someone makes room. */
export class OutputError extends SluiceError {}

/** A failure worth retrying with backoff (I/O hiccups, throttling). */
export class TransientError extends SluiceError {}

/** The job stopped on purpose: `onBadRow: fail-job`, the quality gate or a dataset rule. Permanent. */
export class JobFailedError extends SluiceError {}

/** True when the error is worth another attempt. Unknown errors count as transient. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof TransientError) return true;
  if (error instanceof SluiceError) return false;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  // Out of space or permissions will not heal by waiting.
  if (code === 'ENOSPC' || code === 'EACCES' || code === 'ENOENT' || code === 'EISDIR') return false;
  return true;
}

/**
 * The name an error reaches Step Functions with: `Sluice.<Name>` for ours (the names the state
 * machine's Retry and Catch match); anything else keeps its own.
 */
export function stepFunctionsName(error: unknown): string {
  const name = error instanceof Error ? error.name : 'Error';
  return error instanceof SluiceError && !name.startsWith('Sluice.') ? `Sluice.${name}` : name;
}
