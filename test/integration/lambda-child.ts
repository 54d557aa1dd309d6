// One work λ invocation in its own process, so a test can kill it mid-chunk as Lambda kills a
// sandbox. The event comes in LAMBDA_EVENT; "ready" (code loaded: the timeout starts) and then the
// result or the error go back over the IPC channel.
const send = (message: unknown) => new Promise<void>((resolve) => process.send!(message, () => resolve()));
const { handler } = (await import('../../functions/work.js')) as { handler: (event: unknown) => Promise<unknown> };
await send({ ready: true });
try {
  await send({ result: await handler(JSON.parse(process.env.LAMBDA_EVENT!)) });
} catch (e) {
  await send({ errorType: (e as Error).name, errorMessage: (e as Error).message });
}
process.disconnect();
