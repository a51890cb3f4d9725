/* The vCenter password: read from password_file or the systemd credential, kept out of logs, wiped. */
#pragma once

#include "config.h"

#define NW_CREDENTIAL_NAME "vcenter-password"

/* Reads the password named by cfg (password_file, else $CREDENTIALS_DIRECTORY/vcenter-password).
 * One trailing "\n" or "\r\n" is stripped; a file with more than one line, a blank line after the
 * password or a bare CR is refused (-EBADMSG). The result must be released with secret_free(). */
int secret_read(const nw_config *cfg, char **ret, nw_err *err);
void secret_free(char *s);
static inline void secret_freep(char **s) {
        secret_free(*s);
}
#define _cleanup_secret_ _cleanup_(secret_freep)
