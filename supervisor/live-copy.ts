/**
 * A consistent copy of a running gateway's state dir without spawning the
 * OpenClaw CLI (`openclaw backup create` costs 2.3–3.5 s, mostly CLI start).
 * Every SQLite database is copied with SQLite's online backup API (the same
 * mechanism OpenClaw's own backup uses): it yields a transactionally consistent
 * image while the gateway keeps writing. Everything else is copied as files;
 * `-wal`/`-shm` files are skipped because the backup already contains their
 * committed pages.
 */
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { backup, DatabaseSync } from 'node:sqlite';

const SQLITE = /\.sqlite$/;
const SQLITE_SIDE_FILES = /\.sqlite-(wal|shm|journal)$/;
/** Lock databases the running gateway holds (`tmp/openclaw-0/*.lock.sqlite`): runtime-only, never state. */
const LOCK_DATABASE = /\.lock\.sqlite$/;

/** Copy `stateDir` into the empty directory `target`; returns the number of databases backed up. */
export async function copyLiveState(stateDir: string, target: string): Promise<number> {
  let databases = 0;
  const walk = async (from: string, to: string): Promise<void> => {
    await mkdir(to, { recursive: true, mode: 0o700 });
    for (const entry of await readdir(from, { withFileTypes: true })) {
      const source = join(from, entry.name);
      const dest = join(to, entry.name);
      if ((from === stateDir && entry.name === 'tmp') || LOCK_DATABASE.test(entry.name)) continue;
      if (entry.isDirectory()) await walk(source, dest);
      else if (!entry.isFile() || SQLITE_SIDE_FILES.test(entry.name))
        continue; // links are never archived
      else if (SQLITE.test(entry.name)) {
        await backupWithRetry(source, dest);
        databases++;
        // The copy inherits WAL mode; fold its WAL in and drop it, since archives never carry `-wal` files.
        const copy = new DatabaseSync(dest);
        try {
          copy.exec('PRAGMA journal_mode=DELETE');
        } finally {
          copy.close();
        }
      } else await copyFile(source, dest);
    }
  };
  await walk(stateDir, target);
  return databases;
}

/**
 * The online backup occasionally fails while the gateway writes (seen once as
 * SQLite's "not an error" under load); it is transient, so try a few times
 * from scratch before the caller falls back to `openclaw backup create`.
 */
async function backupWithRetry(source: string, dest: string, attempts = 3): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const db = new DatabaseSync(source, { readOnly: true });
    try {
      await backup(db, dest);
      return;
    } catch (err) {
      await rm(dest, { force: true });
      await rm(`${dest}-journal`, { force: true });
      if (attempt >= attempts) throw err;
    } finally {
      db.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
  }
}
