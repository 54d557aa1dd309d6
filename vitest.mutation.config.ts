import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * Runs the quickest files first (by the durations vitest cached from earlier runs; a file never
 * timed counts as quick), so a killed mutant stops, by bail, at the first cheap test that fails.
 */
class QuickFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const duration = (f: TestSpecification) => this.ctx.cache.getFileTestResults(`${f.project.name}:${relative(this.ctx.config.root, f.moduleId)}`)?.duration ?? 0;
    return [...files].sort((a, b) => duration(a) - duration(b));
  }
}

/**
 * The tests that `npm run test:mutation` (Stryker) runs against each mutant of shared/formats,
 * rules, process, report and collect: the fast unit tests of those folders and of the code that drives
 * them. No globalSetup: nothing here runs the built CLI. Left to `npm test`: the chunking property
 * tests (40 s a run), the slow cases excluded below, and the runLocal tests (test/unit/local,
 * test/reliability and those below), whose chunks run in worker threads, where Stryker cannot
 * switch a mutant on: they cost a run per mutant and kill almost none.
 */
export default defineConfig({
  test: {
    include: [
      'test/unit/formats/**/*.test.ts',
      'test/unit/rules/**/*.test.ts',
      'test/unit/process/**/*.test.ts',
      'test/unit/report/**/*.test.ts',
      'test/unit/config/**/*.test.ts',
      // In this thread: chunks, the reduce of each partition and finalize.
      'test/unit/jobs/reduce.test.ts',
      // The combine of a collection runs in this thread too.
      'test/unit/collect/**/*.test.ts',
    ],
    exclude: [
      // Its budget case hashes 3 million keys: minutes once instrumented. unique-cases.test.ts covers the merge.
      'test/unit/rules/unique.test.ts',
      // runLocal end to end: chunks run in worker threads. completeness-cases.test.ts covers the report units.
      'test/unit/formats/reading.test.ts',
      'test/unit/report/completeness.test.ts',
      // Seconds per run once instrumented, paid again by every surviving mutant they cover: 100,000-row
      // chunks, and property tests of hundreds of runs (stats-merge and completeness-cases hold literal cases).
      'test/unit/process/chunk-progress.test.ts',
      'test/unit/report/stats.test.ts',
      'test/unit/rules/completeness.test.ts',
    ],
    sequence: { sequencer: QuickFirstSequencer },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
