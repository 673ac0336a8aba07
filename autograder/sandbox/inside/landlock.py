"""Landlock, through ctypes: the filesystem (and, from ABI 4, TCP) confined without
namespaces, for hosts that allow none (the `landlock` tier).

The kernel is asked which Landlock ABI it speaks (landlock_create_ruleset(NULL, 0,
LANDLOCK_CREATE_RULESET_VERSION)); every right of that ABI is handled, so whatever no
rule allows is denied. Rules: read and execute beneath the read-only paths, every
right beneath the run's work folder, read and write on a few devices (/dev/null...).
ABI >= 4: TCP bind and connect handled with no port allowed. ABI >= 6: abstract Unix
sockets and signals scoped to the run. x86_64 only (syscalls by number).
"""
from __future__ import annotations

import ctypes
import os

SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446
CREATE_RULESET_VERSION = 1 << 0
RULE_PATH_BENEATH = 1

# Filesystem rights, by the ABI that introduced them (include/uapi/linux/landlock.h).
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_ABI1 = (1 << 13) - 1  # EXECUTE ... MAKE_SYM
FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1

READ_ONLY = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV  # all a rule on a file may hold
DEVICES = ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"]

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _syscall(number, *args):
    result = _libc.syscall(ctypes.c_long(number), *args)
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, "landlock syscall %d: %s" % (number, os.strerror(code)))
    return result


def abi_version() -> int:
    """The Landlock ABI this kernel speaks; 0 where it has none (not built in, not enabled)."""
    try:
        return _syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION))
    except OSError:
        return 0


def handled(abi: int) -> tuple[int, int, int, int]:
    """(fs rights, net rights, scopes, size of landlock_ruleset_attr) for `abi`, as the
    kernel documentation's compatibility example masks them."""
    fs = FS_ABI1 | FS_REFER | FS_TRUNCATE | FS_IOCTL_DEV
    if abi < 2:
        fs &= ~FS_REFER
    if abi < 3:
        fs &= ~FS_TRUNCATE
    if abi < 5:
        fs &= ~FS_IOCTL_DEV
    net = NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0
    scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    return fs, net, scoped, size


def restrict(read_only: list[str], writable: list[str]) -> list[str]:
    """Confine this process (and what it starts) for good: read and execute beneath
    `read_only`, everything beneath `writable`, nothing else of the filesystem; no TCP
    (ABI >= 4); signals and abstract sockets kept inside (ABI >= 6). Sets no_new_privs.
    Returns what it enforced, for the run's protections."""
    abi = abi_version()
    if abi < 1:
        raise OSError(95, "Landlock is not available in this kernel")
    fs, net, scoped, size = handled(abi)
    attr = RulesetAttr(fs, net, scoped)
    ruleset = _syscall(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    try:
        for paths, rights in ((read_only, READ_ONLY), (writable, fs), (DEVICES, FS_READ_FILE | FS_WRITE_FILE)):
            for path in paths:
                try:
                    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                except OSError:
                    continue  # a path this host does not have
                try:
                    allowed = rights & fs if os.path.isdir(path) else rights & fs & FILE_RIGHTS
                    rule = PathBeneathAttr(allowed, fd)
                    _syscall(SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH),
                             ctypes.byref(rule), ctypes.c_uint32(0))
                finally:
                    os.close(fd)
        if _libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS, which restrict_self requires
            raise OSError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS)")
        _syscall(SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)
    done = ["landlock filesystem (ABI %d)" % abi]
    if net:
        done.append("landlock no TCP")
    if scoped:
        done.append("landlock scoped signals and abstract sockets")
    return done
