/**
 * The snapshot store's ports (object-access.ts) over a tenant's grant
 * (grant.ts): plain HTTP to presigned URLs, no AWS credentials anywhere.
 * Anything the grant does not name fails before a request is sent.
 */
import { createReadStream } from 'node:fs';
import { type Readable } from 'node:stream';
import { request } from 'undici';
import { DataKeyError, SnapshotStorageError } from './errors.js';
import type { TenantDataKey } from './data-keys.js';
import { type GrantHolder, SnapshotNotGrantedError } from './grant.js';
import { snapshotsPrefix } from './manifest.js';
import type { DataKeySource, PutBody, SnapshotObjects } from './object-access.js';

const TIMEOUT_MS = 120_000;

export class GrantedObjects implements SnapshotObjects {
  constructor(private readonly holder: GrantHolder) {}

  async listKeys(prefix: string): Promise<{ key: string; size: number }[]> {
    if (prefix !== snapshotsPrefix(this.holder.tenantId))
      throw new SnapshotNotGrantedError(`listing ${prefix} is not granted`);
    const response = await send(this.holder.grant.list, 'GET');
    const xml = await response.body.text();
    if (response.statusCode !== 200) throw storageError('list', response.statusCode, xml);
    if (/<IsTruncated>true<\/IsTruncated>/.test(xml))
      throw new SnapshotStorageError('snapshot listing is truncated; prune the tenant (over 1000 objects)');
    return [...xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)].map(([, item]) => ({
      key: unescapeXml(/<Key>([\s\S]*?)<\/Key>/.exec(item!)?.[1] ?? ''),
      size: Number(/<Size>(\d+)<\/Size>/.exec(item!)?.[1] ?? 0),
    }));
  }

  async getSmall(key: string): Promise<Buffer | undefined> {
    const stream = await this.getStream(key);
    if (!stream) return undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async getStream(key: string): Promise<Readable | undefined> {
    const url = this.holder.grant.get[key];
    if (!url) throw new SnapshotNotGrantedError(`reading ${key} is not granted`);
    const response = await send(url, 'GET');
    if (response.statusCode === 404) {
      await response.body.dump();
      return undefined;
    }
    if (response.statusCode !== 200)
      throw storageError(`GET ${key}`, response.statusCode, await response.body.text());
    return response.body;
  }

  async putIfAbsent(key: string, body: PutBody, contentType: string): Promise<boolean> {
    const url = this.holder.grant.put[key];
    if (!url)
      throw new SnapshotNotGrantedError(
        `writing ${key} is not granted (upload slots used up or expired; the next snapshot call brings a new grant)`,
      );
    const isBuffer = Buffer.isBuffer(body);
    const response = await send(url, 'PUT', {
      headers: {
        // Signed into the URL: S3 refuses to overwrite, and the supervisor cannot drop the condition.
        'if-none-match': '*',
        'content-type': contentType,
        'content-length': String(isBuffer ? body.length : body.size),
      },
      body: isBuffer ? body : createReadStream(body.path),
    });
    const text = await response.body.text();
    if (response.statusCode === 412 || response.statusCode === 409) return false;
    if (response.statusCode !== 200) throw storageError(`PUT ${key}`, response.statusCode, text);
    return true;
  }

  deleteKeys(): Promise<void> {
    // Retention runs in the worker; a tenant's supervisor never deletes snapshots.
    return Promise.reject(new SnapshotNotGrantedError('deleting snapshots is not granted'));
  }
}

export class GrantedDataKeys implements DataKeySource {
  constructor(private readonly holder: GrantHolder) {}

  current(tenantId: string): Promise<TenantDataKey> {
    const { current } = this.holder.grant.dataKeys;
    return this.get(tenantId, current).then((key) => ({ keyId: current, key }));
  }

  get(tenantId: string, keyId: string): Promise<Buffer> {
    const encoded = this.holder.grant.dataKeys.keys[keyId];
    if (tenantId !== this.holder.tenantId || encoded === undefined)
      return Promise.reject(new DataKeyError(tenantId, keyId, 'key is not in this supervisor’s grant'));
    return Promise.resolve(Buffer.from(encoded, 'base64'));
  }

  forget(): void {}
}

function send(
  url: string,
  method: 'GET' | 'PUT',
  options: { headers?: Record<string, string>; body?: Buffer | Readable } = {},
) {
  return request(url, {
    method,
    ...options,
    headersTimeout: TIMEOUT_MS,
    bodyTimeout: TIMEOUT_MS,
  });
}

/** S3 error bodies name the code (AccessDenied, ExpiredToken...); keep that, never the URL (it is a secret). */
function storageError(what: string, status: number, body: string): SnapshotStorageError {
  const code = /<Code>([^<]+)<\/Code>/.exec(body)?.[1] ?? body.slice(0, 80);
  return new SnapshotStorageError(`${what} failed with HTTP ${status}: ${code}`);
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}
