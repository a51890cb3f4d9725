/* `run`'s tagged set: the tag listing at the last gather, with names for the journal. What enters
 * and leaves it is judged from the listing alone: a tagged VM that cannot be read is still tagged
 * (it gets UNREADABLE entries, not VM_UNTAGGED). */
#pragma once

#include "config.h"
#include "facts.h"

typedef struct tagged_vm {
        char *moref, *name;
} tagged_vm;

typedef struct tagged_set {
        tagged_vm *v;
        size_t n;
        bool said_empty;        /* TAG_EMPTY sent; again only after the tag had VMs */
} tagged_set;

void tagged_set_done(tagged_set *t);
bool tagged_set_contains(const tagged_set *t, const char *moref);
/* Whether listing (the tag's VM morefs) differs from t. */
bool tagged_set_differs(const tagged_set *t, const nw_strv *listing);
/* Replaces t by listing, naming each VM from inv (its moref when it has no name), and logs
 * VM_TAGGED / VM_UNTAGGED for the difference (not for a baseline) and TAG_EMPTY once while the
 * listing is empty. 0 or -ENOMEM (t unchanged then). */
int tagged_set_update(tagged_set *t, const nw_strv *listing, const nw_inventory *inv, const nw_config *cfg,
                      bool baseline);
