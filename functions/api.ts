import type { Context } from 'aws-lambda';
import { handle, type LambdaEvent } from 'hono/aws-lambda';
import { apiApp } from '../shared/api/app.js';
import { context, lambdaHandler } from './runtime.js';

// The JSON API of `sluice serve`, over the job table, the history and the bucket; reports and
// rejects parts are presigned links. API Gateway checks IAM before a request gets here.
const app = handle(apiApp({ state: context.state, objects: context.objects, link: (key) => context.link(key) }));

/** API λ: GET /api/jobs, /api/jobs/{id}, /api/jobs/{id}/rejects, /api/pipelines/{name}/history. */
export const handler = lambdaHandler('api', (e: LambdaEvent) => ({ path: 'rawPath' in e ? e.rawPath : e.path }), (event, lambdaContext) => app(event, lambdaContext as Context));
