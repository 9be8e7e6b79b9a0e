/**
 * The onboarding phase of `bench:fleet` (fleet-run.ts): every tenant created
 * through the real admin API, as operators and billing systems call it, a
 * few at a time; how fast, how many retries, and this process's CPU per tenant.
 */
import type { FastifyInstance } from 'fastify';

export interface Onboarding {
  readonly perSecond: number;
  /** Creates retried after a 5xx. */
  readonly retries: number;
  readonly cpuMsPerTenant: number;
}

export async function onboardTenants(
  admin: Pick<FastifyInstance, 'inject'>,
  token: string,
  ids: readonly string[],
  concurrency: number,
  log: (line: string) => void,
): Promise<Onboarding> {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  let next = 0;
  let retries = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ids.length) {
        const tenantId = ids[next++]!;
        // A 5xx undoes the create (admin/tenant-service.ts): a caller retries it, as a billing system would.
        for (let attempt = 1; ; attempt += 1) {
          const response = await admin.inject({
            method: 'POST',
            url: '/v1/tenants',
            headers: { authorization: `Bearer ${token}` },
            payload: { tenantId, channels: { telegram: { enabled: true } } },
          });
          if (response.statusCode === 201) break;
          if (response.statusCode < 500 || attempt >= 3)
            throw new Error(`create ${tenantId}: ${response.statusCode} ${response.body}`);
          retries += 1;
        }
        if (next % 500 === 0) log(`  onboarded ${next}/${ids.length}`);
      }
    }),
  );
  const spent = process.cpuUsage(cpuBefore);
  return {
    perSecond: ids.length / ((performance.now() - started) / 1000),
    retries,
    cpuMsPerTenant: Math.round(((spent.user + spent.system) / 1000 / ids.length) * 10) / 10,
  };
}
