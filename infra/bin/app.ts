// `cdk synth` / `cdk deploy`: the same sluice config becomes the stack. A bad config fails synth
// with the config path of each problem.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { z } from 'zod';
import { loadConfig } from '../../shared/config/load.js';
import { SluiceStack } from '../sluice-stack.js';

const app = new App();
const Context = z.object({
  config: z.string().default('examples/flux/pipeline.yaml'),
  stackName: z.string().default('Sluice'),
  alarmEmail: z.string().email().optional(),
  summaryEmail: z.string().email().optional(),
  removal: z.enum(['retain', 'destroy']).default('retain'),
  workerMemoryMb: z.coerce.number().int().min(128).max(10240).default(1769),
  fargate: z.preprocess((v) => v !== 'false' && v !== false, z.boolean()).default(true),
  workerConcurrency: z.coerce.number().int().min(0).max(10000).optional(),
  incomingDays: z.coerce.number().int().min(1).max(3650).optional(),
});
const ctx = Context.parse({
  config: app.node.tryGetContext('config'),
  stackName: app.node.tryGetContext('stackName'),
  alarmEmail: app.node.tryGetContext('alarmEmail'),
  summaryEmail: app.node.tryGetContext('summaryEmail'),
  removal: app.node.tryGetContext('removal'),
  workerMemoryMb: app.node.tryGetContext('workerMemoryMb'),
  fargate: app.node.tryGetContext('fargate'),
  workerConcurrency: app.node.tryGetContext('workerConcurrency'),
  incomingDays: app.node.tryGetContext('incomingDays'),
});
const config = await loadConfig(ctx.config);
new SluiceStack(app, ctx.stackName, { config, alarmEmail: ctx.alarmEmail, summaryEmail: ctx.summaryEmail, removal: ctx.removal, workerMemoryMb: ctx.workerMemoryMb, fargate: ctx.fargate, workerConcurrency: ctx.workerConcurrency, incomingDays: ctx.incomingDays });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
