/* The watch on arbitrary WaitForUpdatesEx replies: vim_wait_for_updates' filterSet/objectSet walk and
 * inventory_apply_update on the facts of a real gather (the scenario's, replayed from seed-gather.txt before
 * every input), then policy over the changed facts, as `nestwarden run` does at each update set.
 * Input: one or more update set replies (see fuzz.h), applied in order. */
#include <fcntl.h>
#include <libxml/parser.h>
#include <sys/stat.h>

#include "fuzz-vim.h"
#include "inventory.h"

static uint8_t *gather_replies;
static size_t gather_size;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        _cleanup_close_ int fd = open(FUZZ_SEED_GATHER, O_RDONLY | O_CLOEXEC);
        struct stat st;

        xmlInitParser();
        if (fd < 0 || fstat(fd, &st) < 0 || !(gather_replies = malloc((size_t) st.st_size + 1)) ||
            read(fd, gather_replies, (size_t) st.st_size) != st.st_size) {
                fprintf(stderr, "%s: cannot read the gather's replies: %m\n", FUZZ_SEED_GATHER);
                abort();
        }
        gather_size = (size_t) st.st_size;
        return 0;
}

typedef struct watch {
        inventory_ctx ctx;
        bool resync;
} watch;

static int on_update(void *userdata, const char *type, const char *moref, const char *kind, const xmlNode *ou,
                     nw_err *err) {
        watch *w = userdata;

        FUZZ_ASSERT(type && moref && kind && ou);
        return inventory_apply_update(&w->ctx, type, moref, kind, ou, &w->resync, err);
}

static void watch_done(watch *w) {
        inventory_ctx_done(&w->ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_http_ nw_http *http = NULL;
        _cleanup_vim_ vim_ctx *vc = NULL;
        _cleanup_strv_ nw_strv vms = {};
        _cleanup_(watch_done) watch w = {};
        _cleanup_free_ char *version = strdup("");
        nw_policy_cfg cfg;
        const uint8_t *gather = gather_replies;
        size_t gather_left = gather_size;
        nw_err err = {};
        int r;

        if (!version || nw_http_new(&(nw_http_opts) {}, &http, &err) < 0)
                abort();
        fuzz_take_morefs(&gather, &gather_left, &vms);
        fuzz_http_queue(http, gather, gather_left);
        vc = fuzz_vim_new(http);
        nw_policy_cfg_defaults(&cfg);
        r = inventory_gather(vc, &vms, cfg.standard_portgroups, true, 100, &w.ctx, &err);
        if (r < 0 || fuzz_http_left(http) != 0) {
                fprintf(stderr, "%s: the gather does not take exactly its replies: %s\n", FUZZ_SEED_GATHER,
                        r < 0 ? err.msg : "replies left over");
                abort();
        }

        fuzz_http_queue(http, data, size);
        while (fuzz_http_left(http) > 0) {
                _cleanup_(nw_findings_donep) nw_findings findings = {};
                r = vim_wait_for_updates(vc, version, 0, on_update, &w, &version, &err);
                FUZZ_LOG("update set: %s%s\n", r < 0 ? err.msg : "applied", w.resync ? ", resync" : "");
                if (r < 0) {
                        FUZZ_ASSERT(err.code == r && err.msg[0] != '\0');
                        continue; /* run logs it and goes on (or gathers again); so do we */
                }
                FUZZ_ASSERT(version);
                fuzz_check_inventory(&w.ctx.inv);
                r = policy_evaluate(&w.ctx.inv, &cfg, &findings);
                FUZZ_ASSERT(r == 0 || r == -ENOMEM);
                FUZZ_LOG("policy: %zu findings\n", findings.n);
                if (r == 0)
                        fuzz_report(&findings);
        }
        return 0;
}
