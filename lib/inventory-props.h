/* Property setters shared by the gather (propSet) and the watch (changeSet). Internal to inventory. */
#pragma once

#include "facts.h"
#include "soap.h"

/* Sets one property on an object; val NULL means the property is absent (unset). 0 or -ENOMEM. */
typedef int (*props_setter)(void *object, const char *name, const xmlNode *val);

/* The <val> of the named property in an ObjectContent (propSet) or ObjectUpdate (changeSet);
 * *ret_present says whether the property was there at all. */
const xmlNode *props_val(const xmlNode *oc, const char *name, bool *ret_present);
/* The first missingSet entry of an ObjectContent or ObjectUpdate (a property vCenter could not give:
 * NoPermission, ManagedObjectNotFound, ...): its path and fault type. false when every property came. */
bool props_first_missing(const xmlNode *oc, const char **ret_path, char *fault, size_t size);

/* "true"/"false" (and 1/0) as a tri-state; anything else, or NULL, is NW_UNSET. */
nw_tri props_tri(const char *s);

/* Appends a zeroed element to an array that only ever grows by one (capacity implied by n: 8, then
 * powers of two, so the inventory's structs need no capacity fields). NULL when out of memory. */
void *props_push(void **arr, size_t *n, size_t sz);
#define PUSH(arr, n) ((__typeof__(arr)) props_push((void **) &(arr), &(n), sizeof(*(arr))))

/* Feeds every <propSet> or <changeSet> child of container to set. */
int props_apply(const xmlNode *container, void *object, props_setter set);

int props_set_vm(void *object, const char *name, const xmlNode *val);
int props_set_dvpg(void *object, const char *name, const xmlNode *val);
int props_set_switch(void *object, const char *name, const xmlNode *val);
int props_set_network(void *object, const char *name, const xmlNode *val);

/* Parsers for one ObjectContent each (the gather's first sight of an object, and the unit tests). */
int props_parse_vm(const xmlNode *oc, const char *moref, nw_vm *ret, nw_err *err);
int props_parse_dvpg(const xmlNode *oc, const char *moref, nw_dvpg *ret, nw_err *err);

/* A VM's config.hardware.device → its NICs on DV portgroups (label, portgroup and port key).
 * 0 or -ENOMEM; *ret is a new array of *ret_n. */
int props_parse_nics(const xmlNode *devices, nw_nic **ret, size_t *ret_n);
/* One DistributedVirtualPort from FetchDVPorts: key, portgroupKey, config.configVersion and the
 * effective setting. Fills key, portgroup, config_version, mac, sec only. 0, -EBADMSG without a
 * key, -ENOMEM. */
int props_parse_dvport(const xmlNode *port, nw_dvport *ret);
