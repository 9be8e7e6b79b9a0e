/**
 * The admin API client's HTTP transport (admin-client.ts): the bearer
 * token, JSON bodies and query strings, a bounded timeout, and failures
 * turned into `AdminApiError` (the problem+json the API answered) or
 * `AdminUnavailableError` (no answer).
 */
import type { Problem } from '../common/problem.js';
import { AdminApiError, AdminUnavailableError, type AdminClientOptions } from './admin-types.js';

export type Query = Record<string, string | number | boolean | undefined>;

export class AdminHttp {
  private readonly baseUrl: string;

  constructor(private readonly options: AdminClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  /** The answer's JSON body (undefined for 204). */
  async json<T>(
    method: string,
    path: string,
    options: { body?: unknown; query?: Query; headers?: Record<string, string> } = {},
  ): Promise<T> {
    const response = await this.send(method, path, options);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  /** The answer of a request that succeeded (2xx); anything else throws. */
  async send(
    method: string,
    path: string,
    options: {
      body?: unknown;
      query?: Query;
      headers?: Record<string, string>;
      signal?: AbortSignal;
      stream?: boolean;
    },
  ): Promise<Response> {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(options.query ?? {}))
      if (value !== undefined) url.searchParams.set(key, String(value));
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 120_000);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          ...(options.body !== undefined && { 'content-type': 'application/json' }),
          ...options.headers,
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        // A follow stream lives as long as its caller wants; everything else is bounded.
        signal: options.stream ? options.signal : timeout,
      });
    } catch (error) {
      throw new AdminUnavailableError(this.baseUrl, { cause: error });
    }
    if (response.ok) return response;
    const text = await response.text();
    let problem: Problem;
    try {
      problem = JSON.parse(text) as Problem;
    } catch {
      problem = {
        type: 'about:blank',
        title: response.statusText,
        status: response.status,
        detail: text.slice(0, 500),
        code: `HTTP_${response.status}`,
      };
    }
    throw new AdminApiError(response.status, problem);
  }
}

/** One path segment, encoded. */
export function enc(segment: string): string {
  return encodeURIComponent(segment);
}
