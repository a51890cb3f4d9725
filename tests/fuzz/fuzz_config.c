/* lib/config.c config_load on arbitrary file content. The input is written to a memfd and loaded through
 * /proc/self/fd, so config_load opens and reads a real file; loading reads no other file (password_file
 * and ca_file are only stored), so nothing outside the input can change the outcome. */
#include <string.h>
#include <strings.h>
#include <sys/mman.h>

#include "config.h"
#include "fuzz.h"

static int memfd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        memfd = memfd_create("nestwarden.conf", MFD_CLOEXEC);
        if (memfd < 0)
                abort();
        snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_config_ nw_config *cfg = NULL;
        nw_err err = {};
        int r;

        if (ftruncate(memfd, 0) < 0 || (size > 0 && pwrite(memfd, data, size, 0) != (ssize_t) size))
                abort();
        r = config_load(path, &cfg, &err);
        FUZZ_LOG("%s\n", r < 0 ? err.msg : "loaded");
        if (r < 0) {
                /* A rejected file is rejected with a reason that names the file. */
                FUZZ_ASSERT(!cfg && err.code == r && strncmp(err.msg, path, strlen(path)) == 0);
                return 0;
        }
        FUZZ_ASSERT(r == 0 && cfg);
        /* What the rest of nestwarden relies on after a successful load. */
        /* The scheme is matched without case, as curl does. */
        FUZZ_ASSERT(cfg->vcenter.url && strncasecmp(cfg->vcenter.url, "https://", 8) == 0);
        FUZZ_ASSERT(cfg->vcenter.user && cfg->vcenter.user[0] != '\0');
        FUZZ_ASSERT(cfg->selection.tag_category && cfg->selection.tag);
        FUZZ_ASSERT(!cfg->vcenter.password_file || cfg->vcenter.password_file[0] == '/');
        FUZZ_ASSERT(!cfg->vcenter.ca_file || cfg->vcenter.ca_file[0] == '/');
        FUZZ_ASSERT(!(cfg->vcenter.insecure && cfg->vcenter.ca_file));
        FUZZ_ASSERT(cfg->vcenter.timeout >= 5 && cfg->vcenter.timeout <= 3600);
        FUZZ_ASSERT(cfg->vcenter.page_size >= 1 && cfg->vcenter.page_size <= 10000);
        FUZZ_ASSERT(cfg->policy.mac_learning_limit_policy);
        FUZZ_ASSERT(config_log_level(cfg) >= 0);
        return 0;
}
