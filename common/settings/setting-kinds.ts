/**
 * The kinds of setting common/config.ts's groups declare, as TypeBox schemas
 * with a default and the description the README table shows.
 */
import Type from 'typebox';

export const Port = (def: number, description: string) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: def, description });

/** A duration like '500ms', '30s', '15m' or '1h' (converted to milliseconds where it is used). */
export const Duration = (def: string, description: string) =>
  Type.String({ pattern: '^[0-9]+(ms|s|m|h)$', default: def, description });

/** Patterns of one tier's value: a size, a number of cores, a count. */
export const BYTES = '[0-9]+(KiB|MiB|GiB)?';
export const CORES = '[0-9]+(\\.[0-9]+)?';
export const INTEGER = '[0-9]+';
/** Per-tier values of one sandbox limit: `free=…,standard=…,pro=…` (a tier not named keeps its default). */
export const TierValues = (value: string, def: string, description: string) => {
  const entry = `(free|standard|pro)=${value}`;
  return Type.String({ pattern: `^(${entry}(,${entry})*)?$`, default: def, description });
};
