/* A scratch directory for the unit tests that read files: each test file defines TMPDIR_TEMPLATE
 * before including this, calls mkdtemp(tmpdir) in main() and rm_tmpdir() at the end. */
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "tap.h"

static char tmpdir[] = TMPDIR_TEMPLATE;

static const char *tmp_path(const char *name) {
        static char buf[256];

        snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name);
        return buf;
}

static void write_file(const char *name, const char *data, size_t len, mode_t mode) {
        const char *p = tmp_path(name);
        int fd;

        (void) unlink(p);
        fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        CHECK(fd >= 0);
        if (fd < 0)
                return;
        CHECK(write(fd, data, len) == (ssize_t) len);
        CHECK(fchmod(fd, mode) == 0); /* umask must not decide what the mode test sees */
        close(fd);
}

static void rm_tmpdir(void) {
        DIR *d = opendir(tmpdir);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (unlinkat(dirfd(d), de->d_name, 0) < 0)
                        (void) unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
        }
        closedir(d);
        (void) rmdir(tmpdir);
}
