import type { JobSummary } from '../report/summary.js';
import type { Config } from '../config/schema.js';
import type { ChildEnvironment } from '../env.js';
import type { ObjectStore } from '../store/object-store.js';
import type { StateStore } from '../state/models.js';

/** Starts one state machine execution per job; the execution name is the job id, so a second start is a no-op. */
export interface ExecutionStarter {
  start(name: string, input: unknown): Promise<'started' | 'exists'>;
  /** Whether the execution of this name is still running (Step Functions' DescribeExecution). */
  isRunning?(name: string): Promise<boolean>;
}

/** JobSucceeded / JobFailed on an event bus. */
export interface EventPublisher {
  publish(detailType: 'JobSucceeded' | 'JobFailed', detail: Record<string, unknown>): Promise<void>;
}

/** Minimal logger surface (Powertools Logger fits it). */
export interface Log {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** Where job summaries go (an SNS topic's e-mail subscribers in AWS); absent, none are sent. */
export interface JobSummaries {
  /** A link a person can open to the report at `key`. */
  reportLink(key: string): string;
  send(summary: JobSummary): Promise<void>;
}

/**
 * What a job's steps need: where outputs go, the job and chunk records, a log; and where the
 * input is read, when that is apart from the outputs (a local file; in AWS both are the bucket).
 */
export interface JobDeps {
  readonly objects: ObjectStore;
  readonly summaries?: JobSummaries;
  readonly input?: ObjectStore;
  readonly state: StateStore;
  readonly log: Log;
  /** The environment of a `compute.command` program; a step that runs one needs it. */
  readonly childEnvironment?: ChildEnvironment;
}

/** What every cloud step needs: the deployed config, the bucket and the table. */
export interface CloudDeps extends JobDeps {
  readonly config: Config;
}

export const INCOMING_PREFIX = 'incoming/';
