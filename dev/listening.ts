/**
 * Whether one given process listens on a TCP port, from /proc (Linux). With
 * `SO_REUSEPORT` several processes listen on the one port, so "the port
 * answers" says nothing about a replica that was just started: the answer
 * may come from its sibling. The kernel's socket table and the process's
 * file descriptors say it exactly.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';

/** Inodes of the sockets in LISTEN state (0A) on `port`, from /proc/<pid>/net/tcp and tcp6. */
async function listeningInodes(pid: number, port: number): Promise<Set<string>> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      if (fields.length < 10 || fields[3] !== '0A') continue;
      if (fields[1]!.endsWith(`:${hexPort}`)) inodes.add(fields[9]!);
    }
  }
  return inodes;
}

/** True once `pid` holds a listening socket on `port`. */
export async function listensOn(pid: number, port: number): Promise<boolean> {
  const inodes = await listeningInodes(pid, port);
  if (inodes.size === 0) return false;
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  for (const fd of fds) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode !== undefined && inodes.has(inode)) return true;
  }
  return false;
}
