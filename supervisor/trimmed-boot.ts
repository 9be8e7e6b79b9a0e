/**
 * What makes a supervised OpenClaw boot short, in one place so the install
 * step (which warms the compile cache) and the supervisor (which uses it)
 * agree on it.
 *
 * Compile cache: V8's code cache for OpenClaw's ~40k files lives next to the
 * install (`<install>/compile-cache`), is warmed once when the version is
 * installed (dev/openclaw-compile-cache.ts) and is only read by tenants: a
 * sandbox may mount the install read-only, and Node then keeps the cache hits
 * and silently skips writing new entries. Portable mode stores paths relative
 * to the cache directory, so the cache stays valid when the install is
 * renamed into place or mounted at another path.
 *
 * Without these variables OpenClaw enables the cache under `$TMPDIR`, which is
 * per tenant and empty at every wake. Setting `NODE_COMPILE_CACHE` alone makes
 * the launcher (openclaw.mjs, 2026.9.x) respawn itself once to move the cache
 * to a versioned subdirectory: one more Node start on every boot and one more
 * process between the supervisor and the gateway. Its own marker
 * `OPENCLAW_PACKAGED_COMPILE_CACHE_RESPAWNED` says that move has happened; the
 * directory is already per version here, so the respawn is pointless.
 */
import { dirname, join } from 'node:path';

/** `<install>/compile-cache` for an install's `node_modules/openclaw/openclaw.mjs`. */
export function compileCacheDir(openclawEntry: string): string {
  return join(dirname(openclawEntry), '..', '..', 'compile-cache');
}

export function compileCacheEnv(openclawEntry: string): Record<string, string> {
  return {
    NODE_COMPILE_CACHE: compileCacheDir(openclawEntry),
    NODE_COMPILE_CACHE_PORTABLE: '1',
    OPENCLAW_PACKAGED_COMPILE_CACHE_RESPAWNED: '1',
  };
}

/**
 * The embedding preset of OpenClaw's docs (`docs/gateway/embedding.md`) minus
 * `OPENCLAW_SKIP_CHANNELS` (tenants use Telegram): the supervisor owns
 * discovery (there is none), restarts and the process tree.
 */
export const EMBEDDED_GATEWAY_ENV: Readonly<Record<string, string>> = {
  OPENCLAW_DISABLE_BONJOUR: '1',
  OPENCLAW_NO_RESPAWN: '1',
  OPENCLAW_EXEC_SHELL_SNAPSHOT: '0',
};

/** Everything above, for the gateway's environment. */
export function trimmedBootEnv(openclawEntry: string): Record<string, string> {
  return { ...EMBEDDED_GATEWAY_ENV, ...compileCacheEnv(openclawEntry) };
}

/**
 * Only these bundled plugins load (`plugins.allow`): a tenant's gateway
 * otherwise loads 14 (model providers it never calls, browser, canvas,
 * device pairing, ...), and plugin count dominates OpenClaw's boot.
 * `memory-core` backs the memory tools; `telegram` is the one channel.
 */
export function tenantPlugins(options: { readonly telegram: boolean }): string[] {
  return ['memory-core', ...(options.telegram ? ['telegram'] : [])];
}
