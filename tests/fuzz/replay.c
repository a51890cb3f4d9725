/* main() for the harnesses outside libFuzzer: runs every file given (or every file in each directory
 * given, in name order) through LLVMFuzzerTestOneInput once, so the plain and ASan builds replay the
 * seed corpus and the regression reproducers as an ordinary test. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "util.h"

/* Weak: only the harnesses that need set-up define it. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static int run_file(const char *path) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ uint8_t *data = NULL;
        struct stat st;
        size_t got = 0;

        if (fd < 0 || fstat(fd, &st) < 0) {
                fprintf(stderr, "%s: %m\n", path);
                return -errno;
        }
        /* Exactly the file's size, so that a read past the end is one past the allocation (ASan). */
        data = malloc(st.st_size > 0 ? (size_t) st.st_size : 1);
        if (!data)
                return -ENOMEM;
        while (got < (size_t) st.st_size) {
                ssize_t n = read(fd, data + got, (size_t) st.st_size - got);

                if (n <= 0) {
                        fprintf(stderr, "%s: short read\n", path);
                        return -EIO;
                }
                got += (size_t) n;
        }
        fprintf(stderr, "replay %s (%zu bytes)\n", path, got);
        LLVMFuzzerTestOneInput(data, got);
        return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b) {
        return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv) {
        unsigned runs = 0;

        if (LLVMFuzzerInitialize)
                LLVMFuzzerInitialize(&argc, &argv);
        for (int i = 1; i < argc; i++) {
                struct dirent **names;
                struct stat st;
                int n;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "%s: %m\n", argv[i]);
                        return 1;
                }
                if (!S_ISDIR(st.st_mode)) {
                        if (run_file(argv[i]) < 0)
                                return 1;
                        runs++;
                        continue;
                }
                n = scandir(argv[i], &names, NULL, by_name);
                if (n < 0) {
                        fprintf(stderr, "%s: %m\n", argv[i]);
                        return 1;
                }
                for (int j = 0; j < n; j++) {
                        _cleanup_free_ char *path = NULL;
                        int r = 0;

                        if (names[j]->d_name[0] != '.') {
                                if (asprintf(&path, "%s/%s", argv[i], names[j]->d_name) < 0)
                                        r = -ENOMEM;
                                else if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                                        r = run_file(path);
                                        runs++;
                                }
                        }
                        free(names[j]);
                        if (r < 0) {
                                for (j++; j < n; j++)
                                        free(names[j]);
                                free(names);
                                return 1;
                        }
                }
                free(names);
        }
        /* An empty corpus would make this test pass without testing anything. */
        if (runs == 0) {
                fprintf(stderr, "no inputs replayed\n");
                return 1;
        }
        printf("%u inputs replayed\n", runs);
        return 0;
}
