/*
 * bodyzip.c — sitemap bodies kept gzip-compressed as they arrive (see
 * bodyzip.h).
 */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "bodyzip.h"
#include "dynbuf.h"

#define BODYZIP_CHUNK 16384

struct bodyzip {
        z_stream z;
        int deflating;   /* z is initialised                    */
        int decided;     /* passthrough or deflate is known     */
        int passthrough; /* the body is gzip already            */
        int finished;    /* the trailer is written              */
        unsigned char head[2];
        size_t head_len;
        size_t decoded; /* bytes curl handed over              */
};

int bodyzip_wanted(const job_t *job)
{
        return job->kind == JOB_URL && job->um.kind != NULL;
}

void bodyzip_free(job_t *job)
{
        if (!job->zip)
                return;
        if (job->zip->deflating)
                deflateEnd(&job->zip->z);
        free(job->zip);
        job->zip = NULL;
}

void bodyzip_reset(job_t *job)
{
        bodyzip_free(job);
}

/* Appends p[0, n) to the body, capped at body_max. */
static int body_add(job_t *job, const void *p, size_t n)
{
        int r = dynbuf_append(&job->body, &job->body_cap, &job->body_len,
                              job->body_max, p, n);

        if (r == DYNBUF_ERR_TOO_BIG)
                job->too_large = true;
        return r ? -1 : 0;
}

/* Deflates p[0, n) (flush: Z_NO_FLUSH or Z_FINISH) into the body. */
static int deflate_add(job_t *job, const void *p, size_t n, int flush)
{
        struct bodyzip *bz = job->zip;
        unsigned char out[BODYZIP_CHUNK];
        int zr;

        bz->z.next_in = (unsigned char *)p;
        bz->z.avail_in = (uInt)n;
        do {
                bz->z.next_out = out;
                bz->z.avail_out = sizeof(out);
                zr = deflate(&bz->z, flush);
                if (zr == Z_STREAM_ERROR)
                        return -1;
                if (body_add(job, out, sizeof(out) - bz->z.avail_out))
                        return -1;
        } while (bz->z.avail_out == 0 ||
                 (flush == Z_FINISH && zr != Z_STREAM_END));
        return 0;
}

/* The first two bytes tell: gzip already (kept), or deflated here. */
static int decide(job_t *job)
{
        struct bodyzip *bz = job->zip;

        bz->decided = 1;
        if (bz->head_len == 2 && bz->head[0] == 0x1f && bz->head[1] == 0x8b) {
                bz->passthrough = 1;
                return body_add(job, bz->head, bz->head_len);
        }
        /* Level 1, gzip wrapper (15 + 16), default memory. */
        if (deflateInit2(&bz->z, 1, Z_DEFLATED, 15 + 16, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK)
                return -1;
        bz->deflating = 1;
        return deflate_add(job, bz->head, bz->head_len, Z_NO_FLUSH);
}

int bodyzip_write(job_t *job, const char *p, size_t n)
{
        struct bodyzip *bz = job->zip;

        if (!bz) {
                bz = calloc(1, sizeof(*bz));
                if (!bz)
                        return -1;
                job->zip = bz;
        }
        if (n > BODYZIP_MAX_DECODED - bz->decoded) {
                job->too_large = true;
                return -1;
        }
        bz->decoded += n;
        while (!bz->decided && n > 0) {
                bz->head[bz->head_len++] = (unsigned char)*p++;
                n--;
                if (bz->head_len == 2 && decide(job))
                        return -1;
        }
        if (n == 0)
                return 0;
        if (bz->passthrough)
                return body_add(job, p, n);
        return deflate_add(job, p, n, Z_NO_FLUSH);
}

int bodyzip_finish(job_t *job)
{
        struct bodyzip *bz = job->zip;

        if (!bz || bz->finished)
                return 0;
        bz->finished = 1;
        if (!bz->decided) {
                /* Under two bytes in all: kept as they are. */
                bz->decided = 1;
                bz->passthrough = 1;
                return body_add(job, bz->head, bz->head_len);
        }
        if (bz->passthrough)
                return 0;
        return deflate_add(job, NULL, 0, Z_FINISH);
}

int bodyzip_compressed(const job_t *job)
{
        return job->zip && job->zip->deflating;
}
