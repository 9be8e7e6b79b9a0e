/**
 * The admin API's OpenAPI document as a contract for another language: a
 * Python client generated from the served document by openapi-python-client,
 * importable by the generator's own venv Python (it carries the client's
 * runtime dependencies).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../common/config.js';
import { resolveOpenApiPythonClient } from '../../dev/openapi-python-client.js';
import { runCommand, type RunResult } from '../../dev/run-command.js';

export const PACKAGE = 'clawfleet_admin';

export interface GeneratedClient {
  /** Runs a Python script that can `import clawfleet_admin`. */
  run(source: string, args: string[]): Promise<RunResult>;
  remove(): Promise<void>;
}

export async function generatePythonClient(adminUrl: string): Promise<GeneratedClient> {
  const tool = await resolveOpenApiPythonClient({
    cacheDir: loadConfig().common.cacheDir,
    report: (line) => console.log(`  [toolchain] ${line}`),
  });
  const dir = await mkdtemp(join(tmpdir(), 'clawfleet-pyclient-'));
  try {
    const response = await fetch(`${adminUrl}/v1/openapi.json`);
    if (!response.ok) throw new Error(`GET /v1/openapi.json: ${response.status}`);
    const specPath = join(dir, 'openapi.json');
    await writeFile(specPath, await response.text());
    const env = { PATH: `${tool.binDir}:${process.env['PATH'] ?? ''}`, HOME: dir };
    const generated = await runCommand(
      tool.python,
      [
        '-m',
        'openapi_python_client',
        'generate',
        '--path',
        specPath,
        '--meta',
        'none',
        '--output-path',
        join(dir, PACKAGE),
      ],
      { cwd: dir, env, timeoutMs: 120_000 },
    );
    // The generator exits 0 even when it skipped an operation it could not model: that is a failure here.
    if (/warning/i.test(generated.stdout + generated.stderr))
      throw new Error(`openapi-python-client warned:\n${generated.stdout}${generated.stderr}`);
    return {
      async run(source, args) {
        await writeFile(join(dir, 'main.py'), source);
        return runCommand(tool.python, ['main.py', ...args], { cwd: dir, env, timeoutMs: 60_000 });
      },
      remove: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
