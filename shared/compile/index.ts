export { compileLineReader, type LineColumn, type LineReader, type LineReaderSpec } from './line-reader.js';
export {
  compileCelToJs,
  compileCelFunction,
  celJsType,
  CEL_RUNTIME_NAME,
  CEL_CONSTANTS_NAME,
  type CelJsVariable,
  type CelJsKind,
  type CelJsOptions,
  type CelJsFunction,
  type CompiledCelJs,
} from './cel-js.js';
export { celRuntime, CEL_BAIL, CelBail, TIMESTAMP_RANGE_MS, type CelRuntime } from './cel-runtime.js';
export { planRegex, type RegexPlan } from './cel-regex.js';
