#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "linux_shims.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

/* linux/openat2.h, spelled out: older headers lack it, and the ABI is fixed (extensible by size). */
struct syncd_open_how {
    uint64_t flags;
    uint64_t mode;
    uint64_t resolve;
};
#define SYNCD_RESOLVE_NO_MAGICLINKS 0x02
#define SYNCD_RESOLVE_NO_SYMLINKS 0x04
#define SYNCD_RESOLVE_BENEATH 0x08

int syncd_rename_noreplace(const char *from, const char *to) {
    return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
}

int syncd_renameat2(int fromdir, const char *from, int todir, const char *to, int noreplace) {
    return renameat2(fromdir, from, todir, to, noreplace ? RENAME_NOREPLACE : 0);
}

int syncd_open_beneath(int dirfd, const char *path, int flags, unsigned int mode) {
    struct syncd_open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(unsigned int)flags;
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = SYNCD_RESOLVE_BENEATH | SYNCD_RESOLVE_NO_SYMLINKS | SYNCD_RESOLVE_NO_MAGICLINKS;
    long fd;
    do {
        fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    } while (fd < 0 && errno == EINTR);
    return (int)fd;
}

int syncd_spawn_close_from(void *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np((posix_spawn_file_actions_t *)actions, from);
}

void syncd_release_free_memory(void) {
    malloc_trim(0);
}

void syncd_limit_malloc_arenas(int arenas) {
    mallopt(M_ARENA_MAX, arenas);
}
