import type { Config } from '../common/config.js';

/** The worker's slice of the configuration: everything but the admin API's and the CLI's groups. */
export type WorkerConfig = Omit<Config, 'admin' | 'cli'>;
