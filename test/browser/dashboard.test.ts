import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLUICE_BIN, tempDir } from '../helpers.js';

// The dashboard in a real browser: Debian's chromium (scripts/ensure-chromium.sh installs it
// before npm test), driven by playwright-core. No screenshots are kept.
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

let dir: string;
let cleanup: () => Promise<void>;
let browser: Browser;
let serve: ChildProcess;
let url: string;

// 400 rows: ids 7, 57, 107, … are not numbers (8 rejects of rule type); v of 30, 130, 230, 330 is negative (4 of rule min).
const rows = Array.from({ length: 400 }, (_, i) => `${i % 50 === 7 ? `x${i}` : i},${i % 100 === 30 ? -1 : i}`);
const CONFIG = `pipelines:
  - name: slow
    chunking: { strategy: bytes, targetSize: 200 }
    schema:
      columns:
        id: { type: integer, required: true }
        v: { type: number, min: 0 }
    compute:
      type: fargate
      # A stand-in for a slow program, so the run lasts long enough to watch.
      command: [${JSON.stringify(process.execPath)}, "-e", "setTimeout(() => {}, 300)"]
`;

beforeAll(async () => {
  if (!CHROMIUM) throw new Error('no chromium: run sh scripts/ensure-chromium.sh (npm test runs it first)');
  ({ dir, cleanup } = await tempDir('sluice-dashboard-'));
  await writeFile(join(dir, 'pipeline.yaml'), CONFIG);
  await writeFile(join(dir, 'slow.csv'), `id,v\n${rows.join('\n')}\n`);
  serve = spawn(process.execPath, [SLUICE_BIN, 'serve', '--out', join(dir, 'out'), '--port', '0'], { cwd: dir });
  url = await new Promise<string>((resolve, reject) => {
    let text = '';
    serve.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(text);
      if (m) resolve(m[0]);
    });
    serve.once('exit', (code) => reject(new Error(`sluice serve exited ${code}`)));
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
});
afterAll(async () => {
  await browser?.close();
  serve?.kill();
  await cleanup?.();
});

describe('the dashboard in chromium', () => {
  it("shows a run's progress moving, a job's counts, and its rejects filtered by rule", async () => {
    const page = await browser.newPage();
    await page.goto(url);
    expect(await page.locator('h1').textContent()).toBe('Jobs');
    const run = spawn(process.execPath, [SLUICE_BIN, 'run', 'pipeline.yaml', 'slow.csv', '--out', 'out', '--workers', '1'], { cwd: dir, stdio: 'ignore' });
    const finished = new Promise<number | null>((resolve) => run.once('exit', resolve));
    // What the page's own polling shows, read every 200 ms until the job is done.
    const seen: string[] = [];
    let exit: number | null | undefined;
    void finished.then((c) => (exit = c));
    for (let i = 0; i < 300; i++) {
      const cell = page.locator('tr[data-job] .chunks').first();
      // The status first: the count read after it is from the same poll or a later one, so a
      // SUCCEEDED status is never paired with the count of the poll before (a race seen once: 14/15).
      const status = (await cell.count()) ? await page.locator('tr[data-job] td:nth-child(3)').first().textContent() : '';
      const text = (await cell.count()) ? await cell.textContent() : null;
      if (text && seen.at(-1) !== text) seen.push(text);
      if (status === 'SUCCEEDED' && exit !== undefined) break;
      await page.waitForTimeout(200);
    }
    expect(await finished).toBe(0);
    const done = seen.map((s) => Number(s.split('/')[0]));
    // About 17 chunks of 200 bytes, all done at the end.
    const [last, total] = seen.at(-1)!.split('/').map(Number) as [number, number];
    expect(last).toBe(total);
    expect(total).toBeGreaterThan(10);
    // At least three different counts on the way, never going back.
    expect(new Set(done).size).toBeGreaterThanOrEqual(3);
    expect([...done].sort((a, b) => a - b)).toEqual(done);

    await page.locator('tr[data-job] a').first().click();
    await page.waitForSelector('#counts');
    const count = async (name: string) => (await page.locator(`td[data-count="${name}"]`).textContent())!;
    expect([await count('rowsIn'), await count('rowsOut'), await count('rowsRejected'), await count('rowsFiltered')]).toEqual(['400', '388', '12', '0']);
    const lines = async () => page.locator('#rejects tbody tr td:first-child').allTextContents();
    expect(await lines()).toEqual(['9', '32', '59', '109', '132', '159', '209', '232', '259', '309', '332', '359']);
    await Promise.all([page.waitForURL(/rule=min/), page.selectOption('#rule', 'min')]);
    expect(await lines()).toEqual(['32', '132', '232', '332']);
    await Promise.all([page.waitForURL(/rule=type/), page.selectOption('#rule', 'type')]);
    expect(await lines()).toEqual(['9', '59', '109', '159', '209', '259', '309', '359']);
    await page.close();
  }, 120_000);
});
