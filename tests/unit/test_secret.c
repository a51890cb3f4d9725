/* Tests for lib/secret.c: the password file's checks (mode, size, type, one line) and the systemd
 * credential. Runs with tests/unit as working directory. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "secret.h"
#include "tap.h"

#define TMPDIR_TEMPLATE "/tmp/nw-test-secret-XXXXXX"
#include "tmpdir.h"

static nw_config secret_cfg(const char *password_file) {
        return (nw_config) { .vcenter.password_file = (char *) password_file };
}

static void check_secret_ok(const char *file, const char *want) {
        nw_config cfg = secret_cfg(file ? tmp_path(file) : NULL);
        _cleanup_secret_ char *pw = NULL;
        nw_err err = {};
        int r;

        r = secret_read(&cfg, &pw, &err);
        CHECK_INTEQ(r, 0);
        if (r < 0)
                fprintf(stderr, "  %s\n", err.msg);
        else
                CHECK_STREQ(pw, want);
}

_printf_(3, 4)
static void check_secret_fails(const char *file, int code, const char *fmt, ...) {
        char want[512];
        nw_config cfg = secret_cfg(file);
        char *pw = NULL;
        nw_err err = {};
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(want, sizeof(want), fmt, ap);
        va_end(ap);
        CHECK_INTEQ(secret_read(&cfg, &pw, &err), code);
        CHECK(!pw);
        CHECK_STREQ(err.msg, want);
        CHECK(!strstr(err.msg, "hunter2"));
}

/* One line, and only the line ends a password file can have: anything else would be sent as part of
 * the password and come back as InvalidLogin. */
static void test_secret_lines(void) {
        static const struct {
                const char *name, *data;
                size_t len;
                int code;
                const char *why; /* NULL: accepted as "hunter2" */
        } t[] = {
                { "ln-lf", "hunter2\n", 8, 0, NULL },
                { "ln-crlf", "hunter2\r\n", 9, 0, NULL },
                { "ln-none", "hunter2", 7, 0, NULL },
                { "ln-blank", "hunter2\n\n", 9, -EBADMSG,
                  "a blank line follows the password: remove it (one line end at most after the password)" },
                { "ln-blank-crlf", "hunter2\r\n\r\n", 11, -EBADMSG,
                  "a blank line follows the password: remove it (one line end at most after the password)" },
                { "ln-two", "hunter2\nhunter3\n", 16, -EBADMSG,
                  "more than one line: the file must hold only the password, on one line" },
                { "ln-two-noeol", "hunter2\nx", 9, -EBADMSG,
                  "more than one line: the file must hold only the password, on one line" },
                { "ln-cr", "hunter2\r", 8, -EBADMSG,
                  "the password ends in a bare CR (carriage return without a newline): end the line with \\n or "
                  "\\r\\n, or not at all" },
                { "ln-cr-inside", "hunt\rer2\n", 9, -EBADMSG,
                  "the password contains a CR (carriage return): the file must hold only the password, on one line" },
                { "ln-only-ends", "\r\n\n", 3, -ENODATA, "empty" },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                char p[256];

                write_file(t[i].name, t[i].data, t[i].len, 0600);
                snprintf(p, sizeof(p), "%s", tmp_path(t[i].name));
                if (!t[i].why)
                        check_secret_ok(t[i].name, "hunter2");
                else
                        check_secret_fails(p, t[i].code, "password_file %s: %s", p, t[i].why);
        }
        /* The same rules for the systemd credential. */
        CHECK(mkdir(tmp_path("creds2"), 0700) == 0);
        write_file("creds2/vcenter-password", "s3cret\n\n", 8, 0600);
        CHECK(setenv("CREDENTIALS_DIRECTORY", tmp_path("creds2"), 1) == 0);
        {
                nw_config cfg = secret_cfg(NULL);
                char *pw = NULL, want[512];
                nw_err err = {};

                CHECK_INTEQ(secret_read(&cfg, &pw, &err), -EBADMSG);
                snprintf(want, sizeof(want), "credential %s/vcenter-password: a blank line follows the password: "
                         "remove it (one line end at most after the password)", tmp_path("creds2"));
                CHECK_STREQ(err.msg, want);
                CHECK(!strstr(err.msg, "s3cret"));
                CHECK(!pw);
        }
        CHECK(unlink(tmp_path("creds2/vcenter-password")) == 0);
        CHECK(unsetenv("CREDENTIALS_DIRECTORY") == 0);
}


static void test_secret(void) {
        char big[4097], p[256];

#define P(name) (snprintf(p, sizeof(p), "%s", tmp_path(name)), p)

        write_file("pw-lf", "hunter2\n", 8, 0600);
        check_secret_ok("pw-lf", "hunter2");
        write_file("pw-crlf", "hunter2\r\n", 9, 0600);
        check_secret_ok("pw-crlf", "hunter2");
        write_file("pw-bare", "hunter2", 7, 0600);
        check_secret_ok("pw-bare", "hunter2");
        write_file("pw-space", " hunter2 \n", 10, 0600);
        check_secret_ok("pw-space", " hunter2 ");
        write_file("pw-0640", "hunter2\n", 8, 0640);
        check_secret_ok("pw-0640", "hunter2");
        CHECK(symlink("pw-lf", P("pw-link")) == 0); /* configuration management links secrets in */
        check_secret_ok("pw-link", "hunter2");

        memset(big, 'x', sizeof(big));
        write_file("pw-max", big, 4096, 0600);
        {
                nw_config cfg = secret_cfg(tmp_path("pw-max"));
                _cleanup_secret_ char *pw = NULL;

                CHECK_INTEQ(secret_read(&cfg, &pw, NULL), 0);
                CHECK(pw && strlen(pw) == 4096);
        }
        write_file("pw-big", big, 4097, 0600);
        check_secret_fails(P("pw-big"), -EFBIG, "password_file %s: larger than 4096 bytes", p);

        write_file("pw-empty", "", 0, 0600);
        check_secret_fails(P("pw-empty"), -ENODATA, "password_file %s: empty", p);
        write_file("pw-newline", "\n", 1, 0600);
        check_secret_fails(P("pw-newline"), -ENODATA, "password_file %s: empty", p);
        write_file("pw-nul", "hunter2\0x\n", 10, 0600);
        check_secret_fails(P("pw-nul"), -EBADMSG, "password_file %s: contains a NUL byte", p);
        write_file("pw-0644", "hunter2\n", 8, 0644);
        check_secret_fails(P("pw-0644"), -EPERM,
                           "password_file %s: writable by its group or open to others (mode 0644): it holds the "
                           "vCenter password; run chmod 600 %s",
                           p, p);
        write_file("pw-0602", "hunter2\n", 8, 0602);
        check_secret_fails(P("pw-0602"), -EPERM,
                           "password_file %s: writable by its group or open to others (mode 0602): it holds the "
                           "vCenter password; run chmod 600 %s",
                           p, p);
        write_file("pw-0660", "hunter2\n", 8, 0660);
        check_secret_fails(P("pw-0660"), -EPERM,
                           "password_file %s: writable by its group or open to others (mode 0660): it holds the "
                           "vCenter password; run chmod 600 %s",
                           p, p);
        CHECK(mkdir(tmp_path("pw-dir"), 0700) == 0);
        check_secret_fails(P("pw-dir"), -EBADFD, "password_file %s: not a regular file", p);
        CHECK(mkfifo(tmp_path("pw-fifo"), 0600) == 0);
        check_secret_fails(P("pw-fifo"), -EBADFD, "password_file %s: not a regular file", p);
        check_secret_fails(P("pw-missing"), -ENOENT, "password_file %s: cannot open: No such file or directory", p);

        /* The systemd credential: used only when password_file is unset, and without the mode check. */
        CHECK(mkdir(tmp_path("creds"), 0700) == 0);
        write_file("creds/vcenter-password", "s3cret\n", 7, 0644);
        CHECK(setenv("CREDENTIALS_DIRECTORY", tmp_path("creds"), 1) == 0);
        check_secret_ok(NULL, "s3cret");
        check_secret_ok("pw-lf", "hunter2");
        CHECK(setenv("CREDENTIALS_DIRECTORY", tmpdir, 1) == 0);
        {
                nw_config cfg = secret_cfg(NULL);
                char *pw = NULL, want[512];
                nw_err err = {};

                CHECK_INTEQ(secret_read(&cfg, &pw, &err), -ENOENT);
                snprintf(want, sizeof(want), "credential %s/vcenter-password: cannot open: No such file or directory",
                         tmpdir);
                CHECK_STREQ(err.msg, want);
                CHECK(!pw);
        }
        CHECK(unlink(tmp_path("creds/vcenter-password")) == 0);

        CHECK(unsetenv("CREDENTIALS_DIRECTORY") == 0);
        {
                nw_config cfg = secret_cfg(NULL);
                char *pw = NULL;
                nw_err err = {};

                CHECK_INTEQ(secret_read(&cfg, &pw, &err), -NW_ECONFIG);
                CHECK_STREQ(err.msg, "no password: set [vcenter] password_file or run under systemd with "
                                     "LoadCredential=vcenter-password:...");
                CHECK(!pw);
        }

        secret_free(NULL);
        test_secret_lines();
#undef P
}

int main(void) {
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return 1;
        }

        test_secret();

        rm_tmpdir();
        return tap_exit("secret");
}
