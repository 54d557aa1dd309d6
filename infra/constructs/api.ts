import { CfnOutput, type RemovalPolicy } from 'aws-cdk-lib';
import { type CfnStage, HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** The routes of the JSON API, as `sluice serve` has them. */
export const API_ROUTES = ['/api/jobs', '/api/jobs/{id}', '/api/jobs/{id}/rejects', '/api/pipelines/{name}/history'] as const;

export interface ApiProps {
  readonly handler: IFunction;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * An HTTP API in front of the API λ. Every route needs IAM authorization (SigV4 signed by a
 * principal allowed execute-api:Invoke on it); there is no route without it, and no $default.
 */
export class Api extends Construct {
  readonly httpApi: HttpApi;
  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    this.httpApi = new HttpApi(this, 'Http', { description: 'Sluice jobs, reports, rejects and history (IAM)', defaultAuthorizer: new HttpIamAuthorizer(), createDefaultStage: true });
    const integration = new HttpLambdaIntegration('Handler', props.handler);
    // The default authorizer (IAM) applies to every route added here.
    for (const path of API_ROUTES) this.httpApi.addRoutes({ path, methods: [HttpMethod.GET], integration });
    // Who called what: one JSON line per request (the caller's IAM ARN included).
    const logs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: props.removalPolicy });
    const format = { requestId: '$context.requestId', caller: '$context.identity.userArn', route: '$context.routeKey', path: '$context.path', status: '$context.status', latencyMs: '$context.responseLatency', time: '$context.requestTime' };
    (this.httpApi.defaultStage!.node.defaultChild as CfnStage).accessLogSettings = { destinationArn: logs.logGroupArn, format: JSON.stringify(format) };
    new CfnOutput(scope, 'ApiUrl', { value: this.httpApi.apiEndpoint, description: 'GET /api/jobs and the rest, signed with SigV4 (IAM)' });
  }
}
