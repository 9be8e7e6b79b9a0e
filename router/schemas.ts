/**
 * TypeBox schemas of the public routes. Bodies are validated after parsing
 * (without type coercion), responses are serialized against their schemas.
 */
import type { FastifySchemaCompiler } from 'fastify';
import Type, { type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { TENANT_ID_PATTERN } from '../common/ids.js';

/**
 * Checks every part (params, headers, body) as it arrived. The TypeBox
 * provider's own compiler converts params and headers first, which costs a
 * schema walk per request and is pointless here: every param and header
 * schema of these routes is a string, and bodies must not be coerced.
 */
export const checkWithoutCoercion: FastifySchemaCompiler<TSchema> = ({ schema }) => {
  const check = Compile(schema);
  return (value: unknown) => (check.Check(value) ? { value } : { error: [...check.Errors(value)] });
};

export const TenantParams = Type.Object({ tenantId: Type.String({ pattern: TENANT_ID_PATTERN.source }) });

/** Telegram's Update: only `update_id` matters here; OpenClaw reads the rest. */
export const TelegramUpdate = Type.Object(
  { update_id: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }) },
  { additionalProperties: true },
);

export const TelegramHeaders = Type.Object({
  'x-telegram-bot-api-secret-token': Type.Optional(Type.String({ maxLength: 256 })),
});

/** The OpenAI chat completions request, checked only as far as the router needs. */
export const ChatRequest = Type.Object(
  {
    model: Type.Optional(Type.String({ maxLength: 200 })),
    messages: Type.Array(Type.Object({ role: Type.String({ maxLength: 64 }) }), {
      minItems: 1,
      maxItems: 10_000,
    }),
    stream: Type.Optional(Type.Boolean()),
    user: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: true },
);

export const ChatHeaders = Type.Object({
  authorization: Type.Optional(Type.String({ maxLength: 512 })),
  'x-openclaw-session-key': Type.Optional(Type.String({ maxLength: 256 })),
  /** Passed to the supervisor, which answers a retry with the same key from its chat journal. */
  'idempotency-key': Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{8,128}$' })),
});

/** problem+json (common/problem.ts), with the OpenAI-style `error` member chat clients read. */
export const ErrorBody = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  code: Type.String(),
  instance: Type.Optional(Type.String()),
  requestId: Type.Optional(Type.String()),
  error: Type.Object({ message: Type.String(), type: Type.String(), code: Type.String() }),
});

/** Answered only once the update is durable: stored by OpenClaw or accepted by Temporal. */
export const Delivered = Type.Object({ ok: Type.Literal(true), delivery: Type.Literal('durable') });

export const errorResponses = {
  '4xx': ErrorBody,
  '5xx': ErrorBody,
} as const;
