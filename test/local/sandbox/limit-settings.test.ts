/**
 * The per-tier sandbox limits as operator settings (`CLAWFLEET_LOCAL_SANDBOX_*`,
 * local/sandbox/limits.ts): the defaults are the built-in numbers, a tier a
 * setting does not name keeps its default, a bad value is refused naming the
 * variable, and the worker's sandbox settings carry what was configured. That
 * a launch applies them is proven with a real tenant: hostile-agent.test.ts
 * runs its fleet with a 64 MiB `pro` disk budget and fills it through OpenClaw.
 */
import { strict as assert } from 'node:assert';
import { loadConfig } from '../../../common/config.js';
import { ConfigError } from '../../../common/errors.js';
import { TIER_LIMITS, tierLimitsFrom } from '../../../local/sandbox/limits.js';
import { sandboxSettings } from '../../../worker/local-runtime-wiring.js';

const MiB = 1024 ** 2;
const GiB = 1024 * MiB;

describe('per-tier sandbox limits as settings', () => {
  it('the defaults are the tiers’ built-in numbers', () => {
    assert.deepEqual(tierLimitsFrom(loadConfig({}).local), TIER_LIMITS);
    assert.deepEqual(TIER_LIMITS.free, {
      memoryHighBytes: 1792 * MiB,
      memoryMaxBytes: 2 * GiB,
      cpuShares: 1024,
      cpuMilliCores: 1000,
      pidsMax: 256,
      diskBytes: 1 * GiB,
    });
    assert.deepEqual(TIER_LIMITS.standard, {
      memoryHighBytes: 2 * GiB,
      memoryMaxBytes: 2560 * MiB,
      cpuShares: 2048,
      cpuMilliCores: 1500,
      pidsMax: 384,
      diskBytes: 2 * GiB,
    });
    assert.deepEqual(TIER_LIMITS.pro, {
      memoryHighBytes: 2560 * MiB,
      memoryMaxBytes: 3 * GiB,
      cpuShares: 4096,
      cpuMilliCores: 2000,
      pidsMax: 512,
      diskBytes: 5 * GiB,
    });
  });

  it('a setting naming some tiers changes only those; the worker’s sandbox settings carry the result', () => {
    const config = loadConfig({
      CLAWFLEET_LOCAL_SANDBOX_DISK: 'pro=64MiB',
      CLAWFLEET_LOCAL_SANDBOX_MEMORY_MAX: 'free=1536MiB,standard=3GiB',
      CLAWFLEET_LOCAL_SANDBOX_MEMORY_HIGH: 'free=1GiB',
      CLAWFLEET_LOCAL_SANDBOX_CPU: 'standard=0.5,pro=3.25',
      CLAWFLEET_LOCAL_SANDBOX_CPU_SHARES: 'free=512',
      CLAWFLEET_LOCAL_SANDBOX_PIDS: 'pro=1024',
    });
    const limits = sandboxSettings(config).limits!;
    assert.deepEqual(limits.pro, {
      ...TIER_LIMITS.pro,
      diskBytes: 64 * MiB,
      cpuMilliCores: 3250,
      pidsMax: 1024,
    });
    assert.deepEqual(limits.free, {
      ...TIER_LIMITS.free,
      memoryMaxBytes: 1536 * MiB,
      memoryHighBytes: 1 * GiB,
      cpuShares: 512,
    });
    assert.deepEqual(limits.standard, {
      ...TIER_LIMITS.standard,
      memoryMaxBytes: 3 * GiB,
      cpuMilliCores: 500,
    });
    assert.equal(tierLimitsFrom({ ...config.local, sandboxDisk: 'free=67108864' }).free.diskBytes, 64 * MiB);
  });

  it('a malformed value stops the configuration from loading, naming the variable', () => {
    for (const [name, value] of [
      ['CLAWFLEET_LOCAL_SANDBOX_DISK', 'pro=64MB'],
      ['CLAWFLEET_LOCAL_SANDBOX_DISK', 'gold=1GiB'],
      ['CLAWFLEET_LOCAL_SANDBOX_CPU', 'pro=two'],
      ['CLAWFLEET_LOCAL_SANDBOX_PIDS', 'pro=-5'],
      ['CLAWFLEET_LOCAL_SANDBOX_MEMORY_MAX', 'free:2GiB'],
    ] as const)
      assert.throws(
        () => loadConfig({ [name]: value }),
        (error: unknown) => error instanceof ConfigError && error.message.includes(`${name}="${value}"`),
        `${name}=${value}`,
      );
  });

  it('a value no sandbox could work with is refused with every problem named', () => {
    const config = loadConfig({
      CLAWFLEET_LOCAL_SANDBOX_DISK: 'free=1MiB',
      CLAWFLEET_LOCAL_SANDBOX_CPU: 'pro=0.01',
      CLAWFLEET_LOCAL_SANDBOX_MEMORY_HIGH: 'standard=4GiB',
    });
    assert.throws(
      () => sandboxSettings(config),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.problems, [
          'CLAWFLEET_LOCAL_SANDBOX_CPU: pro=0.01 is below the least working value 0.1',
          'CLAWFLEET_LOCAL_SANDBOX_DISK: free=1MiB is below the least working value 32MiB',
          "CLAWFLEET_LOCAL_SANDBOX_MEMORY_HIGH: standard's soft limit is above its hard limit (CLAWFLEET_LOCAL_SANDBOX_MEMORY_MAX)",
        ]);
        return true;
      },
    );
  });
});
