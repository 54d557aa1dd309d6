/* global process, URL */
// Loaded with `node --import rss-probe.mjs?out=<file>` where GNU time is missing: writes the
// process's peak RSS in MB to <file> as it exits.
import { writeFileSync } from 'node:fs';

const out = new URL(import.meta.url).searchParams.get('out');
if (out) process.on('exit', () => writeFileSync(out, String(process.resourceUsage().maxRSS / 1024)));
