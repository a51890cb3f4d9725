/* Tests for lib/metrics.c: the exact text for a set of figures, the drift counted from a drift set,
 * label escaping, and the file written atomically (replaced, never half there, 0644, nothing left
 * behind, nothing written outside its directory). */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "metrics.h"
#include "tap.h"

#define TMPDIR_TEMPLATE "/tmp/nw-test-metrics-XXXXXX"
#include "tmpdir.h"

static const char want_text[] =
        "# HELP nestwarden_up 1 while the last exchange with vCenter went through, so the figures here are current. "
        "0 before the first pass, while vCenter is lost (nestwarden_vcenter_lost) and while it refuses what the "
        "configuration asks (an unknown tag, a missing privilege).\n"
        "# TYPE nestwarden_up gauge\n"
        "nestwarden_up{vcenter=\"https://vc/sdk\"} 1\n"
        "# HELP nestwarden_vcenter_lost 1 while vCenter is unreachable (from the journal's VCENTER_LOST to "
        "VCENTER_REGAINED), else 0.\n"
        "# TYPE nestwarden_vcenter_lost gauge\n"
        "nestwarden_vcenter_lost{vcenter=\"https://vc/sdk\"} 0\n"
        "# HELP nestwarden_vcenter_losses_total Times vCenter was lost (VCENTER_LOST entries) since nestwarden "
        "started.\n"
        "# TYPE nestwarden_vcenter_losses_total counter\n"
        "nestwarden_vcenter_losses_total{vcenter=\"https://vc/sdk\"} 2\n"
        "# HELP nestwarden_vcenter_requests_total HTTP requests sent to vCenter (SOAP and REST, failed ones too) "
        "since nestwarden started.\n"
        "# TYPE nestwarden_vcenter_requests_total counter\n"
        "nestwarden_vcenter_requests_total{vcenter=\"https://vc/sdk\"} 1234\n"
        "# HELP nestwarden_last_pass_timestamp_seconds Unix time the last pass over the facts completed; 0 before "
        "the first.\n"
        "# TYPE nestwarden_last_pass_timestamp_seconds gauge\n"
        "nestwarden_last_pass_timestamp_seconds{vcenter=\"https://vc/sdk\"} 1764590400.250\n"
        "# HELP nestwarden_pass_duration_seconds Seconds the last completed pass took, its gather included (a full "
        "resync's reads, a port read or a change-feed reply); 0 before the first.\n"
        "# TYPE nestwarden_pass_duration_seconds gauge\n"
        "nestwarden_pass_duration_seconds{vcenter=\"https://vc/sdk\"} 0.042500\n"
        "# HELP nestwarden_objects_watched Objects judged at the last pass, by kind (a template is a vm; objects "
        "that could not be read are in nestwarden_unreadable).\n"
        "# TYPE nestwarden_objects_watched gauge\n"
        "nestwarden_objects_watched{vcenter=\"https://vc/sdk\",kind=\"vm\"} 3\n"
        "nestwarden_objects_watched{vcenter=\"https://vc/sdk\",kind=\"dvportgroup\"} 2\n"
        "nestwarden_objects_watched{vcenter=\"https://vc/sdk\",kind=\"portgroup\"} 1\n"
        "nestwarden_objects_watched{vcenter=\"https://vc/sdk\",kind=\"dvport\"} 0\n"
        "# HELP nestwarden_drift Checks failing at the last pass, one per object and check, by object kind and "
        "check (an object that could not be read since keeps its last verdict).\n"
        "# TYPE nestwarden_drift gauge\n"
        "nestwarden_drift{vcenter=\"https://vc/sdk\",kind=\"vm\",check=\"nested_hv\"} 2\n"
        "nestwarden_drift{vcenter=\"https://vc/sdk\",kind=\"vm\",check=\"nested_hv_supported\"} 0\n"
        "nestwarden_drift{vcenter=\"https://vc/sdk\",kind=\"dvportgroup\",check=\"mac_learning\"} 0\n"
        "nestwarden_drift{vcenter=\"https://vc/sdk\",kind=\"dvportgroup\",check=\"promiscuous\"} 1\n"
        "nestwarden_drift{vcenter=\"https://vc/sdk\",kind=\"dvportgroup\",check=\"forged_transmits\"} 0\n"
        "nestwarden_drift{vcenter=\"https://vc/sdk\",kind=\"dvportgroup\",check=\"mac_changes\"} 0\n"
        "nestwarden_drift{vcenter=\"https://vc/sdk\",kind=\"dvportgroup\",check=\"mac_learning_limit\"} 0\n"
        "nestwarden_drift{vcenter=\"https://vc/sdk\",kind=\"portgroup\",check=\"promiscuous\"} 0\n"
        "nestwarden_drift{vcenter=\"https://vc/sdk\",kind=\"portgroup\",check=\"forged_transmits\"} 0\n"
        "nestwarden_drift{vcenter=\"https://vc/sdk\",kind=\"dvport\",check=\"mac_learning\"} 0\n"
        "nestwarden_drift{vcenter=\"https://vc/sdk\",kind=\"dvport\",check=\"promiscuous\"} 0\n"
        "nestwarden_drift{vcenter=\"https://vc/sdk\",kind=\"dvport\",check=\"forged_transmits\"} 0\n"
        "nestwarden_drift{vcenter=\"https://vc/sdk\",kind=\"dvport\",check=\"mac_changes\"} 0\n"
        "nestwarden_drift{vcenter=\"https://vc/sdk\",kind=\"dvport\",check=\"mac_learning_limit\"} 0\n"
        "# HELP nestwarden_unreadable Objects a verdict needs that could not be read at the last pass, by kind: no "
        "verdict on them (the journal's UNREADABLE entries).\n"
        "# TYPE nestwarden_unreadable gauge\n"
        "nestwarden_unreadable{vcenter=\"https://vc/sdk\",kind=\"vm\"} 0\n"
        "nestwarden_unreadable{vcenter=\"https://vc/sdk\",kind=\"dvportgroup\"} 0\n"
        "nestwarden_unreadable{vcenter=\"https://vc/sdk\",kind=\"portgroup\"} 0\n"
        "nestwarden_unreadable{vcenter=\"https://vc/sdk\",kind=\"network\"} 0\n"
        "nestwarden_unreadable{vcenter=\"https://vc/sdk\",kind=\"switch\"} 0\n"
        "nestwarden_unreadable{vcenter=\"https://vc/sdk\",kind=\"host\"} 1\n"
        "nestwarden_unreadable{vcenter=\"https://vc/sdk\",kind=\"dvport\"} 0\n"
        "# HELP nestwarden_remediations_total Remediation entries in the journal since nestwarden started, by "
        "result: applied (REMEDIATED), failed (REMEDIATION_FAILED) and dry_run (DRY_RUN), one per property; skipped "
        "(REMEDIATION_SKIPPED: a rail held the object back) and fight (FIGHT), one per object.\n"
        "# TYPE nestwarden_remediations_total counter\n"
        "nestwarden_remediations_total{vcenter=\"https://vc/sdk\",result=\"applied\"} 4\n"
        "nestwarden_remediations_total{vcenter=\"https://vc/sdk\",result=\"failed\"} 0\n"
        "nestwarden_remediations_total{vcenter=\"https://vc/sdk\",result=\"dry_run\"} 0\n"
        "nestwarden_remediations_total{vcenter=\"https://vc/sdk\",result=\"skipped\"} 1\n"
        "nestwarden_remediations_total{vcenter=\"https://vc/sdk\",result=\"fight\"} 0\n";

/* The drift set a pass could leave: two VMs off, a portgroup's promiscuous mode, an unreadable host. */
static void make_drift(nw_drift_set *s) {
        static const struct {
                nw_kind kind;
                nw_check check;
                const char *object;
        } t[] = {
                { NW_KIND_DVPG, NW_CHECK_PROMISCUOUS, "dvportgroup-7" },
                { NW_KIND_HOST, NW_CHECK_UNREADABLE, "host-9" },
                { NW_KIND_VM, NW_CHECK_NESTED_HV, "vm-1" },
                { NW_KIND_VM, NW_CHECK_NESTED_HV, "vm-2" },
        };

        s->v = calloc(ELEMENTSOF(t), sizeof(*s->v));
        if (!s->v)
                abort();
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                s->v[i] = (nw_drift) { .kind = t[i].kind, .check = t[i].check, .object = strdup(t[i].object),
                                       .name = strdup(t[i].object), .expected = strdup("true"),
                                       .actual = strdup("false"), .hint = strdup("") };
                s->n++;
        }
}

static void test_render(void) {
        _cleanup_drift_set_ nw_drift_set drift = {};
        _cleanup_buf_ nw_buf b = {};
        metrics_facts m = {
                .vcenter = "https://vc/sdk",
                .up = true,
                .vcenter_losses = 2,
                .vcenter_requests = 1234,
                .last_pass = 1764590400.25,
                .pass_duration = 0.0425,
                .watched = { [NW_KIND_VM] = 3, [NW_KIND_DVPG] = 2, [NW_KIND_PG] = 1 },
                .remediations = { [METRICS_APPLIED] = 4, [METRICS_SKIPPED] = 1 },
        };

        /* Counts left from an earlier pass must not add up. */
        m.drift[NW_KIND_PG][NW_CHECK_FORGED_TRANSMITS] = 5;
        make_drift(&drift);
        metrics_count_drift(&m, &drift);
        CHECK_INTEQ(m.drift[NW_KIND_VM][NW_CHECK_NESTED_HV], 2);
        CHECK_INTEQ(m.drift[NW_KIND_DVPG][NW_CHECK_PROMISCUOUS], 1);
        CHECK_INTEQ(m.drift[NW_KIND_HOST][NW_CHECK_UNREADABLE], 1);
        CHECK_INTEQ(m.drift[NW_KIND_PG][NW_CHECK_FORGED_TRANSMITS], 0);

        CHECK_INTEQ(metrics_render(&m, &b), 0);
        CHECK_STREQ(b.data, want_text);

        /* Appends: the caller's text before it stays. */
        nw_buf_done(&b);
        nw_buf_puts(&b, "# before\n");
        CHECK_INTEQ(metrics_render(&m, &b), 0);
        CHECK(b.data && strncmp(b.data, "# before\n# HELP nestwarden_up ", 30) == 0);
        CHECK(b.data && strcmp(b.data + strlen("# before\n"), want_text) == 0);
}

/* Before the first pass, nothing drifts and nothing was judged: every series is there, at 0. */
static void test_render_empty(void) {
        _cleanup_buf_ nw_buf b = {};
        metrics_facts m = { .vcenter = "https://vc/sdk", .vcenter_lost = true };
        size_t samples = 0;

        metrics_count_drift(&m, NULL);
        CHECK_INTEQ(metrics_render(&m, &b), 0);
        CHECK(b.data && strstr(b.data, "\nnestwarden_up{vcenter=\"https://vc/sdk\"} 0\n"));
        CHECK(b.data && strstr(b.data, "\nnestwarden_vcenter_lost{vcenter=\"https://vc/sdk\"} 1\n"));
        CHECK(b.data && strstr(b.data, "\nnestwarden_last_pass_timestamp_seconds{vcenter=\"https://vc/sdk\"} 0.000\n"));
        CHECK(b.data && strstr(b.data, "\nnestwarden_pass_duration_seconds{vcenter=\"https://vc/sdk\"} 0.000000\n"));
        for (const char *p = b.data; p && *p; p = strchr(p, '\n') + 1) {
                if (*p != '#') {
                        samples++;
                        CHECK(strncmp(strchr(p, ' '), " 0", 2) == 0 || strncmp(p, "nestwarden_vcenter_lost", 23) == 0);
                }
        }
        /* 4 vCenter, 2 pass, 4 watched kinds, 14 (kind, check) pairs, 7 unreadable kinds, 5 results. */
        CHECK_INTEQ(samples, 4 + 2 + 4 + 14 + 7 + 5);
}

/* Backslash, double quote and line feed in a label value are escaped; nothing else is. No vcenter:
 * no vcenter label, and a series without labels has no braces. */
static void test_escaping(void) {
        _cleanup_buf_ nw_buf b = {};
        metrics_facts m = { .vcenter = "https://vc/a\\b\"c\nd\te'f" };

        CHECK_INTEQ(metrics_render(&m, &b), 0);
        CHECK(b.data && strstr(b.data, "\nnestwarden_up{vcenter=\"https://vc/a\\\\b\\\"c\\nd\te'f\"} 0\n"));
        CHECK(b.data && strstr(b.data, "\nnestwarden_drift{vcenter=\"https://vc/a\\\\b\\\"c\\nd\te'f\",kind=\"vm\","
                                       "check=\"nested_hv\"} 0\n"));

        nw_buf_done(&b);
        m.vcenter = NULL;
        CHECK_INTEQ(metrics_render(&m, &b), 0);
        CHECK(b.data && strstr(b.data, "\nnestwarden_up 0\n"));
        CHECK(b.data && strstr(b.data, "\nnestwarden_drift{kind=\"vm\",check=\"nested_hv\"} 0\n"));
        CHECK(b.data && !strstr(b.data, "vcenter="));
}

static void test_result_names(void) {
        static const char *const names[] = { "applied", "failed", "dry_run", "skipped", "fight" };

        CHECK_INTEQ(ELEMENTSOF(names), _METRICS_RESULT_MAX);
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                CHECK_STREQ(metrics_result_to_string((metrics_result) i), names[i]);
        CHECK(!metrics_result_to_string(_METRICS_RESULT_MAX));
}

static char *read_all(const char *path) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        _cleanup_buf_ nw_buf b = {};
        char chunk[4096];
        size_t n;

        if (!f)
                return NULL;
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
                nw_buf_append(&b, chunk, n);
        nw_buf_puts(&b, "");
        return b.oom ? NULL : nw_buf_steal(&b);
}

/* The names in dir, sorted, joined by spaces. */
static void list_dir(const char *dir, char *out, size_t size) {
        struct dirent **names = NULL;
        int n = scandir(dir, &names, NULL, alphasort);

        out[0] = '\0';
        for (int i = 0; i < n; i++) {
                if (strcmp(names[i]->d_name, ".") != 0 && strcmp(names[i]->d_name, "..") != 0)
                        snprintf(out + strlen(out), size - strlen(out), "%s%s", out[0] ? " " : "", names[i]->d_name);
                free(names[i]);
        }
        free(names);
}

static void test_write(void) {
        char path[256], listing[1024];
        _cleanup_free_ char *got = NULL;
        struct stat st1, st2;
        nw_err err = {};
        mode_t old_umask;
        FILE *reader;

        snprintf(path, sizeof(path), "%s", tmp_path("nestwarden.prom"));
        /* The unit's UMask=0077: node_exporter, another user, must still read the file. */
        old_umask = umask(0077);
        CHECK_INTEQ(metrics_write_file(path, "a 1\n", 4, &err), 0);
        CHECK(stat(path, &st1) == 0);
        CHECK(S_ISREG(st1.st_mode));
        CHECK_INTEQ(st1.st_mode & 07777, 0644);
        got = read_all(path);
        CHECK_STREQ(got, "a 1\n");

        /* Replaced, not rewritten in place: a reader that opened the old file reads it whole. */
        reader = fopen(path, "re");
        CHECK(reader);
        CHECK_INTEQ(metrics_write_file(path, "b 2\nc 3\n", 8, &err), 0);
        if (reader) {
                char buf[64] = "";

                CHECK(fread(buf, 1, sizeof(buf) - 1, reader) == 4);
                CHECK_STREQ(buf, "a 1\n");
                fclose(reader);
        }
        CHECK(stat(path, &st2) == 0);
        CHECK(st2.st_ino != st1.st_ino);
        CHECK_INTEQ(st2.st_mode & 07777, 0644);
        free(got);
        got = read_all(path);
        CHECK_STREQ(got, "b 2\nc 3\n");

        /* No temporary file stays behind. */
        list_dir(tmpdir, listing, sizeof(listing));
        CHECK_STREQ(listing, "nestwarden.prom");

        /* An empty text is a valid (empty) exposition. */
        CHECK_INTEQ(metrics_write_file(path, "", 0, &err), 0);
        free(got);
        got = read_all(path);
        CHECK_STREQ(got, "");
        umask(old_umask);

        CHECK_INTEQ(metrics_remove_file(path, &err), 0);
        CHECK(access(path, F_OK) < 0 && errno == ENOENT);
        CHECK_INTEQ(metrics_remove_file(path, &err), 0);
}

static void test_write_failures(void) {
        char path[256], want[512], listing[1024], first[sizeof(((nw_err *) NULL)->msg)];
        nw_err err = {};

        /* No such directory: nothing is created anywhere, and the same failure reads the same each time
         * (the daemon says it once). */
        snprintf(path, sizeof(path), "%s", tmp_path("missing/nestwarden.prom"));
        CHECK_INTEQ(metrics_write_file(path, "a 1\n", 4, &err), -ENOENT);
        snprintf(want, sizeof(want), "%s: cannot create a temporary file beside it: No such file or directory", path);
        CHECK_STREQ(err.msg, want);
        snprintf(first, sizeof(first), "%s", err.msg);
        err = (nw_err) {};
        CHECK_INTEQ(metrics_write_file(path, "a 1\n", 4, &err), -ENOENT);
        CHECK_STREQ(err.msg, first);

        /* A directory where the file should be: the rename fails and the temporary file goes. */
        snprintf(path, sizeof(path), "%s", tmp_path("dir.prom"));
        CHECK(mkdir(path, 0755) == 0);
        err = (nw_err) {};
        CHECK_INTEQ(metrics_write_file(path, "a 1\n", 4, &err), -EISDIR);
        snprintf(want, sizeof(want), "%s: cannot rename the temporary file to it: Is a directory", path);
        CHECK_STREQ(err.msg, want);
        list_dir(tmpdir, listing, sizeof(listing));
        CHECK_STREQ(listing, "dir.prom");
        CHECK(rmdir(path) == 0);

        /* Not a path to a file. */
        err = (nw_err) {};
        CHECK_INTEQ(metrics_write_file("nestwarden.prom", "", 0, &err), -EINVAL);
        CHECK_STREQ(err.msg, "nestwarden.prom: not an absolute path to a file");
        CHECK_INTEQ(metrics_write_file("/run/nestwarden/", "", 0, &err), -EINVAL);

        /* A file that cannot be removed (its directory is gone under it, here: not a directory). */
        write_file("plain", "x", 1, 0644);
        snprintf(path, sizeof(path), "%s", tmp_path("plain/nestwarden.prom"));
        err = (nw_err) {};
        CHECK_INTEQ(metrics_remove_file(path, &err), -ENOTDIR);
        snprintf(want, sizeof(want), "%s: cannot remove: Not a directory", path);
        CHECK_STREQ(err.msg, want);
        CHECK(unlink(tmp_path("plain")) == 0);
}

/* A symlink at the path is replaced by the file, never followed: nothing is written outside the
 * path's directory. */
static void test_write_symlink(void) {
        char inner[256], outside[256], target[300], link[300], listing[1024];
        _cleanup_free_ char *got = NULL;
        nw_err err = {};
        struct stat st;

        snprintf(inner, sizeof(inner), "%s", tmp_path("in"));
        snprintf(outside, sizeof(outside), "%s", tmp_path("out"));
        CHECK(mkdir(inner, 0755) == 0 && mkdir(outside, 0755) == 0);
        snprintf(target, sizeof(target), "%s/target.prom", outside);
        snprintf(link, sizeof(link), "%s/nestwarden.prom", inner);
        write_file("out/target.prom", "old 1\n", 6, 0644);
        CHECK(symlink(target, link) == 0);

        CHECK_INTEQ(metrics_write_file(link, "new 2\n", 6, &err), 0);
        CHECK(lstat(link, &st) == 0 && S_ISREG(st.st_mode));
        got = read_all(target);
        CHECK_STREQ(got, "old 1\n");
        list_dir(outside, listing, sizeof(listing));
        CHECK_STREQ(listing, "target.prom");
        list_dir(inner, listing, sizeof(listing));
        CHECK_STREQ(listing, "nestwarden.prom");

        (void) unlink(link);
        (void) unlink(target);
        (void) rmdir(inner);
        (void) rmdir(outside);
}

int main(void) {
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return 1;
        }

        test_render();
        test_render_empty();
        test_escaping();
        test_result_names();
        test_write();
        test_write_failures();
        test_write_symlink();

        rm_tmpdir();
        return tap_exit("metrics");
}
