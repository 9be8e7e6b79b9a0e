/**
 * Credentials callers present to clawfleet: the Telegram webhook secret
 * (Telegram sends it back in `X-Telegram-Bot-Api-Secret-Token`) and tenant
 * API keys for the chat API. The tenant record holds their salted, peppered
 * hashes for the router's constant-time check; the webhook secret itself is
 * also kept encrypted, because the supervisor must hand it to OpenClaw,
 * which registers it with Telegram at each start.
 *
 * Rotating the webhook secret cannot switch Telegram over at once: Telegram
 * keeps sending the old secret until `setWebhook` with the new one succeeds.
 * So the record holds [hash of the stored secret, hash of the one Telegram
 * has], and `webhookRegistered` (called once Telegram confirmed the new
 * registration, telegram/tenant-webhooks.ts) drops the old one.
 */
import { randomBytes } from 'node:crypto';
import { assertTenantId } from '../common/ids.js';
import type { CredentialHasher } from './credential-hash.js';
import type { DynamoRegistry } from './dynamo-registry.js';
import { RegistryInputError, TenantNotFoundError, VersionConflictError } from './errors.js';
import { type DynamoSecretStore, generateToken, SECRET_NAMES } from './secret-store.js';
import type { TenantPatch, TenantRecord } from './tenant-record.js';

const API_KEY = /^cfk-([a-z0-9]{12})\.[A-Za-z0-9_-]{43}$/;
/** @default 10 API keys per tenant */
const MAX_API_KEYS = 10;
const MAX_LOCK_ATTEMPTS = 5;

export interface TenantCredentialsDeps {
  readonly registry: DynamoRegistry;
  readonly secrets: DynamoSecretStore;
  readonly hasher: CredentialHasher;
}

export class TenantCredentials {
  constructor(private readonly deps: TenantCredentialsDeps) {}

  /** Generates and stores a new webhook secret; the control plane then registers it with Telegram. */
  async issueWebhookSecret(tenantId: string): Promise<void> {
    assertTenantId(tenantId);
    const secret = generateToken();
    const hash = this.deps.hasher.hash(tenantId, 'webhook-secret', secret);
    // Hash before secret: a crash in between leaves an unused hash, never a stored secret the router rejects.
    await this.patch(tenantId, (record) => {
      const [stored, registered] = record.webhookSecretHashes;
      return { webhookSecretHashes: [hash, ...[registered ?? stored].filter((h) => h !== undefined)] };
    });
    await this.deps.secrets.put(tenantId, SECRET_NAMES.telegramWebhookSecret, secret);
  }

  /**
   * Telegram holds the secret behind `registeredHash` (default: the stored
   * secret): stop accepting older secrets. The stored secret stays accepted
   * too, should it have been rotated after that registration.
   */
  async webhookRegistered(tenantId: string, registeredHash?: string): Promise<void> {
    const stored = await this.deps.secrets.resolve(tenantId, SECRET_NAMES.telegramWebhookSecret);
    const verifies = (hash: string) => this.deps.hasher.verify(tenantId, 'webhook-secret', [hash], stored);
    await this.patch(tenantId, (record) => {
      const storedHash =
        record.webhookSecretHashes.find(verifies) ??
        this.deps.hasher.hash(tenantId, 'webhook-secret', stored);
      const keep = registeredHash && !verifies(registeredHash) ? [storedHash, registeredHash] : [storedHash];
      return { webhookSecretHashes: keep };
    });
  }

  /** The record's hash of `secret` (a fresh one if the record has none): names a secret without holding it. */
  async webhookSecretHash(tenantId: string, secret: string): Promise<string> {
    const record = await this.deps.registry.get(tenantId);
    const known = record?.webhookSecretHashes.find((h) =>
      this.deps.hasher.verify(tenantId, 'webhook-secret', [h], secret),
    );
    return known ?? this.deps.hasher.hash(tenantId, 'webhook-secret', secret);
  }

  /** Constant-time check of a presented webhook secret; an unknown tenant is simply false. */
  async verifyWebhookSecret(tenantId: string, presented: string): Promise<boolean> {
    const record = await this.deps.registry.get(tenantId);
    if (!record) return false;
    return this.deps.hasher.verify(tenantId, 'webhook-secret', record.webhookSecretHashes, presented);
  }

  /**
   * A new API key `cfk-<keyId>.<secret>`. The caller shows it once (the only
   * time a value leaves the platform); only its hash is kept.
   */
  async issueApiKey(tenantId: string): Promise<{ keyId: string; apiKey: string }> {
    assertTenantId(tenantId);
    const keyId = randomBytes(6).toString('hex');
    const apiKey = `cfk-${keyId}.${generateToken()}`;
    const hash = this.deps.hasher.hash(tenantId, 'api-key', apiKey);
    await this.patch(tenantId, (record) => {
      if (Object.keys(record.apiKeyHashes).length >= MAX_API_KEYS) {
        throw new RegistryInputError([`tenant ${tenantId} already has ${MAX_API_KEYS} API keys`]);
      }
      return { apiKeyHashes: { ...record.apiKeyHashes, [keyId]: hash } };
    });
    return { keyId, apiKey };
  }

  /** A key that does not exist is success. */
  async revokeApiKey(tenantId: string, keyId: string): Promise<void> {
    await this.patch(tenantId, (record) => {
      const { [keyId]: _revoked, ...rest } = record.apiKeyHashes;
      return { apiKeyHashes: rest };
    });
  }

  async verifyApiKey(tenantId: string, presented: string): Promise<boolean> {
    const keyId = API_KEY.exec(presented)?.[1];
    const record = await this.deps.registry.get(tenantId);
    const stored = keyId && record ? record.apiKeyHashes[keyId] : undefined;
    return this.deps.hasher.verify(tenantId, 'api-key', stored ? [stored] : [], presented);
  }

  /** Read, patch under the optimistic lock, retry on a concurrent write. */
  private async patch(
    tenantId: string,
    change: (record: TenantRecord) => TenantPatch,
  ): Promise<TenantRecord> {
    for (let attempt = 1; ; attempt++) {
      const record = await this.deps.registry.get(tenantId);
      if (!record) throw new TenantNotFoundError(tenantId);
      try {
        return await this.deps.registry.update(tenantId, change(record), record.version);
      } catch (error) {
        if (!(error instanceof VersionConflictError) || attempt >= MAX_LOCK_ATTEMPTS) throw error;
      }
    }
  }
}
