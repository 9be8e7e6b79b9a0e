// A stand-in for `openclaw` in supervisor tests where OpenClaw itself adds
// nothing: `gateway run` serves /readyz, a chat endpoint that answers after
// `chatDelayMs` and a Telegram webhook listener from the config the supervisor
// wrote (a chat turn whose body names `call-the-model` calls the configured model
// provider and answers with its reply). Any other command fails: the
// supervisor's probes start no CLI process.
// Behaviour is scripted by `<root>/stand-in.json` (root = parent of the state
// dir); every boot, SIGTERM and exit is appended to `<root>/stand-in-events.log`.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';

const stateDir = process.env.OPENCLAW_STATE_DIR;
const root = dirname(stateDir);
const control = existsSync(join(root, 'stand-in.json'))
  ? JSON.parse(readFileSync(join(root, 'stand-in.json'), 'utf8'))
  : {};
const eventsFile = join(root, 'stand-in-events.log');
const event = (name) => appendFileSync(eventsFile, `${name} ${Date.now()}\n`);
const boots = () =>
  existsSync(eventsFile)
    ? readFileSync(eventsFile, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('boot ')).length
    : 0;

const [command, sub] = process.argv.slice(2);
if (command !== 'gateway' || sub !== 'run') {
  console.error(`stand-in: unsupported command ${process.argv.slice(2).join(' ')}`);
  process.exit(64);
}

const config = JSON.parse(readFileSync(join(stateDir, 'openclaw.json'), 'utf8'));
const host = config.gateway.customBindHost ?? '127.0.0.1';
event('boot');
if (boots() <= (control.crashBoots ?? 0)) {
  setTimeout(() => {
    event('crash');
    process.exit(1);
  }, 100);
} else {
  const gateway = createServer((req, res) => {
    if (req.url === '/v1/chat/completions') {
      let body = '';
      req.on('data', (c) => (body += c));
      // A turn that names `call-the-model` asks the configured provider, as OpenClaw's agent would.
      req.on('end', () => (body.includes('call-the-model') ? callModel(res) : answer(res)));
      return;
    }
    res.writeHead(req.url === '/readyz' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ready: req.url === '/readyz' }));
  });
  const answer = (res) =>
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'stand-in' } }] }));
    }, control.chatDelayMs ?? 0);
  const callModel = (res) => {
    const provider = Object.values(config.models?.providers ?? {})[0];
    fetch(`${provider?.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'stand-in', messages: [{ role: 'user', content: 'hi' }] }),
    })
      .then((r) => r.text())
      .then(
        (text) => res.writeHead(200, { 'content-type': 'application/json' }).end(text),
        (err) => res.writeHead(502).end(String(err)),
      );
  };
  // `listenDelayMs`: a gateway that takes a while to come up, as OpenClaw's does (seconds of code loading).
  setTimeout(() => gateway.listen(config.gateway.port, host), control.listenDelayMs ?? 0);
  const telegram = config.channels?.telegram;
  const servers = [gateway];
  if (telegram) {
    const webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (
          req.headers['x-telegram-bot-api-secret-token'] !== process.env.CLAWFLEET_TELEGRAM_WEBHOOK_SECRET
        ) {
          res.writeHead(401).end();
          return;
        }
        // OpenClaw's listener answers before its ingress queue exists; updates get a 500 until then.
        if (Date.now() < listeningSince + (control.ingressNotReadyMs ?? 0)) {
          event('ingress-500');
          res.writeHead(500).end();
          return;
        }
        if (body.includes('no-durable-ack')) {
          res.writeHead(200).end('{}');
          return;
        }
        mkdirSync(join(stateDir, 'state'), { recursive: true });
        appendFileSync(join(stateDir, 'state', 'updates.jsonl'), `${body}\n`);
        res.writeHead(200, { 'x-openclaw-delivery-accepted': 'durable' }).end('{}');
      });
    });
    const listeningSince = Date.now();
    webhook.listen(telegram.webhookPort, telegram.webhookHost);
    servers.push(webhook);
  }
  process.once('SIGTERM', () => {
    event('sigterm');
    if (control.ignoreSigterm) return; // a run that never finishes draining
    for (const s of servers) s.close();
    setTimeout(() => {
      event('exit');
      process.exit(0);
    }, 300);
  });
}
