/* json-c with the project's cleanup style. */
#pragma once

#include <json-c/json.h>

#include "util.h"

static inline void json_object_putp(json_object **o) {
        if (*o)
                json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_object_putp)
