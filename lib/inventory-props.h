/* Property setters shared by the gather (propSet) and the watch (changeSet). Internal to inventory. */
#pragma once

#include "facts.h"
#include "soap.h"

/* Sets one property on an object; val NULL means the property is absent (unset). 0 or -ENOMEM. */
typedef int (*props_setter)(void *object, const char *name, const xmlNode *val);

/* Feeds every <propSet> or <changeSet> child of container to set. */
int props_apply(const xmlNode *container, void *object, props_setter set);

int vm_set_prop(void *object, const char *name, const xmlNode *val);
int dvpg_set_prop(void *object, const char *name, const xmlNode *val);
int switch_set_prop(void *object, const char *name, const xmlNode *val);
int network_set_prop(void *object, const char *name, const xmlNode *val);
