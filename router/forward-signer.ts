/**
 * Signs the router's hot-path forwards (common/forward-signature.ts). The
 * router holds the forwarding root from its key file and derives each
 * tenant's key as it is needed: one HMAC per tenant, kept in process (bounded)
 * because the hot path signs every message. What it sends cannot be reused:
 * the signature is bound to the pod, the request and a nonce, and expires.
 */
import type { KeyObject } from 'node:crypto';
import {
  deriveTenantForwardKey,
  forwardAuthorization,
  forwardKeyObject,
  type ForwardedRequest,
} from '../common/forward-signature.js';
import { setBounded } from './bounded-map.js';

const MAX_TENANT_KEYS = 10_000;

export class ForwardSigner {
  private readonly root: KeyObject;
  private readonly tenantKeys = new Map<string, KeyObject>();

  constructor(root: Buffer) {
    this.root = forwardKeyObject(root);
  }

  /** The `Authorization` value for one forward to `request.podId`. */
  authorization(request: ForwardedRequest): string {
    let key = this.tenantKeys.get(request.tenantId);
    if (key === undefined) {
      key = forwardKeyObject(deriveTenantForwardKey(this.root, request.tenantId));
      setBounded(this.tenantKeys, request.tenantId, key, MAX_TENANT_KEYS);
    }
    return forwardAuthorization(key, request);
  }
}
