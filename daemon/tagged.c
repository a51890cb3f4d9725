/* `run`'s tagged set and the journal entries about it. */
#include <string.h>

#include "log.h"
#include "tagged.h"

static void vms_free(tagged_vm *v, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(v[i].moref);
                free(v[i].name);
        }
        free(v);
}

void tagged_set_done(tagged_set *t) {
        vms_free(t->v, t->n);
        *t = (tagged_set) {};
}

bool tagged_set_contains(const tagged_set *t, const char *moref) {
        for (size_t i = 0; i < t->n; i++)
                if (strcmp(t->v[i].moref, moref) == 0)
                        return true;
        return false;
}

bool tagged_set_differs(const tagged_set *t, const nw_strv *listing) {
        if (listing->n != t->n)
                return true;
        for (size_t i = 0; i < listing->n; i++)
                if (!tagged_set_contains(t, listing->v[i]))
                        return true;
        return false;
}

/* What vCenter calls the VM; an unreadable VM, or one an update left without a name, by its moref. */
static const char *vm_name(const nw_inventory *inv, const char *moref) {
        const nw_unreadable *u = nw_inventory_get_unreadable(inv, moref);

        for (size_t i = 0; i < inv->n_vms; i++)
                if (strcmp(inv->vms[i].moref, moref) == 0 && inv->vms[i].name && inv->vms[i].name[0])
                        return inv->vms[i].name;
        return u && u->name && u->name[0] ? u->name : moref;
}

static void vm_event(nw_event_type type, const nw_config *cfg, const tagged_vm *vm) {
        log_event(&(nw_event) { .type = type, .vcenter = cfg->vcenter.url, .object = vm->moref,
                                .object_name = vm->name, .object_kind = NW_KIND_VM });
}

int tagged_set_update(tagged_set *t, const nw_strv *listing, const nw_inventory *inv, const nw_config *cfg,
                      bool baseline) {
        tagged_vm *now = calloc(listing->n ? listing->n : 1, sizeof(*now));

        if (!now)
                return -ENOMEM;
        for (size_t i = 0; i < listing->n; i++) {
                now[i].moref = strdup(listing->v[i]);
                now[i].name = strdup(vm_name(inv, listing->v[i]));
                if (!now[i].moref || !now[i].name) {
                        vms_free(now, i + 1);
                        return -ENOMEM;
                }
        }
        /* The first pass is the baseline, not news: no event per VM at start-up. */
        for (size_t i = 0; !baseline && i < listing->n; i++)
                if (!tagged_set_contains(t, now[i].moref))
                        vm_event(NW_EVENT_VM_TAGGED, cfg, &now[i]);
        for (size_t i = 0; !baseline && i < t->n; i++)
                if (!nw_strv_contains(listing, t->v[i].moref))
                        vm_event(NW_EVENT_VM_UNTAGGED, cfg, &t->v[i]);
        vms_free(t->v, t->n);
        t->v = now;
        t->n = listing->n;

        if (t->n == 0 && !t->said_empty) {
                _cleanup_free_ char *tag = NULL;

                if (asprintf(&tag, "%s/%s", cfg->selection.tag_category, cfg->selection.tag) < 0)
                        return -ENOMEM;
                log_event(&(nw_event) { .type = NW_EVENT_TAG_EMPTY, .vcenter = cfg->vcenter.url, .detail = tag });
        }
        t->said_empty = t->n == 0;
        return 0;
}
