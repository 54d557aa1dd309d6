import { App } from 'aws-cdk-lib';
import { tempDir } from './helpers.js';

/**
 * A CDK app for template tests: no esbuild bundling (the assertions are about the template, and
 * bundling is exercised by `cdk synth`), and its cloud assembly in a temp folder that `cleanup`
 * removes, instead of a new cdk.out folder in the system temp dir on every run.
 */
export async function templateApp(): Promise<{ app: App; cleanup: () => Promise<void> }> {
  const { dir, cleanup } = await tempDir('sluice-cdk-');
  return { app: new App({ outdir: dir, context: { 'aws:cdk:bundling-stacks': [] } }), cleanup };
}
