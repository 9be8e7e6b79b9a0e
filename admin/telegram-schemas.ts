/**
 * TypeBox schemas of the admin API's Telegram answers: the webhook's
 * registration after a bot token or secret change, and what Telegram
 * reports about the tenant's bot. Never the webhook secret or a bot token.
 */
import Type from 'typebox';

/** The control plane's registration of the webhook after a bot token or webhook secret change. */
export const WebhookState = Type.Object({
  /** registered: Telegram confirmed; pending: still going on (Temporal retries); failed: see error; none: no bot token. */
  state: Type.Union([
    Type.Literal('registered'),
    Type.Literal('pending'),
    Type.Literal('failed'),
    Type.Literal('none'),
  ]),
  url: Type.Optional(Type.String()),
  error: Type.Optional(Type.String()),
});
export type WebhookStateData = Type.Static<typeof WebhookState>;

/** What Telegram reports about the tenant's bot (`getWebhookInfo`); never the webhook secret. */
export const TelegramConnection = Type.Object({
  botUsername: Type.Union([Type.String(), Type.Null()]),
  botId: Type.Integer(),
  /** Where Telegram should post: `<CLAWFLEET_PUBLIC_URL>/tg/<tenantId>`. */
  webhookUrl: Type.String(),
  /** Where Telegram does post (null: no webhook registered, or Telegram did not answer). */
  registeredUrl: Type.Union([Type.String(), Type.Null()]),
  /** The registered URL and update kinds are the ones the tenant's OpenClaw registers. */
  matches: Type.Boolean(),
  pendingUpdateCount: Type.Union([Type.Integer(), Type.Null()]),
  lastErrorMessage: Type.Union([Type.String(), Type.Null()]),
  lastErrorAt: Type.Union([Type.String(), Type.Null()]),
  /** Why the fields above are unknown (Telegram unreachable, token refused). */
  error: Type.Union([Type.String(), Type.Null()]),
});
export type TelegramConnectionData = Type.Static<typeof TelegramConnection>;

/** Answer to storing or removing `telegram-bot-token` (and to rotating the webhook secret). */
export const TelegramChange = Type.Object({
  botUsername: Type.Union([Type.String(), Type.Null()]),
  webhook: WebhookState,
});
