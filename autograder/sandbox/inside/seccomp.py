"""A seccomp filter, built here as a classic BPF program (no libseccomp: nothing to
install, and the program is a few dozen instructions), for the `landlock` tier.

It allows every system call but these, which fail with EPERM: socket() of any family
but AF_UNIX; ptrace and process_vm_readv/writev; mount and the new mount API, umount2,
pivot_root, chroot; unshare, setns, and clone() with a namespace flag; keyctl,
add_key, request_key; bpf; io_uring; perf_event_open; userfaultfd; personality.
clone3 fails with ENOSYS (its flags are behind a pointer the filter cannot read), so
that the C library falls back to clone(). Another architecture (i386 through int
0x80) kills the process; x32 system calls fail. x86_64 only.
"""
from __future__ import annotations

import ctypes
import errno
import os
import platform

AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000
SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_ERRNO, SECCOMP_RET_ALLOW = 0x80000000, 0x00050000, 0x7FFF0000
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
BPF_LD_W_ABS, BPF_JEQ_K, BPF_JGE_K, BPF_JSET_K, BPF_RET_K = 0x20, 0x15, 0x35, 0x45, 0x06

SOCKET, CLONE, CLONE3 = 41, 56, 435
AF_UNIX = 1
CLONE_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 \
    | 0x00000080  # NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME
DENIED = {
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311,
    "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "open_tree": 428, "move_mount": 429,
    "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442, "open_tree_attr": 467,
    "unshare": 272, "setns": 308, "keyctl": 250, "add_key": 248, "request_key": 249, "bpf": 321,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "perf_event_open": 298,
    "userfaultfd": 323, "personality": 135,
}
# struct seccomp_data: nr (u32) at 0, arch (u32) at 4, then args[6] (u64) from 16.
NR, ARCH, ARG0_LOW = 0, 4, 16


class SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(SockFilter))]


def program() -> list[tuple[int, int, int, int]]:
    """The filter as (code, jt, jf, k); jumps are written to labels, then resolved."""
    code = [
        (BPF_LD_W_ABS, 0, 0, ARCH),
        (BPF_JEQ_K, "+0", "kill", AUDIT_ARCH_X86_64),
        (BPF_LD_W_ABS, 0, 0, NR),
        (BPF_JGE_K, "eperm", "+0", X32_SYSCALL_BIT),
    ]
    code += [(BPF_JEQ_K, "eperm", "+0", number) for number in sorted(DENIED.values())]
    code += [
        (BPF_JEQ_K, "socket", "+0", SOCKET),
        (BPF_JEQ_K, "clone", "+0", CLONE),
        (BPF_JEQ_K, "enosys", "+0", CLONE3),
        (BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW),
        ("socket", BPF_LD_W_ABS, 0, 0, ARG0_LOW),
        (BPF_JEQ_K, "allow", "eperm", AF_UNIX),
        ("clone", BPF_LD_W_ABS, 0, 0, ARG0_LOW),
        (BPF_JSET_K, "eperm", "allow", CLONE_NAMESPACES),
        ("eperm", BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.EPERM),
        ("enosys", BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.ENOSYS),
        ("kill", BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS),
        ("allow", BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW),
    ]
    labels, plain = {}, []
    for index, instruction in enumerate(code):
        if isinstance(instruction[0], str):
            labels[instruction[0]] = index
            instruction = instruction[1:]
        plain.append(instruction)

    def offset(target, index):
        if isinstance(target, int):
            return target
        if target.startswith("+"):
            return int(target[1:])
        jump = labels[target] - index - 1
        assert 0 <= jump < 256, target
        return jump
    return [(op, offset(jt, i), offset(jf, i), k) for i, (op, jt, jf, k) in enumerate(plain)]


def install() -> str:
    """Install the filter on this process (inherited by everything it starts), after
    no_new_privs. Returns the protection's name."""
    if platform.machine() != "x86_64":
        raise OSError(errno.ENOSYS, "the seccomp filter is written for x86_64 only")
    instructions = program()
    array = (SockFilter * len(instructions))(*[SockFilter(*instruction) for instruction in instructions])
    prog = SockFprog(len(instructions), array)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS)")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        code = ctypes.get_errno()
        raise OSError(code, "prctl(SECCOMP): %s" % os.strerror(code))
    return "seccomp filter"
