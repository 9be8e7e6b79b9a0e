/**
 * Issues tenant snapshot grants (grant.ts) from the worker, which alone holds
 * S3 credentials and the master key. URLs are presigned with SigV4: the
 * supervisor can use exactly the keys named, for exactly the method signed,
 * until `expiresAt` (or until the issuer's own credentials expire, when those
 * are temporary: refreshing with every snapshot call covers that).
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { assertTenantId } from '../common/ids.js';
import { GRANT_FORMAT, type SnapshotGrant } from './grant.js';
import * as layout from './manifest.js';
import type { S3SnapshotStore } from './s3-snapshot-store.js';

/** SigV4 presigned URLs cannot live longer than a week. */
const MAX_TTL_SECONDS = 7 * 24 * 3600;

export interface GrantIssuerOptions {
  /**
   * Signs the URLs. Build it with `requestChecksumCalculation: 'WHEN_REQUIRED'`,
   * or the SDK bakes a checksum of an empty body into every PUT URL.
   */
  readonly presigner: S3Client;
  readonly bucket: string;
  /** Reads listings and data keys with full access. */
  readonly store: S3SnapshotStore;
  /** @default 12 h */
  readonly ttlSeconds?: number;
  /** Create-only PUT slots per grant (body and manifest each). @default 8 */
  readonly uploadSlots?: number;
  /** How many of the newest snapshots can be read (the newest plus fallbacks). @default 3 */
  readonly restoreDepth?: number;
}

export class SnapshotGrantIssuer {
  constructor(private readonly options: GrantIssuerOptions) {}

  async issue(tenantId: string, options: { latestSeq?: number | null } = {}): Promise<SnapshotGrant> {
    assertTenantId(tenantId);
    const { store } = this.options;
    const ttl = Math.min(this.options.ttlSeconds ?? 12 * 3600, MAX_TTL_SECONDS);
    const [listing, dataKeys] = await Promise.all([store.list(tenantId), store.grantableKeys(tenantId)]);
    const ceiling = options.latestSeq ?? Infinity;
    const readable = listing
      .filter((s) => s.complete && s.seq <= ceiling)
      .slice(-(this.options.restoreDepth ?? 3))
      .flatMap((s) => [layout.manifestKey(tenantId, s.seq), layout.bodyKey(tenantId, s.seq)]);
    const next = Math.max(0, options.latestSeq ?? 0, ...listing.map((s) => s.seq)) + 1;
    const writable = Array.from({ length: this.options.uploadSlots ?? 8 }, (_, i) => next + i).flatMap(
      (seq) => [layout.bodyKey(tenantId, seq), layout.manifestKey(tenantId, seq)],
    );
    const issuedAt = new Date();
    const [list, get, put] = await Promise.all([
      this.sign(
        new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: layout.snapshotsPrefix(tenantId) }),
        ttl,
      ),
      this.signAll(readable, (Key) => new GetObjectCommand({ Bucket: this.options.bucket, Key }), ttl),
      this.signAll(
        writable,
        (Key) => new PutObjectCommand({ Bucket: this.options.bucket, Key, IfNoneMatch: '*' }),
        ttl,
        new Set(['if-none-match']),
      ),
    ]);
    return {
      format: GRANT_FORMAT,
      tenantId,
      issuedAt: issuedAt.toISOString(),
      expiresAt: new Date(issuedAt.getTime() + ttl * 1000).toISOString(),
      list,
      get,
      put,
      dataKeys: {
        current: dataKeys.current,
        keys: Object.fromEntries(
          Object.entries(dataKeys.keys).map(([id, key]) => [id, key.toString('base64')]),
        ),
      },
    };
  }

  private async signAll(
    keys: readonly string[],
    command: (key: string) => GetObjectCommand | PutObjectCommand,
    ttl: number,
    signableHeaders?: Set<string>,
  ): Promise<Record<string, string>> {
    const urls = await Promise.all(keys.map((key) => this.sign(command(key), ttl, signableHeaders)));
    return Object.fromEntries(keys.map((key, i) => [key, urls[i]!]));
  }

  private sign(
    command: GetObjectCommand | PutObjectCommand | ListObjectsV2Command,
    expiresIn: number,
    signableHeaders?: Set<string>,
  ): Promise<string> {
    // getSignedUrl is generic over one command type; the three share the client's input/output unions.
    return getSignedUrl(this.options.presigner, command as PutObjectCommand, {
      expiresIn,
      ...(signableHeaders ? { signableHeaders } : {}),
    });
  }
}
