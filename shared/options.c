/*
 * options.c — the option table machinery (see options.h).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

#define OPT_HELP 1000
#define OPT_VERSION 1001
#define OPT_PRINT_CONFIG 1002
#define OPT_HELP_MD 1003

#ifndef KCRAWL_VERSION
#define KCRAWL_VERSION "0.0.0"
#endif

static const char *src_names[] = { "default", "env", "flag" };

int strlist_add(strlist_t *l, const char *s)
{
        char **v;
        char *copy = strdup(s);

        if (!copy)
                return -1;
        v = realloc(l->v, (l->n + 1) * sizeof(*v));
        if (!v) {
                free(copy);
                return -1;
        }
        v[l->n++] = copy;
        l->v = v;
        return 0;
}

void strlist_free(strlist_t *l)
{
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

static void *field(const opts_t *o, const opt_def_t *d)
{
        return (char *)o->conf + d->offset;
}

/* Parses a size with an optional k/M/G (binary) suffix. */
static int parse_size(const char *s, long long *out)
{
        char *end;
        long long v, mult = 1;

        errno = 0;
        v = strtoll(s, &end, 10);
        if (end == s || errno)
                return -1;
        if (*end) {
                switch (tolower((unsigned char)*end)) {
                case 'k':
                        mult = 1024LL;
                        break;
                case 'm':
                        mult = 1024LL * 1024;
                        break;
                case 'g':
                        mult = 1024LL * 1024 * 1024;
                        break;
                default:
                        return -1;
                }
                end++;
                if (*end == 'i' || *end == 'I')
                        end++;
                if (*end == 'b' || *end == 'B')
                        end++;
                if (*end)
                        return -1;
        }
        if (v > LLONG_MAX / mult || v < LLONG_MIN / mult)
                return -1;
        *out = v * mult;
        return 0;
}

static int parse_bool(const char *s, bool *out)
{
        if (!strcasecmp(s, "1") || !strcasecmp(s, "true") ||
            !strcasecmp(s, "yes") || !strcasecmp(s, "on")) {
                *out = true;
                return 0;
        }
        if (!strcasecmp(s, "0") || !strcasecmp(s, "false") ||
            !strcasecmp(s, "no") || !strcasecmp(s, "off")) {
                *out = false;
                return 0;
        }
        return -1;
}

/* The extra environment variable, if any (an OPT_ENUM's slot holds its
 * names). */
static const char *alt_env_of(const opt_def_t *d)
{
        return d->type == OPT_ENUM ? NULL : (const char *)d->extra;
}

/* An OPT_ENUM's names, NULL-ended. */
static const char *const *choices_of(const opt_def_t *d)
{
        static const char *const none[] = { NULL };

        if (d->type != OPT_ENUM || d->extra == NULL)
                return none;
        return (const char *const *)d->extra;
}

/* "--scope: 'x' is not one of same-host, same-domain, any", cut to fit. */
static void enum_error(const opt_def_t *d, const char *val, const char *from,
                       char *errstr, size_t errstr_size)
{
        int n = snprintf(errstr, errstr_size, "--%s%s: '%s' is not one of ",
                         d->name, from, val);

        for (int i = 0; choices_of(d)[i]; i++) {
                if (n < 0 || (size_t)n >= errstr_size)
                        return;
                n += snprintf(errstr + n, errstr_size - (size_t)n, "%s%s",
                              i ? ", " : "", choices_of(d)[i]);
        }
}

/* Sets option d from text; `from` names the source in error messages. */
static int set_value(opts_t *o, const opt_def_t *d, const char *val,
                     const char *from, char *errstr, size_t errstr_size)
{
        void *p = field(o, d);

        switch (d->type) {
        case OPT_STR: {
                char **sp = p;
                char *copy = strdup(val);

                if (!copy)
                        goto out;
                free(*sp);
                *sp = copy;
                return 0;
        }
        case OPT_INT: {
                char *end;
                long v;

                errno = 0;
                v = strtol(val, &end, 10);
                if (end == val || *end || errno) {
                        snprintf(errstr, errstr_size,
                                 "--%s%s: '%s' is not an integer", d->name,
                                 from, val);
                        return -1;
                }
                if (v < d->min || v > d->max) {
                        snprintf(errstr, errstr_size,
                                 "--%s%s: %ld is out of range [%.0f, %.0f]",
                                 d->name, from, v, d->min, d->max);
                        return -1;
                }
                *(long *)p = v;
                return 0;
        }
        case OPT_SIZE: {
                long long v;

                if (parse_size(val, &v)) {
                        snprintf(errstr, errstr_size,
                                 "--%s%s: '%s' is not a size (bytes, or "
                                 "with a k/M/G suffix)",
                                 d->name, from, val);
                        return -1;
                }
                if (v < d->min || v > d->max) {
                        snprintf(errstr, errstr_size,
                                 "--%s%s: %lld is out of range [%.0f, %.0f]",
                                 d->name, from, v, d->min, d->max);
                        return -1;
                }
                *(long long *)p = v;
                return 0;
        }
        case OPT_BOOL:
                if (parse_bool(val, (bool *)p)) {
                        snprintf(errstr, errstr_size,
                                 "--%s%s: '%s' is not a boolean (true/false)",
                                 d->name, from, val);
                        return -1;
                }
                return 0;
        case OPT_LIST:
                if (strlist_add(p, val))
                        goto out;
                return 0;
        case OPT_ENUM:
                for (int i = 0; choices_of(d)[i]; i++) {
                        if (strcmp(val, choices_of(d)[i]) == 0) {
                                *(int *)p = i;
                                return 0;
                        }
                }
                enum_error(d, val, from, errstr, errstr_size);
                return -1;
        case OPT_DOUBLE: {
                char *end;
                double v;

                errno = 0;
                v = strtod(val, &end);
                if (end == val || *end || errno || !isfinite(v)) {
                        snprintf(errstr, errstr_size,
                                 "--%s%s: '%s' is not a decimal number",
                                 d->name, from, val);
                        return -1;
                }
                if (!(v >= d->min && v <= d->max)) {
                        snprintf(errstr, errstr_size,
                                 "--%s%s: %g is out of range [%g, %g]",
                                 d->name, from, v, d->min, d->max);
                        return -1;
                }
                *(double *)p = v;
                return 0;
        }
        }
        snprintf(errstr, errstr_size, "--%s: unknown option type", d->name);
        return -1;
out:
        snprintf(errstr, errstr_size, "--%s: out of memory", d->name);
        return -1;
}

/* FETCHER_MAX_INFLIGHT from "fetcher" and "max-inflight". */
static void env_name(const char *prog, const char *name, char *buf,
                     size_t size)
{
        size_t n = 0;

        for (const char *s = prog; *s && n + 1 < size; s++)
                buf[n++] = (char)toupper((unsigned char)*s);
        if (n + 1 < size)
                buf[n++] = '_';
        for (const char *s = name; *s && n + 1 < size; s++)
                buf[n++] = *s == '-' ? '_' : (char)toupper((unsigned char)*s);
        buf[n] = '\0';
}

/* Applies one environment value; a list splits on commas. */
static int set_from_env(opts_t *o, const opt_def_t *d, const char *var,
                        const char *val, char *errstr, size_t errstr_size)
{
        char from[160];

        snprintf(from, sizeof(from), " (from %s)", var);
        if (d->type != OPT_LIST)
                return set_value(o, d, val, from, errstr, errstr_size);

        char *copy = strdup(val), *save = NULL, *tok;
        int rc = 0;

        if (!copy) {
                snprintf(errstr, errstr_size, "%s: out of memory", var);
                return -1;
        }
        strlist_free(field(o, d));
        for (tok = strtok_r(copy, ",", &save); tok && !rc;
             tok = strtok_r(NULL, ",", &save))
                rc = set_value(o, d, tok, from, errstr, errstr_size);
        free(copy);
        return rc;
}

static bool kafka_key_is_secret(const char *kv)
{
        return strstr(kv, "password") || strstr(kv, "secret") ||
               strstr(kv, "sasl.oauthbearer.config") ||
               strstr(kv, "ssl.key.pem");
}

/* Wipes a secret flag's value where it came from, the process's own
 * arguments (the option keeps its copy): /proc/PID/cmdline, and so `ps`,
 * shows every local user the arguments. Best effort: they are readable
 * until this runs. The environment (FETCHER_PROXY...) is the owner's
 * only. */
static void wipe_arg(char *val)
{
        if (val)
                memset(val, 0, strlen(val));
}

int opts_parse(opts_t *o, const char *prog, const char *summary,
               const opt_def_t *defs, size_t ndefs, void *conf, int argc,
               char **argv, char *errstr, size_t errstr_size)
{
        /* Every option, the four built in (--help, --version,
         * --print-config, --help-markdown) and the terminator. */
        struct option longopts[OPTS_MAX + 5];
        bool flag_seen[OPTS_MAX] = { false };
        int action = OPTS_RUN;
        size_t i;

        memset(o, 0, sizeof(*o));
        o->prog = prog;
        o->summary = summary;
        o->defs = defs;
        o->ndefs = ndefs;
        o->conf = conf;

        if (ndefs > OPTS_MAX) {
                snprintf(errstr, errstr_size, "too many options");
                return OPTS_ERROR;
        }

        /* Defaults. */
        for (i = 0; i < ndefs; i++) {
                o->src[i] = OPT_SRC_DEFAULT;
                if (defs[i].def &&
                    set_value(o, &defs[i], defs[i].def, " (default)", errstr,
                              errstr_size))
                        return OPTS_ERROR;
        }

        /* Environment: the option's own variable beats alt_env. */
        for (i = 0; i < ndefs; i++) {
                char var[128];
                const char *val;

                env_name(prog, defs[i].name, var, sizeof(var));
                val = getenv(var);
                if (!val && alt_env_of(&defs[i])) {
                        val = getenv(alt_env_of(&defs[i]));
                        if (val)
                                snprintf(var, sizeof(var), "%s",
                                         alt_env_of(&defs[i]));
                }
                if (!val)
                        continue;
                if (defs[i].type == OPT_LIST)
                        strlist_free(field(o, &defs[i]));
                if (set_from_env(o, &defs[i], var, val, errstr, errstr_size))
                        return OPTS_ERROR;
                o->src[i] = OPT_SRC_ENV;
        }

        /* Flags. */
        for (i = 0; i < ndefs; i++) {
                longopts[i].name = defs[i].name;
                longopts[i].has_arg = defs[i].type == OPT_BOOL
                                              ? optional_argument
                                              : required_argument;
                longopts[i].flag = NULL;
                longopts[i].val = (int)(2000 + i);
        }
        longopts[i++] = (struct option){ "help", no_argument, NULL, OPT_HELP };
        longopts[i++] =
                (struct option){ "version", no_argument, NULL, OPT_VERSION };
        longopts[i++] = (struct option){ "print-config", no_argument, NULL,
                                         OPT_PRINT_CONFIG };
        longopts[i++] = (struct option){ "help-markdown", no_argument, NULL,
                                         OPT_HELP_MD };
        longopts[i] = (struct option){ NULL, 0, NULL, 0 };

        opterr = 0;
        optind = 1;
        for (;;) {
                int longidx = -1;
                int c = getopt_long(argc, argv, ":hVX:", longopts, &longidx);

                if (c == -1)
                        break;
                switch (c) {
                case 'h':
                case OPT_HELP:
                        action = OPT_HELP;
                        break;
                case 'V':
                case OPT_VERSION:
                        if (action == OPTS_RUN)
                                action = OPT_VERSION;
                        break;
                case OPT_PRINT_CONFIG:
                        if (action == OPTS_RUN)
                                action = OPT_PRINT_CONFIG;
                        break;
                case OPT_HELP_MD:
                        action = OPT_HELP_MD;
                        break;
                case 'X':
                        if (!strchr(optarg, '=') || optarg[0] == '=') {
                                snprintf(errstr, errstr_size,
                                         "-X: expected key=value, got '%s'",
                                         optarg);
                                return OPTS_ERROR;
                        }
                        if (strlist_add(&o->kafka, optarg)) {
                                snprintf(errstr, errstr_size,
                                         "-X: out of memory");
                                return OPTS_ERROR;
                        }
                        if (kafka_key_is_secret(optarg))
                                wipe_arg(strchr(optarg, '=') + 1);
                        break;
                case ':':
                        snprintf(errstr, errstr_size,
                                 "%s: a value is required", argv[optind - 1]);
                        return OPTS_ERROR;
                case '?':
                        if (optopt > 0 && optopt < 256)
                                snprintf(errstr, errstr_size,
                                         "unknown option '-%c' (see --help)",
                                         optopt);
                        else if (optopt)
                                snprintf(errstr, errstr_size,
                                         "%s: takes no value (see --help)",
                                         argv[optind - 1]);
                        else
                                snprintf(errstr, errstr_size,
                                         "unknown option '%s' (see --help)",
                                         argv[optind - 1]);
                        return OPTS_ERROR;
                default: {
                        size_t k = (size_t)(c - 2000);
                        const opt_def_t *d = &defs[k];

                        if (k >= ndefs) {
                                snprintf(errstr, errstr_size, "bad option");
                                return OPTS_ERROR;
                        }
                        /* A list given by flags replaces the env/default. */
                        if (d->type == OPT_LIST && !flag_seen[k])
                                strlist_free(field(o, d));
                        flag_seen[k] = true;
                        if (set_value(o, d,
                                      d->type == OPT_BOOL && !optarg ? "true"
                                                                     : optarg,
                                      "", errstr, errstr_size))
                                return OPTS_ERROR;
                        o->src[k] = OPT_SRC_FLAG;
                        if (d->secret)
                                wipe_arg(optarg);
                }
                }
        }
        if (optind < argc) {
                snprintf(errstr, errstr_size,
                         "unexpected argument '%s' (see --help)",
                         argv[optind]);
                return OPTS_ERROR;
        }

        switch (action) {
        case OPT_HELP:
                opts_print_help(o, stdout);
                return OPTS_EXIT;
        case OPT_VERSION:
                printf("%s %s\n", prog, KCRAWL_VERSION);
                return OPTS_EXIT;
        case OPT_PRINT_CONFIG:
                opts_print_config(o, stdout);
                return OPTS_EXIT;
        case OPT_HELP_MD:
                opts_print_markdown(o, stdout);
                return OPTS_EXIT;
        }
        return OPTS_RUN;
}

/* Prints one value; secrets and -X passwords are masked. */
static void print_value(const opts_t *o, const opt_def_t *d, FILE *fp)
{
        void *p = field(o, d);

        switch (d->type) {
        case OPT_STR: {
                const char *s = *(char **)p;

                fputs(!s ? "" : d->secret && *s ? "***" : s, fp);
                break;
        }
        case OPT_INT:
                fprintf(fp, "%ld", *(long *)p);
                break;
        case OPT_SIZE:
                fprintf(fp, "%lld", *(long long *)p);
                break;
        case OPT_BOOL:
                fputs(*(bool *)p ? "true" : "false", fp);
                break;
        case OPT_LIST: {
                const strlist_t *l = p;

                for (size_t i = 0; i < l->n; i++)
                        fprintf(fp, "%s%s", i ? "," : "",
                                d->secret ? "***" : l->v[i]);
                break;
        }
        case OPT_ENUM:
                fputs(choices_of(d)[*(int *)p], fp);
                break;
        case OPT_DOUBLE:
                fprintf(fp, "%g", *(double *)p);
                break;
        }
}

void opts_print_config(const opts_t *o, FILE *fp)
{
        for (size_t i = 0; i < o->ndefs; i++) {
                fprintf(fp, "%s=", o->defs[i].name);
                print_value(o, &o->defs[i], fp);
                fprintf(fp, " (%s)\n", src_names[o->src[i]]);
        }
        for (size_t i = 0; i < o->kafka.n; i++) {
                const char *kv = o->kafka.v[i];
                const char *eq = strchr(kv, '=');

                if (eq && kafka_key_is_secret(kv))
                        fprintf(fp, "X %.*s=*** (flag)\n", (int)(eq - kv), kv);
                else
                        fprintf(fp, "X %s (flag)\n", kv);
        }
}

static const char *type_hint(const opt_def_t *d)
{
        switch (d->type) {
        case OPT_STR:
                return "STR";
        case OPT_INT:
                return "N";
        case OPT_SIZE:
                return "BYTES";
        case OPT_BOOL:
                return "";
        case OPT_LIST:
                return "STR";
        case OPT_ENUM:
                return "NAME";
        case OPT_DOUBLE:
                return "X";
        }
        return "";
}

void opts_print_help(const opts_t *o, FILE *fp)
{
        fprintf(fp,
                "Usage: %s [OPTION]... [-X KEY=VALUE]...\n%s\n\n"
                "Options (each also from the environment variable shown; "
                "flags beat the\nenvironment, which beats the default):\n",
                o->prog, o->summary);
        for (size_t i = 0; i < o->ndefs; i++) {
                const opt_def_t *d = &o->defs[i];
                char flag[96], var[128];

                snprintf(flag, sizeof(flag), "--%s%s%s", d->name,
                         *type_hint(d) ? " " : "", type_hint(d));
                env_name(o->prog, d->name, var, sizeof(var));
                fprintf(fp, "  %-26s %s\n", flag, d->help);
                fprintf(fp, "  %-26s [env %s%s%s", "", var,
                        alt_env_of(d) ? ", " : "",
                        alt_env_of(d) ? alt_env_of(d) : "");
                if (d->def && *d->def)
                        fprintf(fp, "; default %s", d->def);
                if (d->type == OPT_INT || d->type == OPT_SIZE)
                        fprintf(fp, "; %.0f..%.0f", d->min, d->max);
                if (d->type == OPT_DOUBLE)
                        fprintf(fp, "; %g..%g", d->min, d->max);
                if (d->type == OPT_ENUM) {
                        for (int c = 0; choices_of(d)[c]; c++)
                                fprintf(fp, "%s%s", c ? "|" : "; ",
                                        choices_of(d)[c]);
                }
                if (d->type == OPT_LIST)
                        fprintf(fp, "; repeatable");
                fputs("]\n", fp);
        }
        fprintf(fp, "  %-26s %s\n", "-X KEY=VALUE",
                "Any librdkafka property, passed through (repeatable).");
        fprintf(fp, "  %-26s %s\n", "--print-config",
                "Print the effective configuration and exit.");
        fprintf(fp, "  %-26s %s\n", "--version",
                "Print the version and exit.");
        fprintf(fp, "  %-26s %s\n", "--help", "Print this help and exit.");
        fprintf(fp, "\nA bad value is reported on one line and exits with "
                    "code 2.\n");
}

/* Markdown table cell text: '|' escaped, nothing else changed. */
static void md_cell(FILE *fp, const char *s)
{
        for (; s && *s; s++) {
                if (*s == '|')
                        fputc('\\', fp);
                fputc(*s, fp);
        }
}

/* An enum's names for the Range column: `a`, `b`, `c`. */
static void md_choices(FILE *fp, const opt_def_t *d)
{
        for (int c = 0; choices_of(d)[c]; c++)
                fprintf(fp, "%s`%s`", c ? ", " : "", choices_of(d)[c]);
}

void opts_print_markdown(const opts_t *o, FILE *fp)
{
        fprintf(fp, "## %s\n\n", o->prog);
        md_cell(fp, o->summary);
        fprintf(fp, "\n\n| Option | Environment | Default | Range | "
                    "Description |\n|---|---|---|---|---|\n");
        for (size_t i = 0; i < o->ndefs; i++) {
                const opt_def_t *d = &o->defs[i];
                char var[128];

                env_name(o->prog, d->name, var, sizeof(var));
                fprintf(fp, "| `--%s%s%s` | `%s`", d->name,
                        *type_hint(d) ? " " : "", type_hint(d), var);
                if (alt_env_of(d))
                        fprintf(fp, ", `%s`", alt_env_of(d));
                fputs(" | ", fp);
                if (d->def && *d->def) {
                        fputc('`', fp);
                        md_cell(fp, d->def);
                        fputc('`', fp);
                }
                fputs(" | ", fp);
                if (d->type == OPT_INT || d->type == OPT_SIZE)
                        fprintf(fp, "%.0f..%.0f", d->min, d->max);
                else if (d->type == OPT_DOUBLE)
                        fprintf(fp, "%g..%g", d->min, d->max);
                else if (d->type == OPT_ENUM)
                        md_choices(fp, d);
                else if (d->type == OPT_LIST)
                        fputs("repeatable", fp);
                else if (d->type == OPT_BOOL)
                        fputs("true/false", fp);
                fputs(" | ", fp);
                md_cell(fp, d->help);
                fputs(" |\n", fp);
        }
        fprintf(fp, "| `-X KEY=VALUE` | | | repeatable | Any librdkafka "
                    "property, passed through. |\n");
}

void opts_free(opts_t *o)
{
        for (size_t i = 0; i < o->ndefs; i++) {
                void *p = field(o, &o->defs[i]);

                if (o->defs[i].type == OPT_STR) {
                        free(*(char **)p);
                        *(char **)p = NULL;
                } else if (o->defs[i].type == OPT_LIST) {
                        strlist_free(p);
                }
        }
        strlist_free(&o->kafka);
}
