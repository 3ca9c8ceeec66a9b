/*
 * testutil.h — helpers the data-driven unit tests share: reading a file
 * whole, looking members up in a yajl tree, deep JSON comparison, and a
 * seeded pseudo-random sequence with the input builder the random tests
 * use.
 * Header-only (static inline): each test program includes what it uses.
 */
#ifndef KCRAWL_TESTUTIL_H
#define KCRAWL_TESTUTIL_H

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

static inline int read_all(const char *path, char **data, size_t *len)
{
        FILE *f = fopen(path, "rb");
        char *buf = NULL;
        size_t cap = 0, n = 0;

        *data = NULL;
        *len = 0;
        if (f == NULL)
                return -1;
        for (;;) {
                size_t r;

                if (n + 4096 + 1 > cap) {
                        char *nb;

                        cap = cap ? cap * 2 : 8192;
                        nb = realloc(buf, cap);
                        if (nb == NULL) {
                                free(buf);
                                fclose(f);
                                return -1;
                        }
                        buf = nb;
                }
                r = fread(buf + n, 1, cap - n - 1, f);
                n += r;
                if (r == 0)
                        break;
        }
        fclose(f);
        buf[n] = '\0';
        *data = buf;
        *len = n;
        return 0;
}

static inline const char *tree_str(yajl_val obj, const char *key)
{
        const char *path[] = { key, NULL };
        yajl_val v = yajl_tree_get(obj, path, yajl_t_any);

        return YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
}

static inline yajl_val tree_get(yajl_val obj, const char *key)
{
        const char *path[] = { key, NULL };

        return yajl_tree_get(obj, path, yajl_t_any);
}

/* Deep equality; on a difference prints where, and returns 0. */
static inline int json_equal(yajl_val want, yajl_val got, const char *where)
{
        size_t i;

        if (want == NULL || got == NULL) {
                if (want != got)
                        fprintf(stderr, "  %s: one side missing\n", where);
                return want == got;
        }
        if (YAJL_IS_NUMBER(want) && YAJL_IS_NUMBER(got)) {
                if (YAJL_IS_INTEGER(want) && YAJL_IS_INTEGER(got) &&
                    YAJL_GET_INTEGER(want) == YAJL_GET_INTEGER(got))
                        return 1;
                if (YAJL_GET_DOUBLE(want) == YAJL_GET_DOUBLE(got))
                        return 1;
                fprintf(stderr, "  %s: want %s, got %s\n", where,
                        YAJL_GET_NUMBER(want), YAJL_GET_NUMBER(got));
                return 0;
        }
        if (want->type != got->type) {
                fprintf(stderr, "  %s: want type %d, got type %d%s%s\n", where,
                        (int)want->type, (int)got->type,
                        YAJL_IS_STRING(got) ? ": " : "",
                        YAJL_IS_STRING(got) ? YAJL_GET_STRING(got) : "");
                return 0;
        }
        switch (want->type) {
        case yajl_t_string:
                if (strcmp(want->u.string, got->u.string) == 0)
                        return 1;
                fprintf(stderr, "  %s:\n    want \"%s\"\n    got  \"%s\"\n",
                        where, want->u.string, got->u.string);
                return 0;
        case yajl_t_array:
                if (want->u.array.len != got->u.array.len) {
                        fprintf(stderr, "  %s: want %zu items, got %zu\n",
                                where, want->u.array.len, got->u.array.len);
                        return 0;
                }
                for (i = 0; i < want->u.array.len; i++) {
                        char sub[512];

                        snprintf(sub, sizeof(sub), "%s[%zu]", where, i);
                        if (!json_equal(want->u.array.values[i],
                                        got->u.array.values[i], sub))
                                return 0;
                }
                return 1;
        case yajl_t_object:
                if (want->u.object.len != got->u.object.len) {
                        fprintf(stderr, "  %s: want %zu keys, got %zu\n",
                                where, want->u.object.len, got->u.object.len);
                        return 0;
                }
                for (i = 0; i < want->u.object.len; i++) {
                        char sub[512];

                        snprintf(sub, sizeof(sub), "%s.%s", where,
                                 want->u.object.keys[i]);
                        if (!json_equal(want->u.object.values[i],
                                        tree_get(got, want->u.object.keys[i]),
                                        sub))
                                return 0;
                }
                return 1;
        default: /* true, false, null: the types were equal */
                return 1;
        }
}

/* xorshift64 (Marsaglia): the next number of the sequence in *state (a
 * non-zero seed). Seeded, so a failing random case repeats run after run. */
static inline uint64_t testutil_rng(uint64_t *state)
{
        uint64_t x = *state;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *state = x;
        return x;
}

/* Fills buf (cap bytes, not NUL-terminated) with pieces[] picked by
 * testutil_rng(state) until it holds at least `want` bytes or the next
 * piece would not fit; returns the length. */
static inline size_t testutil_pieces(char *buf, size_t cap, size_t want,
                                     const char *const *pieces,
                                     size_t n_pieces, uint64_t *state)
{
        size_t len = 0;

        while (len < want) {
                const char *p = pieces[testutil_rng(state) % n_pieces];
                size_t n = strlen(p);

                if (n > cap - len)
                        break;
                memcpy(buf + len, p, n);
                len += n;
        }
        return len;
}

static inline int testutil_cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs run_case(dir, name) on every case of a data folder (each NAME.json
 * but those ending in `skip`, a suffix such as ".rules.json" naming a
 * case's other files, or NULL), in name order, printing "ok"/"FAIL" with
 * `label` per case. Returns how
 * many cases there were (0 when the folder cannot be read, with a message)
 * and sets *failed to how many failed. */
static inline size_t testutil_run_cases(
        const char *dir, const char *skip, const char *label,
        int (*run_case)(const char *dir, const char *name), size_t *failed)
{
        char **names = NULL;
        size_t n = 0, cap = 0, i;
        struct dirent *de;
        DIR *d = opendir(dir);

        *failed = 0;
        if (d == NULL) {
                fprintf(stderr, "%s: %s (run from the repository root)\n", dir,
                        strerror(errno));
                return 0;
        }
        for (de = readdir(d); de != NULL; de = readdir(d)) {
                size_t len = strlen(de->d_name);
                char **nn;

                if (len <= 5 || strcmp(de->d_name + len - 5, ".json") != 0 ||
                    (skip != NULL && len > strlen(skip) &&
                     strcmp(de->d_name + len - strlen(skip), skip) == 0))
                        continue;
                if (n == cap) {
                        cap = cap ? cap * 2 : 16;
                        nn = realloc(names, cap * sizeof(*names));
                        if (nn == NULL)
                                break;
                        names = nn;
                }
                names[n] = strndup(de->d_name, len - 5);
                if (names[n] == NULL)
                        break;
                n++;
        }
        closedir(d);
        qsort(names, n, sizeof(*names), testutil_cmp_names);
        for (i = 0; i < n; i++) {
                int ok = run_case(dir, names[i]);

                fprintf(stderr, "%s %s case %s\n", ok ? "ok  " : "FAIL", label,
                        names[i]);
                *failed += !ok;
                free(names[i]);
        }
        free(names);
        return n;
}

#endif /* KCRAWL_TESTUTIL_H */
