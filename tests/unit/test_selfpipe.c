/*
 * test_selfpipe.c — the self-pipe signal handlers wake a poll with: a wake
 * is readable and drained once, a full pipe neither blocks nor fails, and
 * a wake keeps errno as it was (a handler must not disturb the code it
 * interrupted).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <poll.h>
#include <unistd.h>
#include <cmocka.h>

#include "selfpipe.h"

static int readable(const selfpipe_t *sp)
{
        struct pollfd p = { .fd = selfpipe_fd(sp), .events = POLLIN };

        return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void test_wake_drain(void **state)
{
        selfpipe_t sp = SELFPIPE_INIT;

        (void)state;
        assert_int_equal(selfpipe_drain(&sp), 0); /* not open: nothing */
        assert_int_equal(selfpipe_open(&sp), 0);
        assert_int_equal(selfpipe_open(&sp), 0); /* twice: same pipe */
        assert_false(readable(&sp));
        selfpipe_wake(&sp);
        selfpipe_wake(&sp);
        assert_true(readable(&sp));
        assert_int_equal(selfpipe_drain(&sp), 1);
        assert_false(readable(&sp));
        assert_int_equal(selfpipe_drain(&sp), 0);
        close(sp.fd[0]);
        close(sp.fd[1]);
}

static void test_wake_keeps_errno(void **state)
{
        selfpipe_t sp = SELFPIPE_INIT;
        int i;

        (void)state;
        assert_int_equal(selfpipe_open(&sp), 0);
        errno = EINTR;
        selfpipe_wake(&sp);
        assert_int_equal(errno, EINTR);
        /* Fill the pipe: the write then fails with EAGAIN, which must not
         * leak into errno either (far more than a pipe's 64 KiB). */
        for (i = 0; i < 200000; i++)
                selfpipe_wake(&sp);
        errno = EINTR;
        selfpipe_wake(&sp);
        assert_int_equal(errno, EINTR);
        assert_int_equal(selfpipe_drain(&sp), 1);
        close(sp.fd[0]);
        close(sp.fd[1]);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_wake_drain),
                cmocka_unit_test(test_wake_keeps_errno),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
