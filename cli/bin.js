#!/usr/bin/env node
/* global console, process */
// `npx sluice`: the CLI as JavaScript, built into dist/ by `npm run build` (`npm ci` runs it as `prepare`).
try {
  await import('../dist/sluice.js');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('dist/sluice.js')) throw e;
  console.error('sluice: the CLI is not built: run `npm run build` (npm ci does it)');
  process.exitCode = 2;
}
