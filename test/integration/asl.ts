// Turn a synthesized CDK state machine into ASL the local interpreter can run.
// Adapted only here, in the test harness: tokens become placeholder ARNs, and each Distributed
// Map becomes an Inline Map fed by a task that reads its manifest (the interpreter ignores ItemReader).

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

/** Resolves Fn::Join / Ref / Fn::GetAtt in a DefinitionString to plain text. */
export function resolveDefinition(definition: Json, resources: Record<string, { Type: string }>): Record<string, Json> {
  const resolve = (v: Json): string => {
    if (typeof v === 'string') return v;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      if ('Fn::Join' in v) {
        const [sep, parts] = v['Fn::Join'] as [string, Json[]];
        return parts.map(resolve).join(sep);
      }
      if ('Ref' in v) {
        const ref = v.Ref as string;
        if (ref === 'AWS::Partition') return 'aws';
        if (ref === 'AWS::Region') return REGION;
        if (ref === 'AWS::AccountId') return ACCOUNT;
        return placeholder(ref, resources[ref]?.Type ?? '');
      }
      if ('Fn::GetAtt' in v) {
        const [ref] = v['Fn::GetAtt'] as [string, string];
        return placeholder(ref, resources[ref]?.Type ?? '');
      }
      if ('Fn::Select' in v) {
        const [i, list] = v['Fn::Select'] as [number, Json[]];
        return resolve(list[i]!);
      }
    }
    throw new Error(`cannot resolve ${JSON.stringify(v)}`);
  };
  return JSON.parse(resolve(definition)) as Record<string, Json>;
}

function placeholder(logicalId: string, type: string): string {
  switch (type) {
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${logicalId}`;
    case 'AWS::ECS::Cluster':
      return `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${logicalId}`;
    case 'AWS::ECS::TaskDefinition':
      return `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${logicalId}:1`;
    default:
      return logicalId;
  }
}

/**
 * Rewrites every DISTRIBUTED Map with an ItemReader into `<Map>__ItemReader` (a Task) → INLINE Map over
 * `$.__items`, or, with an ItemBatcher, over `$.__items` cut into batches by `<Map>__ItemBatcher`.
 */
export function inlineDistributedMaps(asl: Record<string, Json>): { asl: Record<string, Json>; readers: string[] } {
  const readers: string[] = [];
  const visit = (machine: Record<string, Json>) => {
    const states = machine.States as Record<string, Record<string, Json>>;
    for (const [name, state] of Object.entries({ ...states })) {
      if (state.Type === 'Map' && state.ItemProcessor) visit(state.ItemProcessor as Record<string, Json>);
      if (state.Type !== 'Map' || !state.ItemReader) continue;
      const reader = `${name}__ItemReader`;
      readers.push(reader);
      const { ItemReader, ToleratedFailurePercentage: _t, ToleratedFailureCount: _c, ItemBatcher, ResultWriter: _w, Label: _l, ...rest } = state;
      const processor = { ...(rest.ItemProcessor as Record<string, Json>), ProcessorConfig: { Mode: 'INLINE' } };
      const batchSize = (ItemBatcher as Record<string, Json> | undefined)?.MaxItemsPerBatchPath as string | undefined;
      if (batchSize) {
        // The ItemBatcher: each child gets {Items: [...]} of at most that many items, as AWS gives it.
        const batcher = `${name}__ItemBatcher`;
        states[reader] = { Type: 'Task', Resource: 'arn:aws:states:::s3:getObject', Parameters: (ItemReader as Record<string, Json>).Parameters!, ResultPath: '$.__items', Next: batcher };
        states[batcher] = { Type: 'Pass', Parameters: { 'b.$': `States.ArrayPartition($.__items, ${batchSize})` }, ResultPath: '$.__batches', Next: name };
        states[name] = { ...rest, ItemProcessor: processor, ItemsPath: '$.__batches.b', ItemSelector: { 'Items.$': '$$.Map.Item.Value' } };
      } else {
        states[reader] = { Type: 'Task', Resource: 'arn:aws:states:::s3:getObject', Parameters: (ItemReader as Record<string, Json>).Parameters!, ResultPath: '$.__items', Next: name };
        states[name] = { ...rest, ItemProcessor: processor, ItemsPath: '$.__items' };
      }
      if (machine.StartAt === name) machine.StartAt = reader;
      const added = new Set([states[reader], states[`${name}__ItemBatcher`]]);
      for (const other of Object.values(states)) if (other.Next === name && !added.has(other)) other.Next = reader;
      for (const other of Object.values(states)) {
        for (const c of (other.Catch as { Next: string }[] | undefined) ?? []) if (c.Next === name) c.Next = reader;
        for (const c of (other.Choices as { Next: string }[] | undefined) ?? []) if (c.Next === name) c.Next = reader;
        if (other.Default === name) other.Default = reader;
      }
      // The reader fails like the Map would.
      if (rest.Catch) states[reader]!.Catch = rest.Catch;
      // A Distributed Map whose items fail beyond the tolerance reports its own error, not the
      // item's (an Inline Map passes the item's on): each catch goes through a state that says so.
      const catches = (states[name]!.Catch as { ErrorEquals: string[]; Next: string; ResultPath?: string | null }[] | undefined) ?? [];
      states[name]!.Catch = catches.map((c, i) => {
        const relabel = `${name}__Failed${i}`;
        states[relabel] = {
          Type: 'Pass',
          Result: { Error: 'States.ExceedToleratedFailureThreshold', Cause: 'The specified tolerated failure threshold was exceeded' },
          ResultPath: 'ResultPath' in c ? (c.ResultPath as Json) : '$',
          Next: c.Next,
        };
        return { ...c, Next: relabel };
      });
    }
  };
  const copy = JSON.parse(JSON.stringify(asl)) as Record<string, Json>;
  visit(copy);
  return { asl: copy, readers };
}

/** Every Task state name, nested ones included. */
export function taskNames(asl: Record<string, Json>): string[] {
  const out: string[] = [];
  const visit = (machine: Record<string, Json>) => {
    for (const [name, state] of Object.entries(machine.States as Record<string, Record<string, Json>>)) {
      if (state.Type === 'Task') out.push(name);
      if (state.ItemProcessor) visit(state.ItemProcessor as Record<string, Json>);
    }
  };
  visit(asl);
  return out;
}
