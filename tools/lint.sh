#!/usr/bin/env bash
# tools/lint.sh — the house style, checked by tools rather than memory.
#
#   tools/lint.sh            run every check; exit 1 when any fails
#
# 1. Formatting: every C file matches .clang-format (clang-format-14;
#    `tools/lint.sh --fix` rewrites the files in place).
# 2. Banned functions (as curl bans them): sprintf, vsprintf, strcpy,
#    strcat, strncat, strtok, atoi, atol, atoll, atof, gets. Comments and
#    strings are stripped first (by the preprocessor), so a comment may
#    name them.
# 3. No assignment inside an if or while condition (`if ((p = f()))`,
#    `while ((n = read(...)) > 0)`): assign first, then test (curl's
#    rule). And one name for the cleanup label: `out` (a label at the
#    start of a line; `goto out` for cleanup only).
# 4. cppcheck (warning, portability, performance), errors fatal.
# 5. A build with -Wmissing-prototypes -Wstrict-prototypes (-Werror): every
#    exported function is declared in a header, no K&R declarations.
#
# Environment: CLANG_FORMAT (default clang-format-14), CPPCHECK, BUILD
# (the prototype build's directory, default build-lint).
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
CLANG_FORMAT=${CLANG_FORMAT:-clang-format-14}
CPPCHECK=${CPPCHECK:-cppcheck}
BUILD=${BUILD:-build-lint}
BANNED='sprintf|vsprintf|strcpy|strcat|strncat|strtok|atoi|atol|atoll|atof|gets'

mapfile -t files < <(git ls-files -- '*.c' '*.h')
if [[ ${#files[@]} -eq 0 ]]; then
        echo "lint: no C files found (not a git checkout?)" >&2
        exit 1
fi
for tool in "$CLANG_FORMAT" "$CPPCHECK"; do
        command -v "$tool" >/dev/null ||
                { echo "lint: $tool not found (make deps installs it)" >&2; exit 1; }
done

if [[ "${1:-}" == --fix ]]; then
        "$CLANG_FORMAT" -i "${files[@]}"
        exit 0
fi

fail=0
step() { printf 'lint: %-22s %s\n' "$1" "$2"; }
# A check's result from its findings ($3, one a line): ok, or FAILED with
# the hint ($2) and the findings.
report() {
        if [[ -z "$3" ]]; then
                step "$1" ok
        else
                step "$1" "FAILED ($2):"
                printf '%s' "$3" | sed 's/^/  /'
                fail=1
        fi
}

# 1. Formatting.
bad=()
for f in "${files[@]}"; do
        if ! "$CLANG_FORMAT" --dry-run -Werror "$f" >/dev/null 2>&1; then
                bad+=("$f")
        fi
done
if [[ ${#bad[@]} -eq 0 ]]; then
        step formatting ok
else
        step formatting "FAILED: ${#bad[@]} file(s) differ from .clang-format:"
        printf '  %s\n' "${bad[@]}"
        echo "  (tools/lint.sh --fix rewrites them; '$CLANG_FORMAT --dry-run FILE' shows where)"
        fail=1
fi

# A file's code without comments (-fpreprocessed strips them without
# expanding macros or includes) and with string and character literals
# emptied; line markers ("# N ...") keep the source's line numbers.
code_of() {
        gcc -fpreprocessed -dD -E -x c "$1" 2>/dev/null |
                sed -e 's/"\([^"\\]\|\\.\)*"/""/g' \
                    -e "s/'\\([^'\\\\]\\|\\\\.\\)*'/''/g"
}

# 2. Banned functions, in code only.
hits=""
for f in "${files[@]}"; do
        h=$(code_of "$f" |
            awk -v f="$f" -v re="(^|[^[:alnum:]_.>])($BANNED)[[:space:]]*[(]" '
                /^# [0-9]+ / { n = $2 - 1; next }
                { n++ }
                $0 ~ re { print f ":" n ": " $0 }')
        [[ -n "$h" ]] && hits+="$h"$'\n'
done
report "banned functions" "use snprintf, bounded copies, strtol with checks" "$hits"

# 3. Assignments inside conditions; cleanup labels other than `out`. The
# condition of each if/while is followed over lines to its closing
# parenthesis; an '=' in it that is not part of ==, !=, <= or >= is an
# assignment (compound ones such as += included).
hits=""
labels=""
for f in "${files[@]}"; do
        h=$(code_of "$f" | awk -v f="$f" '
                /^# [0-9]+ / { n = $2 - 1; next }
                { n++ }
                /^[[:space:]]*#/ { next }
                /^[[:alpha:]_][[:alnum:]_]*:[[:space:]]*$/ && !/^out:/ {
                        print "label " f ":" n ": " $0
                }
                {
                        line = $0
                        pos = 1
                        while (pos <= length(line)) {
                                if (depth == 0) {
                                        if (!match(substr(line, pos),
                                                   /(^|[^[:alnum:]_])(if|while)[[:space:]]*[(]/))
                                                break
                                        pos += RSTART + RLENGTH - 1
                                        depth = 1
                                        cond = ""
                                        start = n
                                        continue
                                }
                                c = substr(line, pos, 1)
                                pos++
                                if (c == "(") {
                                        depth++
                                } else if (c == ")" && --depth == 0) {
                                        if (cond ~ /(^|[^=!<>])=($|[^=])/)
                                                print "assign " f ":" start ": (" cond ")"
                                        continue
                                }
                                cond = cond c
                        }
                        if (depth > 0)
                                cond = cond " "
                }')
        a=$(printf '%s\n' "$h" | sed -n 's/^assign //p')
        l=$(printf '%s\n' "$h" | sed -n 's/^label //p')
        [[ -n "$a" ]] && hits+="$a"$'\n'
        [[ -n "$l" ]] && labels+="$l"$'\n'
done
report conditions "assign first, then test the value" "$hits"
report "cleanup label" "the cleanup label is 'out'" "$labels"

# 4. cppcheck.
if "$CPPCHECK" -q --std=c11 --enable=warning,portability,performance \
        --inline-suppr --error-exitcode=1 -D_GNU_SOURCE \
        -Ishared -Ifetcher -Icleaner --suppress=missingIncludeSystem \
        shared fetcher cleaner tools/devbroker.c 2>"$BUILD.cppcheck.log"; then
        step cppcheck ok
        rm -f "$BUILD.cppcheck.log"
else
        step cppcheck FAILED
        sed 's/^/  /' "$BUILD.cppcheck.log"
        rm -f "$BUILD.cppcheck.log"
        fail=1
fi

# 5. Prototypes: the binaries and the unit tests, warnings as errors.
units=$(ls tests/unit/test_*.c | sed "s|tests/unit/\(.*\)\.c|$BUILD/\1|")
if make -s BUILD="$BUILD" CFLAGS="-O0 -Wmissing-prototypes -Wstrict-prototypes" \
        all $units >"$BUILD.log" 2>&1; then
        step prototypes ok
        rm -f "$BUILD.log"
else
        step prototypes FAILED
        grep -E 'error|warning' "$BUILD.log" | sed 's/^/  /' | head -n 40
        fail=1
fi
exit $fail
