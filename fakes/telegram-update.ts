/** Telegram `Update` objects as the Bot API POSTs them to a webhook (for the fake Bot API, tests and benches). */

export interface UpdateOptions {
  readonly updateId: number;
  readonly text: string;
  /** @default 111 */
  readonly chatId?: number;
  /** @default chatId (a private chat) */
  readonly fromId?: number;
  /** @default 'alice' */
  readonly username?: string;
}

/** A Telegram `Update` carrying a private text message, as the Bot API would POST it to a webhook. */
export function telegramUpdate(options: UpdateOptions): Record<string, unknown> {
  const chatId = options.chatId ?? 111;
  const fromId = options.fromId ?? chatId;
  const username = options.username ?? 'alice';
  return {
    update_id: options.updateId,
    message: {
      message_id: options.updateId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: chatId, type: 'private', first_name: username, username },
      from: { id: fromId, is_bot: false, first_name: username, username, language_code: 'en' },
      text: options.text,
    },
  };
}
