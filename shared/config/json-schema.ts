import { z } from 'zod';
import { ConfigSchema } from './schema.js';

/** JSON Schema of sluice.config for editors (what a user writes, so defaults are optional). */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'Sluice pipeline configuration',
  };
}
