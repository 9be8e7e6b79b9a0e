/** How the fake Bot API reads a request: bot ids from tokens, and parameters the ways clients send them. */
import type { IncomingMessage } from 'node:http';

/** A numeric bot id derived from the token (`<id>:<secret>`), like the real API. */
export function botId(token: string): number {
  const id = Number(token.split(':')[0]);
  return Number.isSafeInteger(id) && id > 0 ? id : 4242;
}

/** `allowed_updates` arrives as a JSON array, or JSON text inside a form field. */
export function allowedUpdates(value: unknown): string[] | undefined {
  let list = value;
  if (typeof value === 'string') {
    try {
      list = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return Array.isArray(list) ? list.map(String) : undefined;
}

export function parseParams(req: IncomingMessage, url: URL, raw: string): Record<string, unknown> {
  const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const type = req.headers['content-type'] ?? '';
  if (!raw) return params;
  if (type.includes('application/json')) {
    try {
      return { ...params, ...(JSON.parse(raw) as Record<string, unknown>) };
    } catch {
      return { ...params, _raw: raw };
    }
  }
  if (type.includes('application/x-www-form-urlencoded'))
    return { ...params, ...Object.fromEntries(new URLSearchParams(raw)) };
  return { ...params, _raw: raw }; // multipart (file uploads): kept raw, not modelled
}
