import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SfnExecutionStarter } from '../../../shared/aws/adapters.js';

const sfn = mockClient(SFNClient);
beforeEach(() => sfn.reset());
const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:SluicePipeline';

describe('SfnExecutionStarter.isRunning', () => {
  it('describes the execution of that name on the state machine, and is true only while it is RUNNING', async () => {
    const starter = new SfnExecutionStarter(new SFNClient({ region: 'eu-west-1' }), MACHINE);
    sfn.on(DescribeExecutionCommand).resolvesOnce({ status: 'RUNNING' } as never).resolvesOnce({ status: 'SUCCEEDED' } as never);
    expect(await starter.isRunning('flux-abc-r2')).toBe(true);
    expect(await starter.isRunning('flux-abc-r2')).toBe(false);
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]!.args[0].input).toEqual({ executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:SluicePipeline:flux-abc-r2' });
  });

  it('says false for an execution that does not exist', async () => {
    const starter = new SfnExecutionStarter(new SFNClient({ region: 'eu-west-1' }), MACHINE);
    sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'no', $metadata: {} }));
    expect(await starter.isRunning('flux-abc')).toBe(false);
  });
});
