/**
 * What the model gateway may call and what it costs: the upstreams
 * (`name=baseUrl`), the per-tier model allowlist and the price table, parsed
 * once at start-up from configuration. Models are named `upstream/model`;
 * an agent may also send a bare model id, which resolves to the first
 * upstream its tier may use that model from.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../common/errors.js';
import type { Config } from '../common/config.js';
import type { Tier } from '../common/quotas.js';

export interface Upstream {
  readonly name: string;
  /** Base URL including `/v1`, without a trailing slash. */
  readonly baseUrl: string;
  /** `scheme://host:port` and the path part of `baseUrl` (what the HTTP client is given). */
  readonly origin: string;
  readonly path: string;
}

/** USD per million tokens. */
export interface ModelPrice {
  readonly input: number;
  readonly output: number;
  /** @default input */
  readonly cachedInput?: number;
}

export interface ResolvedModel {
  readonly upstream: Upstream;
  /** The id the upstream knows the model by. */
  readonly model: string;
  /** `upstream/model`: the name usage and prices use. */
  readonly qualified: string;
}

/** The model group of the configuration, as far as the catalog reads it. */
export type CatalogSettings = Pick<
  Config['model'],
  'provider' | 'baseUrl' | 'upstreams' | 'allowlist' | 'prices'
>;

const NAME = /^[a-z0-9][a-z0-9-]{0,30}$/;

export class ModelCatalog {
  readonly upstreams: readonly Upstream[];
  private readonly allow: ReadonlyMap<string, readonly string[]>;
  private readonly prices: Readonly<Record<string, ModelPrice>>;

  constructor(settings: CatalogSettings) {
    this.upstreams = parseUpstreams(settings);
    this.allow = parseAllowlist(settings.allowlist, this.upstreams);
    this.prices = parsePrices(settings.prices);
  }

  /** The upstream and model for `requested` if `tier` may use it, else null. */
  resolve(tier: Tier, requested: string): ResolvedModel | null {
    const slash = requested.indexOf('/');
    const named = slash > 0 ? this.upstreams.find((u) => u.name === requested.slice(0, slash)) : undefined;
    const candidates = named
      ? [{ upstream: named, model: requested.slice(slash + 1) }]
      : this.upstreams.map((upstream) => ({ upstream, model: requested }));
    for (const { upstream, model } of candidates) {
      const qualified = `${upstream.name}/${model}`;
      if (model !== '' && this.allows(tier, qualified)) return { upstream, model, qualified };
    }
    return null;
  }

  /** Patterns `tier` may use (`*`, `upstream/*`, `upstream/model`); every model when the tier is not listed. */
  allowed(tier: Tier): readonly string[] {
    return this.allow.get(tier) ?? ['*'];
  }

  private allows(tier: Tier, qualified: string): boolean {
    return this.allowed(tier).some((p) => matches(p, qualified));
  }

  /** Cost in micro-USD (integers add up exactly) of one request. */
  costMicros(qualified: string, usage: { input: number; output: number; cached: number }): number {
    const price = this.prices[qualified] ?? this.prices[`${qualified.split('/')[0]}/*`] ?? this.prices['*'];
    if (!price) return 0;
    const uncached = Math.max(0, usage.input - usage.cached);
    const cachedPrice = price.cachedInput ?? price.input;
    // USD per million tokens is micro-USD per token.
    return Math.round(uncached * price.input + usage.cached * cachedPrice + usage.output * price.output);
  }
}

function matches(pattern: string, qualified: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('/*')) return qualified.startsWith(pattern.slice(0, -1));
  return pattern === qualified;
}

function parseUpstreams(settings: CatalogSettings): Upstream[] {
  const raw = settings.upstreams.trim() || `${settings.provider}=${settings.baseUrl}`;
  const problems: string[] = [];
  const upstreams: Upstream[] = [];
  for (const entry of raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const eq = entry.indexOf('=');
    const name = entry.slice(0, eq);
    const baseUrl = entry.slice(eq + 1).replace(/\/+$/, '');
    if (eq <= 0 || !NAME.test(name) || !/^https?:\/\//.test(baseUrl))
      problems.push(`CLAWFLEET_MODEL_UPSTREAMS: ${JSON.stringify(entry)} is not name=http(s)://base-url`);
    else if (upstreams.some((u) => u.name === name))
      problems.push(`CLAWFLEET_MODEL_UPSTREAMS: ${name} twice`);
    else {
      const url = new URL(baseUrl);
      upstreams.push({ name, baseUrl, origin: url.origin, path: url.pathname.replace(/\/+$/, '') });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return upstreams;
}

function parseAllowlist(raw: string, upstreams: readonly Upstream[]): Map<string, string[]> {
  const allow = new Map<string, string[]>();
  const problems: string[] = [];
  for (const entry of raw
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [tier, list = ''] = entry.split('=');
    const patterns = list
      .split('+')
      .map((p) => p.trim())
      .filter(Boolean);
    if (!['free', 'standard', 'pro'].includes(tier ?? ''))
      problems.push(`CLAWFLEET_MODEL_ALLOWLIST: tier ${tier}`);
    for (const p of patterns) {
      const upstream = p.split('/')[0];
      if (p !== '*' && !upstreams.some((u) => u.name === upstream))
        problems.push(`CLAWFLEET_MODEL_ALLOWLIST: ${p} names no upstream`);
    }
    allow.set(tier!, patterns);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return allow;
}

function parsePrices(raw: string): Record<string, ModelPrice> {
  const text = raw.trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.startsWith('{') ? text : readFileSync(text, 'utf8'));
  } catch (error) {
    throw new ConfigError([`CLAWFLEET_MODEL_PRICES: ${(error as Error).message}`]);
  }
  const problems: string[] = [];
  for (const [model, price] of Object.entries(parsed as Record<string, Partial<ModelPrice>>)) {
    const fields = [price?.input, price?.output, price?.cachedInput ?? 0];
    if (!fields.every((n) => typeof n === 'number' && n >= 0 && Number.isFinite(n)))
      problems.push(`CLAWFLEET_MODEL_PRICES: ${model} needs non-negative input and output`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return parsed as Record<string, ModelPrice>;
}
