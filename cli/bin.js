#!/usr/bin/env node
// `npx sluice`: run the TypeScript CLI through tsx's loader.
import { register } from 'node:module';
register('tsx/esm', import.meta.url);
await import('./sluice.ts');
