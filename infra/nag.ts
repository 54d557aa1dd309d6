import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Each cdk-nag AwsSolutions finding we accept, with its reason, next to what it is about. */
export function acknowledgeNagFindings(stack: Stack): void {
  const ack = (scope: IConstruct, id: string, reason: string) => Validations.of(scope).acknowledge({ id, reason });
  ack(stack, 'AwsSolutions-IAM4', 'AWSLambdaBasicExecutionRole is the minimal managed policy for Lambda logs; CDK attaches it to every function.');
  void ack;
}
