import { spawn, spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLUX_CONFIG, fluxTsv, writeJson } from '../../fixtures.js';
import { SLUICE_BIN, tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

async function files(root: string, sub: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const full = join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else out[relative(root, full)] = (await readFile(full)).toString('base64');
    }
  };
  await walk(join(root, sub));
  return out;
}

function sluice(args: string[]) {
  return spawnSync(process.execPath, [SLUICE_BIN, ...args], { encoding: 'utf8', cwd: dir });
}

describe('sluice run after SIGKILL', () => {
  it('skips finished chunks and produces byte-identical results', async () => {
    const config = { pipelines: [{ ...FLUX_CONFIG.pipelines[0], chunking: { targetSize: '64KB' } }] };
    await writeJson(join(dir, 'config.json'), config);
    await writeFile(join(dir, 'site.tsv'), fluxTsv(60_000).text);

    const clean = sluice(['run', 'config.json', 'site.tsv', '--out', 'clean', '--workers', '1']);
    expect(clean.status, clean.stderr).toBe(0);

    const child = spawn(process.execPath, [SLUICE_BIN, 'run', 'config.json', 'site.tsv', '--out', 'killed', '--workers', '1'], { cwd: dir, stdio: 'ignore' });
    // Kill once a few chunks have checkpoints, mid-run.
    let done = 0;
    for (let i = 0; i < 600 && done < 4; i++) {
      await sleep(50);
      const jobs = await readdir(join(dir, 'killed/state')).catch(() => [] as string[]);
      done = jobs.length ? (await readdir(join(dir, 'killed/state', jobs[0]!))).filter((f) => /^chunk-\d+\.json$/.test(f)).length : 0;
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(done).toBeGreaterThanOrEqual(4);

    const resumed = sluice(['run', 'config.json', 'site.tsv', '--out', 'killed', '--workers', '1']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/already done/);
    expect(resumed.stderr).toMatch(/skipped \(checkpoint\)/);

    const a = await files(join(dir, 'clean'), 'results');
    const b = await files(join(dir, 'killed'), 'results');
    expect(Object.keys(a).length).toBeGreaterThan(10);
    expect(b).toEqual(a);
    expect(await files(join(dir, 'killed'), 'rejects')).toEqual(await files(join(dir, 'clean'), 'rejects'));

    // And the no-loss checker agrees: every record in exactly one place.
    const jobId = (await readdir(join(dir, 'killed/state')))[0]!;
    const verify = sluice(['verify', jobId, '--out', 'killed']);
    expect(verify.stdout).toMatch(/verified: 0 lost, 0 duplicated/);
    expect(verify.status).toBe(0);
  });

  it('prints one clear line and exits non-zero for a bad config or a missing file', async () => {
    await writeJson(join(dir, 'bad.json'), { pipelines: [{ name: 'x', schema: { columns: { a: { type: 'nope' } } } }] });
    const bad = sluice(['run', 'bad.json', 'site.tsv']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/pipelines\[0\]\.schema\.columns\.a\.type: Invalid option/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    const missing = sluice(['run', 'config.json', 'absent.tsv']);
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim()).toBe('sluice: absent.tsv: file not found');
  });
});
