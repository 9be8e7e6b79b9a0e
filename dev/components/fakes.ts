/**
 * `clawfleet dev --offline`: the outside world as local fakes, so real
 * tenants answer without an LLM account or a Telegram bot: the fake LLM
 * (OpenAI-compatible, replies "echo: <last user text>") and the fake Telegram
 * Bot API (records every sendMessage; `GET <url>/_messages` lists them;
 * `POST <url>/_send {"bot", "text"}` messages a bot through its registered webhook).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { modelApiKeyPath, type Config } from '../../common/config.js';
import { startFakeLlm, type FakeLlm } from '../../fakes/fake-llm.js';
import { startFakeTelegram, type FakeTelegram } from '../../fakes/fake-telegram.js';
import { once, type ComponentContext, type RunningComponent } from './component.js';

export interface OfflineFakes extends RunningComponent {
  /** The servers themselves, for tests that check what the model was asked and what the bots sent. */
  readonly fakes: { readonly llm: FakeLlm; readonly telegram: FakeTelegram };
  /** Settings that point tenant agents at the fakes. */
  readonly overrides: {
    model: Pick<Config['model'], 'provider' | 'baseUrl' | 'id'>;
    telegram: Pick<Config['telegram'], 'apiRoot'>;
    local: Pick<Config['local'], 'sandboxEgressAllow'>;
  };
}

export async function startFakes(ctx: ComponentContext, config: Config): Promise<OfflineFakes> {
  const [llm, telegram] = await Promise.all([
    startFakeLlm({ host: ctx.host }),
    startFakeTelegram({ host: ctx.host }),
  ]);
  // The platform model key the model gateway presents upstream (agents hold only their model token); the fake accepts any.
  const keyFile = modelApiKeyPath(config);
  if (!(await readFile(keyFile, 'utf8').catch(() => ''))) {
    await mkdir(dirname(keyFile), { recursive: true, mode: 0o700 });
    await writeFile(keyFile, 'offline-fake-key\n', { mode: 0o600 });
  }
  ctx.report(`offline: fake LLM at ${llm.url}, fake Telegram Bot API at ${telegram.url}`);
  return {
    rows: [
      { component: 'fake llm', url: llm.url, state: 'ready' },
      { component: 'fake telegram', url: telegram.url, state: 'ready' },
    ],
    processes: [],
    fakes: { llm, telegram },
    overrides: {
      model: { provider: 'fake', baseUrl: llm.url, id: 'fake-model' },
      telegram: { apiRoot: telegram.url },
      // The fake Bot API is on loopback: sandboxed tenants reach it only because it is listed.
      local: { sandboxEgressAllow: new URL(telegram.url).host },
    },
    stop: once(async () => {
      await Promise.allSettled([llm.close(), telegram.close()]);
    }),
  };
}
