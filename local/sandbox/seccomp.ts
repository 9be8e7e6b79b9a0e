/**
 * The sandbox's seccomp filter: a deny-list, as classic BPF for bubblewrap's
 * `--seccomp FD` (which loads it last, just before it execs the tenant's
 * first process; every descendant inherits it). Syscalls the tenant has no
 * use for and that widen the kernel's attack surface, or that a root-less
 * process could still use to attack it, fail with EPERM: loading kernel
 * code, mounting, rebooting, BPF and perf, the kernel keyring, userfaultfd,
 * ptrace and reading or writing another process's memory, clock changes,
 * and creating a user namespace (clone or unshare with CLONE_NEWUSER).
 * clone3 answers ENOSYS, as glibc then falls back to clone, whose flags a
 * filter can read. Any architecture but x86-64 (i386 through int 0x80,
 * x32) is killed. x86-64 only, like this machine kind.
 */
import { arch } from 'node:process';

const LD_W_ABS = 0x20;
const JEQ = 0x15;
const JSET = 0x45;
const RET = 0x06;
const AUDIT_ARCH_X86_64 = 0xc000003e;
const X32_SYSCALL_BIT = 0x40000000;
const RET_KILL_PROCESS = 0x80000000;
const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
const EPERM = 1;
const ENOSYS = 38;
const CLONE_NEWUSER = 0x10000000;
/** Offsets in struct seccomp_data: nr, arch, then args[0] (its low 32 bits first, little-endian). */
const NR = 0;
const ARCH = 4;
const ARG0 = 16;

/** x86-64 numbers (asm/unistd_64.h). */
export const DENIED_SYSCALLS: Readonly<Record<string, number>> = {
  ptrace: 101,
  syslog: 103,
  vhangup: 153,
  pivot_root: 155,
  adjtimex: 159,
  acct: 163,
  settimeofday: 164,
  mount: 165,
  umount2: 166,
  swapon: 167,
  swapoff: 168,
  reboot: 169,
  iopl: 172,
  ioperm: 173,
  init_module: 175,
  delete_module: 176,
  quotactl: 179,
  clock_settime: 227,
  kexec_load: 246,
  add_key: 248,
  request_key: 249,
  keyctl: 250,
  perf_event_open: 298,
  name_to_handle_at: 303,
  open_by_handle_at: 304,
  clock_adjtime: 305,
  setns: 308,
  process_vm_readv: 310,
  process_vm_writev: 311,
  finit_module: 313,
  kexec_file_load: 320,
  bpf: 321,
  userfaultfd: 323,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  mount_setattr: 442,
};
/** Allowed unless their first argument asks for a new user namespace. */
const CLONE = 56;
const UNSHARE = 272;
const CLONE3 = 435;

type Instruction = [code: number, jt: number, jf: number, k: number];

/** The filter as bubblewrap reads it: struct sock_filter[], 8 bytes each, host byte order. */
export function seccompProgram(): Buffer {
  if (arch !== 'x64') throw new Error(`the sandbox's seccomp filter is x86-64 only, not ${arch}`);
  const program: Instruction[] = [
    [LD_W_ABS, 0, 0, ARCH],
    [JEQ, 1, 0, AUDIT_ARCH_X86_64],
    [RET, 0, 0, RET_KILL_PROCESS],
    [LD_W_ABS, 0, 0, NR],
    [JSET, 0, 1, X32_SYSCALL_BIT],
    [RET, 0, 0, RET_KILL_PROCESS],
    [JEQ, 0, 1, CLONE3],
    [RET, 0, 0, RET_ERRNO | ENOSYS],
  ];
  for (const nr of Object.values(DENIED_SYSCALLS))
    program.push([JEQ, 0, 1, nr], [RET, 0, 0, RET_ERRNO | EPERM]);
  for (const nr of [CLONE, UNSHARE])
    program.push(
      [JEQ, 0, 4, nr],
      [LD_W_ABS, 0, 0, ARG0],
      [JSET, 0, 1, CLONE_NEWUSER],
      [RET, 0, 0, RET_ERRNO | EPERM],
      [RET, 0, 0, RET_ALLOW],
    );
  program.push([RET, 0, 0, RET_ALLOW]);
  const bytes = Buffer.alloc(program.length * 8);
  program.forEach(([code, jt, jf, k], i) => {
    bytes.writeUInt16LE(code, i * 8);
    bytes.writeUInt8(jt, i * 8 + 2);
    bytes.writeUInt8(jf, i * 8 + 3);
    bytes.writeUInt32LE(k, i * 8 + 4);
  });
  return bytes;
}
