// The emulated cloud on one machine, no Docker: s3rver (S3) and dynalite (DynamoDB) over HTTP,
// a small HTTP shim for StartExecution and PutEvents, and aws-local-stepfunctions running the
// synthesized state machine with its Lambda tasks bound to our handlers and the ECS task to the
// task entry as a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Template } from 'aws-cdk-lib/assertions';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { Config } from '../../shared/config/schema.js';
import { SluiceStack } from '../../infra/sluice-stack.js';
import { templateApp } from '../cdk-app.js';
import { inlineDistributedMaps, resolveDefinition, taskNames } from './asl.js';

// aws-local-stepfunctions uses Promise.withResolvers (Node 22); Node 20 needs it polyfilled.
const P = Promise as unknown as { withResolvers?: () => unknown };
P.withResolvers ??= function withResolvers<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
};

export const BUCKET = 'sluice-data';
export const TABLE = 'sluice-jobs';
const TSX = import.meta.resolve('tsx');
const TASK_ENTRY = new URL('../../functions/task/main.ts', import.meta.url).pathname;
const LAMBDA_CHILD = new URL('./lambda-child.ts', import.meta.url).pathname;

type Handler = (input: unknown) => Promise<unknown>;
type Json = Record<string, unknown>;

/** Every `every`-th request to a service fails (0 = off), the way S3 and DynamoDB push back under load. */
export interface Faults {
  s3Every: number;
  dynamoEvery: number;
  /** An S3 outage that outlasts the SDK's own retries: the next `requests` matching requests get 503 SlowDown. */
  s3Outage?: { requests: number; match: (method: string, url: string) => boolean };
  /** Sees every S3 request before it is forwarded (to act at a precise moment, such as killing a task). */
  s3Watch?: (method: string, url: string) => void;
  injected: { s3: number; dynamo: number };
}

export type Dispatch = (event: SQSEvent, context: never) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;

/** One SQS message carrying S3's notification, the key URL-encoded as S3 sends it ('+' for space). */
export function sqsMessage(key: string, id = key): SQSRecord {
  const encoded = encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
  const body = { Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: BUCKET }, object: { key: encoded, size: 1 } } }] };
  return { messageId: id, body: JSON.stringify(body), receiptHandle: 'r', attributes: {} as never, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:q', awsRegion: 'us-east-1' };
}

export interface Emulated {
  /** The real dispatch handler, loaded once the environment points at the emulators. */
  readonly dispatch: Dispatch;
  readonly faults: Faults;
  /** false: StartExecution is recorded but not run (for the dispatch burst). */
  runExecutions: boolean;
  readonly s3: S3Client;
  readonly dynamo: DynamoDBClient;
  readonly executions: Map<string, Promise<unknown>>;
  readonly events: { detailType: string; detail: Json }[];
  /** Hooks a test can set: runs before the work handler (fault injection). */
  beforeWork?: (task: Json) => void | Promise<void>;
  /** Runs before the Plan λ scans a window (the scan Map's item). */
  beforeScan?: (task: Json) => void | Promise<void>;
  /**
   * The work λ's timeout, enforced the way Lambda does (the task fails with Sandbox.Timedout).
   * From the template (compute.timeoutSeconds, 30 s at least); a test may shorten it.
   */
  workTimeoutMs: number;
  /** Set: each work λ invocation runs in its own process, handed here as it starts (so a test can kill it). */
  onWorkProcess?: (invocation: ChildProcess, task: Json) => void;
  /** Every failed work λ invocation, as the state machine saw it (a test may clear it). */
  readonly workErrors: { index: number; name: string }[];
  /** Resolves once no work λ invocation is running in its own process. */
  workIdle(): Promise<void>;
  /** Runs before the ECS task's process starts. */
  beforeTask?: () => void;
  /** Gets each ECS task's process as it starts. */
  onTaskStart?: (task: ChildProcess) => void;
  /** The real sweep handler (the EventBridge schedule's target). */
  readonly sweep: (event?: { pipeline?: string; prefix?: string }) => Promise<{ redriven: string[]; dispatched: string[]; gaveUp: string[] }>;
  /** What the ECS task processes printed (their Powertools log lines). */
  readonly taskOutput: string[];
  /** The largest task input or output seen (JSON bytes) and where: each must stay within 256 KiB. */
  readonly payloads: { largest: number; where: string };
  stop(): Promise<void>;
}

/**
 * Sends one S3 event through the real dispatch handler and returns the one execution it started
 * (its name is the job id) and that execution's outcome. The batch must report no failures.
 */
export async function startJob(emu: Emulated, key: string, id = key): Promise<{ name: string; outcome: Promise<unknown> }> {
  const before = new Set(emu.executions.keys());
  const r = await emu.dispatch({ Records: [sqsMessage(key, id)] }, {} as never);
  if (r.batchItemFailures.length) throw new Error(`dispatch failed for ${key}: ${JSON.stringify(r.batchItemFailures)}`);
  const started = [...emu.executions.keys()].filter((k) => !before.has(k));
  if (started.length !== 1) throw new Error(`expected one new execution for ${key}, got ${started.length}`);
  return { name: started[0]!, outcome: emu.executions.get(started[0]!)! };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** Starts the emulators and points the SDK at them through the standard environment variables. */
export async function startEmulators(config: Config): Promise<Emulated> {
  const { default: S3rver } = await import('s3rver');
  const dynalite = (await import('dynalite')).default as (o: Json) => Server;
  const dir = await mkdtemp(join(tmpdir(), 'sluice-s3-'));
  const s3rver = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, resetOnClose: true });
  const s3Port = ((await s3rver.run()) as AddressInfo).port;
  const dynamoServer = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const dynamoPort = await listen(dynamoServer);

  const faults: Faults = { s3Every: 0, dynamoEvery: 0, injected: { s3: 0, dynamo: 0 } };
  const s3Proxy = faultProxy(s3Port, (method, url) => {
    faults.s3Watch?.(method, url);
    const outage = faults.s3Outage;
    if (outage && outage.requests > 0 && outage.match(method, url)) {
      outage.requests--;
      faults.injected.s3++;
      return { status: 503, type: 'application/xml', body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>injected outage</Message></Error>' };
    }
    if (!faults.s3Every || ++counters.s3 % faults.s3Every) return undefined;
    faults.injected.s3++;
    const code = faults.injected.s3 % 2 ? 'SlowDown' : 'InternalError';
    return { status: code === 'SlowDown' ? 503 : 500, type: 'application/xml', body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected</Message></Error>` };
  });
  const dynamoProxy = faultProxy(dynamoPort, () => {
    if (!faults.dynamoEvery || ++counters.dynamo % faults.dynamoEvery) return undefined;
    faults.injected.dynamo++;
    return { status: 400, type: 'application/x-amz-json-1.0', body: JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'Rate of requests exceeds the allowed throughput (injected)' }) };
  });
  const counters = { s3: 0, dynamo: 0 };
  const s3ProxyPort = await listen(s3Proxy);
  const dynamoProxyPort = await listen(dynamoProxy);

  // Work λ invocations running in their own processes; stop() kills any left.
  const workProcesses = new Set<ChildProcess>();
  const emulated: Emulated = {
    dispatch: undefined as unknown as Dispatch,
    sweep: undefined as unknown as Emulated['sweep'],
    faults,
    runExecutions: true,
    s3: undefined as unknown as S3Client,
    dynamo: undefined as unknown as DynamoDBClient,
    executions: new Map(),
    events: [],
    taskOutput: [],
    payloads: { largest: 0, where: '' },
    workTimeoutMs: 0,
    workErrors: [],
    async workIdle() {
      while (workProcesses.size) await new Promise((r) => setTimeout(r, 50));
    },
    async stop() {
      for (const child of workProcesses) child.kill('SIGKILL');
      await Promise.allSettled([...this.executions.values()]);
      shim.close();
      s3Proxy.close();
      dynamoProxy.close();
      dynamoServer.close();
      await s3rver.close();
      await rm(dir, { recursive: true, force: true });
    },
  };

  // StartExecution and PutEvents: the JSON 1.0 protocol, routed by X-Amz-Target.
  let runExecution: (name: string, input: unknown) => Promise<unknown> = async () => undefined;
  const shim = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const payload = JSON.parse(body || '{}') as Json;
      res.setHeader('content-type', 'application/x-amz-json-1.0');
      if (target.endsWith('.StartExecution')) {
        const name = payload.name as string;
        if (emulated.executions.has(name)) {
          res.statusCode = 400;
          res.end(JSON.stringify({ __type: 'ExecutionAlreadyExists', message: `Execution Already Exists: ${name}` }));
          return;
        }
        const run = emulated.runExecutions ? runExecution(name, JSON.parse(payload.input as string)) : Promise.resolve(undefined);
        run.catch(() => undefined);
        emulated.executions.set(name, run);
        res.end(JSON.stringify({ executionArn: `arn:aws:states:us-east-1:123456789012:execution:sm:${name}`, startDate: Date.now() / 1000 }));
      } else if (target.endsWith('.PutEvents')) {
        for (const e of payload.Entries as Json[]) emulated.events.push({ detailType: e.DetailType as string, detail: JSON.parse(e.Detail as string) as Json });
        res.end(JSON.stringify({ FailedEntryCount: 0, Entries: (payload.Entries as Json[]).map(() => ({ EventId: 'e' })) }));
      } else {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'UnknownOperationException', message: target }));
      }
    });
  });
  const shimPort = await listen(shim);

  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    // Through fault-injecting proxies, off unless a test turns them on.
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${s3ProxyPort}`,
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${dynamoProxyPort}`,
    AWS_ENDPOINT_URL_SFN: `http://127.0.0.1:${shimPort}`,
    AWS_ENDPOINT_URL_EVENTBRIDGE: `http://127.0.0.1:${shimPort}`,
    // s3rver stores aws-chunked framing verbatim unless checksums are only sent when required.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    S3_FORCE_PATH_STYLE: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_DEV: 'true',
    POWERTOOLS_LOG_LEVEL: 'WARN',
    BUCKET,
    TABLE_NAME: TABLE,
    STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:sluice',
    SLUICE_CONFIG: JSON.stringify(config),
  });
  const s3 = new S3Client({ forcePathStyle: true });
  const dynamo = new DynamoDBClient({});
  Object.assign(emulated, { s3, dynamo });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await dynamo.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: ['pk', 'sk', 'status', 'updatedAt'].map((n) => ({ AttributeName: n, AttributeType: 'S' })),
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      GlobalSecondaryIndexes: [{ IndexName: 'byStatus', KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }, { AttributeName: 'updatedAt', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } }],
    }),
  );
  await waitUntilTableExists({ client: dynamo, maxWaitTime: 10, minDelay: 1, maxDelay: 1 }, { TableName: TABLE });

  // Handlers read the environment at import, so they load only now.
  const handlers = {
    plan: (await import('../../functions/plan.js')).handler as Handler,
    work: (await import('../../functions/work.js')).handler as Handler,
    reduce: (await import('../../functions/reduce.js')).handler as Handler,
    finalize: (await import('../../functions/finalize.js')).handler as Handler,
    fail: (await import('../../functions/fail.js')).handler as Handler,
  };
  const machine = await synthesizedMachine(config);
  emulated.workTimeoutMs = machine.workTimeoutSeconds * 1000;
  const { StateMachine } = await import('aws-local-stepfunctions');
  const local: Record<string, Handler> = {
    Plan: handlers.plan,
    ScanWindow: async (task) => {
      await emulated.beforeScan?.(task as Json);
      return handlers.plan(task);
    },
    PlanFromScans: handlers.plan,
    Work: async (task) => {
      // A timed-out invocation is stopped: if the clock runs out during an injected delay, the handler
      // never starts; an invocation in its own process is killed where it stands, its clock started
      // once its code is loaded (Lambda does not count the init phase against the timeout).
      let timedOut = false;
      const kill = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      let expire!: (e: Error) => void;
      const timeout = new Promise<never>((_, reject) => (expire = reject));
      const startClock = () => {
        timer = setTimeout(() => {
          timedOut = true;
          kill.abort();
          expire(Object.assign(new Error(`Task timed out after ${(emulated.workTimeoutMs / 1000).toFixed(2)} seconds`), { name: 'Sandbox.Timedout' }));
        }, emulated.workTimeoutMs);
      };
      const onProcess = emulated.onWorkProcess;
      const run = (async () => {
        if (onProcess) return invokeInProcess(task as Json, { onStart: onProcess, onReady: startClock, kill: kill.signal, live: workProcesses });
        startClock();
        await emulated.beforeWork?.(task as Json);
        if (timedOut) return undefined;
        return handlers.work(task);
      })();
      try {
        return await Promise.race([run, timeout]);
      } catch (e) {
        // Named by its first chunk: the fault tests run one chunk an invocation (compute.chunksPerInvocation: 1).
        emulated.workErrors.push({ index: batchOf(task as Json)[0]!.index, name: (e as Error).name });
        throw e;
      } finally {
        clearTimeout(timer);
      }
    },
    WorkOnFargate: (input) => {
      emulated.beforeTask?.();
      return runTaskProcess((input as { Overrides: { ContainerOverrides: { Environment: { Name: string; Value: string }[] }[] } }).Overrides.ContainerOverrides[0]!.Environment, emulated.taskOutput, emulated.onTaskStart);
    },
    ReducePartition: handlers.reduce,
    Finalize: handlers.finalize,
    RecordFailure: handlers.fail,
  };
  Object.assign(emulated, { dispatch: (await import('../../functions/dispatch.js')).handler as Dispatch, sweep: (await import('../../functions/sweep.js')).handler });
  for (const reader of machine.readers) {
    local[reader] = async (params) => {
      const { Key } = params as { Key: string };
      const r = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key }));
      return JSON.parse(await r.Body!.transformToString()) as unknown;
    };
  }
  const missing = taskNames(machine.asl).filter((t) => !local[t]);
  if (missing.length) throw new Error(`no local handler for task(s) ${missing.join(', ')}`);
  // Every task's input and output within the 256 KiB Step Functions allows, as AWS would refuse them.
  // (The manifest readers stand in for the Distributed Map's own item reader, which has no such limit.)
  for (const [name, handler] of Object.entries(local)) {
    if (machine.readers.includes(name)) continue;
    local[name] = async (input) => {
      withinStateLimit(`${name} input`, input, emulated.payloads);
      return withinStateLimit(`${name} output`, await handler(input), emulated.payloads);
    };
  }
  // The retriers' own waits, exponential with their jitter and caps, a thousand times shorter.
  const asl = scaleRetries(machine.asl, RETRY_SCALE);
  runExecution = async (_name, input) => {
    withinStateLimit('execution input', input, emulated.payloads);
    const sm = new StateMachine(asl as never, { validationOptions: { checkArn: false, checkPaths: true } });
    return sm.run(input as never, { overrides: { taskResourceLocalHandlers: local as never } }).result;
  };
  return emulated;
}

/** Step Functions' limit on a state's input or output, and on an execution's input. */
/** The chunk tasks a work invocation got: the Map's ItemBatcher gives {Items: [...]}. */
export function batchOf(input: Json): { jobId: string; index: number; compute: string }[] {
  const o = input as { Items?: unknown[] };
  return (o.Items ?? [input]) as { jobId: string; index: number; compute: string }[];
}

export const STATE_LIMIT_BYTES = 256 * 1024;
/** Retry intervals and caps in the emulated tier, as a fraction of the template's. */
export const RETRY_SCALE = 1 / 1000;

/** The value, or States.DataLimitExceeded when its JSON is over 256 KiB; the largest size seen is kept. */
export function withinStateLimit<T>(what: string, value: T, seen: { largest: number; where: string }): T {
  const bytes = value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value));
  if (bytes > seen.largest) Object.assign(seen, { largest: bytes, where: what });
  if (bytes > STATE_LIMIT_BYTES) throw Object.assign(new Error(`${what} is ${bytes} bytes, over the ${STATE_LIMIT_BYTES}-byte limit`), { name: 'States.DataLimitExceeded' });
  return value;
}

/** The definition with every Retry's IntervalSeconds and MaxDelaySeconds times `factor`. */
export function scaleRetries<T>(asl: T, factor: number): T {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      out[k] =
        k === 'Retry' && Array.isArray(x)
          ? x.map((r: Record<string, unknown>) => ({
              ...r,
              IntervalSeconds: (typeof r.IntervalSeconds === 'number' ? r.IntervalSeconds : 1) * factor,
              ...(typeof r.MaxDelaySeconds === 'number' ? { MaxDelaySeconds: r.MaxDelaySeconds * factor } : {}),
            }))
          : walk(x);
    }
    return out;
  };
  return walk(asl) as T;
}

/** Forwards to an emulator, or answers with the fault `decide` returns. */
function faultProxy(targetPort: number, decide: (method: string, url: string) => { status: number; type: string; body: string } | undefined): Server {
  return createServer((req, res) => {
    const fault = decide(req.method ?? 'GET', req.url ?? '/');
    if (fault) {
      req.resume();
      req.on('end', () => {
        res.writeHead(fault.status, { 'content-type': fault.type, 'x-amzn-errortype': fault.body.includes('Throttling') ? 'ThrottlingException' : '' });
        res.end(fault.body);
      });
      return;
    }
    const upstream = request({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
    req.pipe(upstream);
    // A client killed mid-request must not leave the emulator waiting for the rest of its body.
    req.on('close', () => void (req.complete || upstream.destroy()));
  });
}

/**
 * The ECS task as a child process: the container's environment, our task entry. A non-zero exit
 * fails the way RunTask .sync does: States.TaskFailed, with the stopped task (no message of ours)
 * as the cause.
 */
async function runTaskProcess(environment: { Name: string; Value: string }[], output: string[], onStart?: (task: ChildProcess) => void): Promise<unknown> {
  const child = spawn(process.execPath, ['--import', TSX, TASK_ENTRY], {
    // Its metrics printed as in ECS (EMF on stdout, captured here), whatever POWERTOOLS_DEV says.
    env: { ...process.env, POWERTOOLS_METRICS_DISABLED: 'false', ...Object.fromEntries(environment.map((e) => [e.Name, e.Value])) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onStart?.(child);
  let printed = '';
  child.stdout.on('data', (c: Buffer) => (printed += c.toString()));
  child.stderr.on('data', (c: Buffer) => (printed += c.toString()));
  // A signal shows as 128 + its number, as in a container's exit code (SIGKILL: 137).
  const code = await new Promise<number>((resolve) => child.once('close', (c, signal) => resolve(c ?? 128 + (signal ? constants.signals[signal] : 0))));
  output.push(printed);
  const stopped = { LastStatus: 'STOPPED', StopCode: 'EssentialContainerExited', StoppedReason: 'Essential container in task exited', Containers: [{ Name: 'worker', ExitCode: code }] };
  if (code !== 0) {
    const error = new Error(JSON.stringify(stopped));
    error.name = 'States.TaskFailed';
    throw error;
  }
  return stopped;
}

/** A work λ invocation in a child process; killed, it fails as Lambda reports a sandbox that died. */
async function invokeInProcess(
  task: Json,
  hooks: { onStart: (invocation: ChildProcess, task: Json) => void; onReady: () => void; kill: AbortSignal; live: Set<ChildProcess> },
): Promise<unknown> {
  const child = spawn(process.execPath, ['--import', TSX, LAMBDA_CHILD], { env: { ...process.env, LAMBDA_EVENT: JSON.stringify(task) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  hooks.live.add(child);
  hooks.kill.addEventListener('abort', () => child.kill('SIGKILL'), { once: true });
  hooks.onStart(child, task);
  // The handler's outcome comes over IPC, as soon as it settles (Lambda does not wait for the process).
  type Outcome = { result: unknown } | { errorType: string; errorMessage: string } | { exit: number | null; signal: NodeJS.Signals | null };
  const reply = await new Promise<Outcome>((resolve) => {
    child.on('message', (m: Outcome | { ready: true }) => ('ready' in m ? hooks.onReady() : resolve(m)));
    child.once('error', (e) => resolve({ errorType: 'Runtime.ExitError', errorMessage: `could not start: ${e.message}` }));
    child.once('close', (exit, signal) => resolve({ exit, signal }));
  });
  hooks.live.delete(child);
  child.kill('SIGKILL');
  if ('result' in reply) return reply.result;
  if ('errorType' in reply) throw Object.assign(new Error(reply.errorMessage), { name: reply.errorType });
  const how = reply.signal === 'SIGKILL' ? 'signal: killed' : reply.signal ? `signal: ${reply.signal}` : `exit status ${reply.exit}`;
  throw Object.assign(new Error(`Runtime exited with error: ${how}`), { name: 'Runtime.ExitError' });
}

/** The stack's state machine as runnable ASL. */
async function synthesizedMachine(config: Config) {
  const { app, cleanup } = await templateApp();
  const stack = new SluiceStack(app, 'Emulated', { config, removal: 'destroy', workerMemoryMb: 1024, fargate: true });
  const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, { Type: string; Properties: { DefinitionString?: unknown } }> };
  await cleanup();
  const sm = Object.values(template.Resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine')!;
  const work = Object.entries(template.Resources).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('Work'))!;
  const workTimeoutSeconds = (work[1].Properties as { Timeout: number }).Timeout;
  return { ...inlineDistributedMaps(resolveDefinition(sm.Properties.DefinitionString as never, template.Resources)), workTimeoutSeconds };
}
