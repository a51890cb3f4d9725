/* nestwarden: entry point and subcommand dispatch. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "nestwarden.h"

static void usage(FILE *f) {
        fprintf(f,
                "Usage: nestwarden COMMAND [OPTIONS]\n"
                "Keeps nested Hyper-V hosts on vSphere working: nestedHVEnabled on the tagged VMs,\n"
                "MAC learning or promiscuous + forged transmits on their portgroups.\n\n"
                "Commands:\n"
                "  check      read vCenter once, report drift, exit 0 (compliant), 1 (drift) or 3 (could not check)\n"
                "  run        the service: watch vCenter, report drift transitions to the journal\n"
                "  fix        one remediation pass under the [remediation] rules; exit codes as check\n\n"
                "Options:\n"
                "  -c, --config FILE  configuration file (default %s)\n"
                "      --json         one JSON document instead of the table\n"
                "      --stats        print HTTP requests and wall time to stderr (check)\n"
                "      --dry-run      fix: print what would change, change nothing\n"
                "  -h, --help         this text\n"
                "      --version      version\n",
                NW_CONFIG_DEFAULT_PATH);
}

int main(int argc, char **argv) {
        enum { OPT_JSON = 256, OPT_STATS, OPT_VERSION, OPT_DRY_RUN };
        static const struct option longopts[] = {
                { "config", required_argument, NULL, 'c' },
                { "json", no_argument, NULL, OPT_JSON },
                { "stats", no_argument, NULL, OPT_STATS },
                { "dry-run", no_argument, NULL, OPT_DRY_RUN },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                {},
        };
        nw_opts o = { .config = NW_CONFIG_DEFAULT_PATH };
        const char *cmd;
        int c;

        /* Before the password is read: no core dump, and no ptrace or /proc/PID/mem by other processes
         * of the same unprivileged user. Our copies of the password and libcurl's freed blocks are
         * wiped, but the session token and cookie live as long as the session, and what OpenSSL and
         * json-c free (decrypted replies, the vAPI session reply) is not. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
                fprintf(stderr, "nestwarden: cannot make the process non-dumpable: %m\n");
                return EXIT_UNKNOWN;
        }

        /* GNU getopt permutes: options may stand before or after the command. */
        while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        o.config = optarg;
                        break;
                case OPT_JSON:
                        o.json = true;
                        break;
                case OPT_STATS:
                        o.stats = true;
                        break;
                case OPT_DRY_RUN:
                        o.dry_run = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case OPT_VERSION:
                        printf("nestwarden %s\n", NW_VERSION);
                        return 0;
                default:
                        usage(stderr);
                        return EXIT_UNKNOWN;
                }
        }
        if (optind >= argc) {
                usage(stderr);
                return EXIT_UNKNOWN;
        }
        cmd = argv[optind++];
        if (optind < argc) {
                fprintf(stderr, "nestwarden: unexpected argument '%s'\n", argv[optind]);
                return EXIT_UNKNOWN;
        }

        if (strcmp(cmd, "check") != 0 && strcmp(cmd, "run") != 0 && strcmp(cmd, "fix") != 0) {
                fprintf(stderr, "nestwarden: unknown command '%s' (try --help)\n", cmd);
                return EXIT_UNKNOWN;
        }
        /* An option another command takes is refused, not ignored: `fix --json` that silently
         * prints a table would break the pipeline reading it. */
        if ((o.json || o.stats) && strcmp(cmd, "check") != 0) {
                fprintf(stderr, "nestwarden: %s is an option of check, not of %s\n", o.json ? "--json" : "--stats",
                        cmd);
                return EXIT_UNKNOWN;
        }
        if (o.dry_run && strcmp(cmd, "fix") != 0) {
                fprintf(stderr, "nestwarden: --dry-run is an option of fix, not of %s%s\n", cmd,
                        strcmp(cmd, "run") == 0 ? " (set [remediation] dry_run = yes)" : "");
                return EXIT_UNKNOWN;
        }

        if (strcmp(cmd, "check") == 0)
                return cmd_check(&o);
        if (strcmp(cmd, "run") == 0)
                return cmd_run(&o);
        return cmd_fix(&o);
}
