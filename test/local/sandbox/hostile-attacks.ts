/**
 * The hostile-agent suite's attempts (hostile-agent.test.ts): the tool calls
 * the fake model makes a `pro` tenant's OpenClaw run, and what each tool
 * result must show. Shell output that would mean success is spelled
 * `RE""ACHED` in the command, so only a command that got through prints
 * `REACHED` (the command text itself never matches).
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import type { ScriptedToolCall, ToolResult } from '../../../fakes/fake-llm.js';
import { TIER_LIMITS } from '../../../local/sandbox/limits.js';

/** What the attacks aim at: paths and addresses of the host, as the hostile tenant would name them. */
export interface Targets {
  readonly dataDir: string;
  readonly masterKey: string;
  readonly adminToken: string;
  readonly neighbourState: string;
  readonly neighbourBotToken: string;
  readonly platformModelKey: string;
  /** Name → `host:port` of what must stay unreachable. */
  readonly endpoints: Readonly<Record<string, string>>;
  /** The snapshot store (`host:port` and bucket): on the egress list by design, so only signed requests may pass. */
  readonly snapshotStore: { readonly address: string; readonly bucket: string };
  /** The hostile tenant's disk budget, as the suite's fleet configures it (CLAWFLEET_LOCAL_SANDBOX_DISK). */
  readonly diskBytes: number;
}

export interface Attack {
  readonly name: string;
  readonly calls: (t: Targets) => ScriptedToolCall[];
  readonly check: (results: readonly ToolResult[], t: Targets) => void;
  /** The tenant does not survive it (the designed outcome): no tool result comes back. */
  readonly endsTenant?: boolean;
  /** Its file stays and its disk stays full: the test checks the tenant still answers, then sends FREE_DISK. */
  readonly leavesDiskFull?: boolean;
}

const exec = (command: string): ScriptedToolCall => ({
  name: 'exec',
  arguments: { command, timeoutSeconds: 90 },
});
const all = (results: readonly ToolResult[]) => results.map((r) => r.text).join('\n');
const noneReached = (text: string) => assert.doesNotMatch(text, /REACHED/, text);

export const ATTACKS: readonly Attack[] = [
  {
    name: 'legit exec',
    calls: () => [exec('echo hi > note.txt && echo "note: $(cat note.txt)" && echo "uid=$(id -u)"')],
    check: () => undefined, // the test reads the reply and the file
  },
  {
    name: 'read the master key and the admin token',
    calls: (t) => [exec(`cat ${t.masterKey}; cat ${t.adminToken}; ls ${t.dataDir}/keys; echo "ls exit $?"`)],
    check: (results, t) => {
      const text = all(results);
      assert.match(text, /No such file or directory/, text);
      for (const file of [t.masterKey, t.adminToken]) {
        const secret = readFileSync(file, 'utf8').trim();
        assert.ok(secret.length > 8 && !text.includes(secret), `${file} leaked`);
      }
    },
  },
  {
    name: 'read another tenant’s state with the read tool',
    calls: (t) => [{ name: 'read', arguments: { path: `${t.neighbourState}/openclaw.json` } }],
    check: (results) => {
      const text = all(results);
      assert.match(text, /ENOENT|no such file|not found/i, text);
      assert.doesNotMatch(text, /customBindHost|webhookPort/, 'the neighbour’s config was read');
    },
  },
  {
    name: 'write into the keys dir and another tenant’s state with the write tool',
    calls: (t) => [
      { name: 'write', arguments: { path: `${t.dataDir}/keys/pwned`, content: 'pwned' } },
      { name: 'write', arguments: { path: `${t.neighbourState}/pwned`, content: 'pwned' } },
    ],
    check: (results) => {
      assert.equal(results.length, 2, all(results));
      for (const r of results)
        assert.match(r.text, /EACCES|EROFS|ENOENT|permission denied|read-only/i, r.text);
    },
  },
  {
    name: 'read other processes’ environments through /proc',
    calls: (t) => [
      exec(
        [
          'pids=$(ls -d /proc/[0-9]* | wc -l); echo "pids visible: $pids"',
          `cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n' > environ-dump.txt; echo "env lines: $(wc -l < environ-dump.txt)"`,
          `[ -e /proc/${process.pid}/environ ] && echo "host worker: RE""ACHED" || echo "host worker pid ${process.pid}: not visible"`,
          `grep -q -e '${t.neighbourBotToken.split(':')[1]}' -e '${t.platformModelKey}' environ-dump.txt && echo "foreign secret: RE""ACHED" || echo "no foreign secret"`,
        ].join('; '),
      ),
    ],
    check: (results) => {
      const text = all(results);
      noneReached(text);
      const pids = Number(/pids visible: (\d+)/.exec(text)?.[1]);
      assert.ok(pids > 0 && pids < 40, `its own PID namespace only: ${pids} pids`);
      assert.match(text, /no foreign secret/, text);
    },
  },
  {
    name: 'connect to Redis, Temporal, DynamoDB, the admin API, a neighbour’s supervisor and 169.254.169.254',
    calls: (t) => [
      exec(
        Object.entries(t.endpoints)
          .map(([name, address]) => {
            const [host, port] = [
              address.slice(0, address.lastIndexOf(':')),
              address.slice(address.lastIndexOf(':') + 1),
            ];
            return `if timeout 5 bash -c 'exec 3<>/dev/tcp/${host}/${port}' 2>err.txt; then echo "${name}: RE""ACHED"; else echo "${name}: refused: $(tail -c 100 err.txt)"; fi`;
          })
          .join('; '),
      ),
    ],
    check: (results, t) => {
      const text = all(results);
      noneReached(text);
      for (const name of Object.keys(t.endpoints)) assert.match(text, new RegExp(`${name}: refused`), text);
      assert.match(text, /Connection refused|Network is unreachable/, text);
    },
  },
  {
    name: 'list the snapshot store without a signature',
    // The store is reachable (the supervisor saves and restores through it); s3rver itself checks no signature,
    // so the sandbox's egress to it passes only presigned requests (local/sandbox/snapshot-egress.ts).
    calls: (t) => [
      exec(
        `code=$(curl -s -m 20 -o listing.txt -w '%{http_code}' 'http://${t.snapshotStore.address}/${t.snapshotStore.bucket}?list-type=2'); ` +
          `echo "unsigned list: HTTP $code, tenant keys listed: $(grep -o 'tenants/[a-z0-9-]*/' listing.txt | sort -u | wc -l)"`,
      ),
    ],
    check: (results) => {
      const text = all(results);
      assert.match(text, /unsigned list: HTTP 403, tenant keys listed: 0/, text);
    },
  },
  {
    name: 'fill its own disk past its budget',
    // Twice its budget, into its workspace: the kernel stops the writes at the budget (the suite's fleet gives
    // `pro` 64 MiB), and the file stays. OpenClaw, on the same disk, must still record the result and answer:
    // the runtime releases the disk's reserve once it is full (docs/security.md, "A disk left full"); the test
    // then checks the tenant keeps answering, and FREE_DISK deletes the file. dd's report goes to /tmp (memory).
    calls: (t) => [
      exec(
        `dd if=/dev/zero of=fill.bin bs=1M count=${(2 * t.diskBytes) / 2 ** 20} 2>/tmp/dd.txt; tail -n 4 /tmp/dd.txt`,
      ),
    ],
    check: (results, t) => {
      const text = all(results);
      assert.match(text, /No space left on device/, text);
      const copied = Number(/(\d+) bytes .*copied/.exec(text)?.[1]);
      assert.ok(copied > t.diskBytes / 2 && copied < t.diskBytes, `stopped at its budget: ${copied} bytes`);
    },
    leavesDiskFull: true,
  },
  {
    name: 'fill the disk outside its own dir',
    // Writes outside the tenant's dir are stopped (read-only or invisible); its own dir stops at its disk
    // budget (above).
    calls: (t) => [
      exec(
        ['/usr/fill', `${t.dataDir}/fill`, '/fill', '/etc/fill']
          .map((path) => `dd if=/dev/zero of=${path} bs=1M count=16 2>&1 | head -1`)
          .join('; '),
      ),
    ],
    check: (results) => {
      const text = all(results);
      const failures = text.match(/Read-only file system|Permission denied|No such file or directory/g) ?? [];
      assert.equal(failures.length, 4, text);
      assert.doesNotMatch(text, /copied/, text);
    },
  },
  {
    name: 'fork bomb',
    // Processes until the kernel refuses one, then they are reaped: an unbounded `:(){ :|:& };:` would
    // leave the tenant unable to run anything until it is killed, and the memory case still needs it.
    calls: () => [
      exec(
        `node -e "const {spawn}=require('child_process');const kids=[];let refused;` +
          `for(let i=0;i<3000&&!refused;i++){const c=spawn('sleep',['30'],{stdio:'ignore'});c.on('error',e=>{refused=refused||e.code});if(c.pid)kids.push(c)}` +
          `setTimeout(()=>{console.log('started '+kids.length+', then '+refused);for(const k of kids)k.kill()},1500)"`,
      ),
    ],
    check: (results) => {
      const text = all(results);
      const started = Number(/started (\d+)/.exec(text)?.[1]);
      assert.match(text, /then EAGAIN/, text);
      assert.ok(
        started < TIER_LIMITS.pro.pidsMax,
        `stopped by pids.max (${TIER_LIMITS.pro.pidsMax}): ${text}`,
      );
    },
  },
  {
    name: 'allocate past its memory limit',
    calls: () => [exec(`node -e "const a=[];for(;;)a.push(Buffer.alloc(64*1024*1024,1))"`)],
    check: () => undefined,
    endsTenant: true,
  },
];

/** After a full disk: the agent deletes its file (a user asking it to), and its room is back. */
export const FREE_DISK: Attack = {
  name: 'delete the file that filled its disk',
  calls: () => [
    exec(`rm fill.bin; echo "available after rm: $(df -k --output=avail . | tail -n 1 | tr -d ' ') KiB"`),
  ],
  check: (results, t) => {
    const text = all(results);
    const after = Number(/available after rm: (\d+) KiB/.exec(text)?.[1]);
    assert.ok(after * 1024 > t.diskBytes / 2, text);
  },
};
