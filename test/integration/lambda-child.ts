// One work λ invocation in its own process, so a test can kill it mid-chunk as Lambda kills a
// sandbox. The event comes in LAMBDA_EVENT; the result or the error goes out on stdout as JSON.
const { handler } = (await import('../../functions/work.js')) as { handler: (event: unknown) => Promise<unknown> };
try {
  const result = await handler(JSON.parse(process.env.LAMBDA_EVENT!));
  process.stdout.write(JSON.stringify({ result }));
} catch (e) {
  process.stdout.write(JSON.stringify({ errorType: (e as Error).name, errorMessage: (e as Error).message }));
  process.exitCode = 1;
}
