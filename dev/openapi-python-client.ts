/**
 * openapi-python-client (PyPI), the generator that proves the admin API's
 * OpenAPI document is a contract other languages can use: the tests generate
 * a Python client from the served document and drive a running stack with it.
 * Installed like the Temporal wheels, into a private venv under the cache; the
 * venv's Python also has the generated client's runtime dependencies (httpx,
 * attrs, python-dateutil), since the generator itself depends on them.
 */
import { join } from 'node:path';
import { ToolchainError } from '../common/errors.js';
import { pipInstallBinary, type ResolveOptions } from './toolchain.js';

export const PINNED_OPENAPI_PYTHON_CLIENT = '0.29.1';

export interface OpenApiPythonClient {
  /**
   * The venv's Python: it runs the generator (`python -m openapi_python_client`; the console
   * script's shebang names the staging dir the venv was built in) and can import the generated client.
   */
  readonly python: string;
  /** The venv's bin directory: the generator runs `ruff` from PATH to format what it writes. */
  readonly binDir: string;
}

export async function resolveOpenApiPythonClient(
  options: Omit<ResolveOptions, 'explicitPath' | 'searchPath'>,
): Promise<OpenApiPythonClient> {
  const pkg = 'openapi-python-client';
  const generator = await pipInstallBinary(
    options.cacheDir,
    pkg,
    PINNED_OPENAPI_PYTHON_CLIENT,
    pkg,
    options.report ?? (() => {}),
  );
  if (!generator)
    throw new ToolchainError(
      pkg,
      'not installed and pip could not install it',
      `Install python3 with venv (apt-get install python3-venv), then \`pip install ${pkg}==${PINNED_OPENAPI_PYTHON_CLIENT}\` works.`,
    );
  const binDir = join(generator, '..');
  return { python: join(binDir, 'python'), binDir };
}
