/* Threaded batch loader: worker threads decode and preprocess images ahead
 * of the consumer into a ring of `depth` batch slots.
 *
 * Positions 0..count-1 (into the index list) are claimed in order by the
 * workers; position p belongs to batch p / batch, which lives in slot
 * (p / batch) % depth. A worker may only claim a position whose batch is
 * fewer than `depth` batches ahead of the consumer, which bounds memory and
 * keeps the queue full. Every image is written to its fixed place in its
 * batch, so the output is identical for any number of threads; bad images
 * are compacted away when the consumer takes the batch. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/status.h"
#include "data/data_internal.h"

#define ERR_LEN 512

typedef struct slot {
    ptq_tensor *tensor; /* batch x sample floats, owned until handed out */
    int done;           /* images finished (ok or failed) */
    uint8_t *bad;       /* per image: failed */
    ptq_status *codes;  /* per image: failure status */
    char *errors;       /* per image: failure message, ERR_LEN each */
} slot;

struct ptq_loader {
    const ptq_dataset *ds;
    int64_t *indices;
    int64_t count;
    ptq_preprocess pp;
    int batch, depth, n_threads, skip_bad;
    size_t sample; /* floats per image */
    int64_t n_batches;

    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* workers wait for room */
    pthread_cond_t done_cv; /* consumer waits for a full batch */
    int64_t next_pos;       /* next position to claim */
    int64_t consumed;       /* batches handed out */
    int stop;
    int failed;             /* consumer saw an error: no more batches */
    int64_t skipped;
    slot *slots;
    pthread_t *threads;
    int started;            /* threads successfully created */
    int mu_ok, work_ok, done_ok;
};

static int64_t batch_size_of(const ptq_loader *l, int64_t b)
{
    int64_t left = l->count - b * l->batch;
    return left < l->batch ? left : l->batch;
}

static void *worker(void *arg)
{
    ptq_loader *l = arg;
    pthread_mutex_lock(&l->mu);
    for (;;) {
        while (!l->stop && l->next_pos < l->count && l->next_pos / l->batch >= l->consumed + l->depth)
            pthread_cond_wait(&l->work_cv, &l->mu);
        if (l->stop || l->next_pos >= l->count) break;
        int64_t pos = l->next_pos++;
        int64_t b = pos / l->batch;
        int i = (int)(pos % l->batch);
        slot *s = &l->slots[b % l->depth];
        float *dst = (float *)s->tensor->data + (size_t)i * l->sample;
        pthread_mutex_unlock(&l->mu);

        /* The slot's tensor for batch b cannot be handed out or replaced
         * before this image is marked done, so writing it unlocked is safe. */
        const char *path = ptq_dataset_image_path(l->ds, l->indices[pos]);
        ptq_status st = ptq_preprocess_file(&l->pp, path, dst);

        pthread_mutex_lock(&l->mu);
        s->bad[i] = st != PTQ_STATUS_OK;
        if (st) {
            s->codes[i] = st;
            /* last-error messages are thread-local: copy for the consumer */
            strncpy(s->errors + (size_t)i * ERR_LEN, ptq_last_error(), ERR_LEN - 1);
            s->errors[(size_t)i * ERR_LEN + ERR_LEN - 1] = '\0';
        }
        if (++s->done == batch_size_of(l, b)) pthread_cond_signal(&l->done_cv);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

static ptq_status alloc_batch_tensor(const ptq_loader *l, ptq_tensor **out)
{
    int64_t dims[4];
    const ptq_preprocess *pp = &l->pp;
    dims[0] = l->batch;
    if (pp->layout == PTQ_LAYOUT_NCHW) dims[1] = pp->channels, dims[2] = pp->model_h, dims[3] = pp->model_w;
    else dims[1] = pp->model_h, dims[2] = pp->model_w, dims[3] = pp->channels;
    return ptq_tensor_create(PTQ_DTYPE_FLOAT32, 4, dims, out);
}

ptq_status ptq_loader_create(const ptq_dataset *ds, const int64_t *indices, int64_t count, const ptq_preprocess *pp,
                             int batch, int n_threads, int skip_bad_images, ptq_loader **loader_out)
{
    ptq_status st = PTQ_STATUS_OK;
    ptq_loader *l = NULL;
    if (!loader_out) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "ptq_loader_create: loader_out is NULL");
    *loader_out = NULL;
    if (!ds || !pp) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "ptq_loader_create: NULL dataset or recipe");
    if ((st = ptq_preprocess_validate(pp))) return st;
    if (batch <= 0 || batch > (1 << 20))
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "loader: batch size %d must be in 1..%d", batch, 1 << 20);
    if (n_threads < 0 || n_threads > 1024)
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "loader: %d threads requested (0..1024)", n_threads);
    int64_t size = ptq_dataset_size(ds);
    if (!indices) count = size;
    if (count < 0) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "loader: negative count %lld", (long long)count);
    for (int64_t i = 0; indices && i < count; i++)
        if (indices[i] < 0 || indices[i] >= size)
            return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "loader: index %lld (position %lld) outside the dataset of %lld",
                             (long long)indices[i], (long long)i, (long long)size);
    size_t batch_bytes;
    if (!ptq__mul_size(ptq_preprocess_output_size(pp), (size_t)batch * sizeof(float), &batch_bytes))
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "loader: batch of %d images is too large", batch);

    l = calloc(1, sizeof *l);
    if (!l) return ptq__oom();
    l->ds = ds;
    l->pp = *pp;
    l->count = count;
    l->batch = batch;
    l->skip_bad = skip_bad_images != 0;
    l->sample = ptq_preprocess_output_size(pp);
    l->n_batches = (count + batch - 1) / batch;
    if (n_threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        n_threads = n > 0 ? (int)(n > 256 ? 256 : n) : 1;
    }
    l->n_threads = n_threads;
    /* Enough slots to keep every worker busy while the consumer holds one
     * batch, at least double buffering. */
    l->depth = 2 + (n_threads + batch - 1) / batch;
    l->indices = malloc((size_t)(count ? count : 1) * sizeof *l->indices);
    l->slots = calloc((size_t)l->depth, sizeof *l->slots);
    l->threads = calloc((size_t)n_threads, sizeof *l->threads);
    if (!l->indices || !l->slots || !l->threads) {
        st = ptq__oom();
        goto cleanup;
    }
    for (int64_t i = 0; i < count; i++) l->indices[i] = indices ? indices[i] : i;
    for (int k = 0; k < l->depth; k++) {
        slot *s = &l->slots[k];
        if ((st = alloc_batch_tensor(l, &s->tensor))) goto cleanup;
        s->bad = calloc((size_t)batch, 1);
        s->codes = calloc((size_t)batch, sizeof *s->codes);
        s->errors = calloc((size_t)batch, ERR_LEN);
        if (!s->bad || !s->codes || !s->errors) {
            st = ptq__oom();
            goto cleanup;
        }
    }
    if (pthread_mutex_init(&l->mu, NULL) != 0) goto sync_fail;
    l->mu_ok = 1;
    if (pthread_cond_init(&l->work_cv, NULL) != 0) goto sync_fail;
    l->work_ok = 1;
    if (pthread_cond_init(&l->done_cv, NULL) != 0) goto sync_fail;
    l->done_ok = 1;
    for (int t = 0; t < n_threads; t++) {
        if (pthread_create(&l->threads[t], NULL, worker, l) != 0) {
            st = ptq__fail(PTQ_STATUS_OUT_OF_MEMORY, "loader: cannot start worker thread %d", t);
            goto cleanup;
        }
        l->started++;
    }
    *loader_out = l;
    return PTQ_STATUS_OK;
sync_fail:
    st = ptq__fail(PTQ_STATUS_OUT_OF_MEMORY, "loader: cannot create synchronization objects");
cleanup:
    ptq_loader_destroy(l);
    return st;
}

void ptq_loader_destroy(ptq_loader *l)
{
    if (!l) return;
    if (l->mu_ok) {
        pthread_mutex_lock(&l->mu);
        l->stop = 1;
        if (l->work_ok) pthread_cond_broadcast(&l->work_cv);
        pthread_mutex_unlock(&l->mu);
    }
    for (int t = 0; t < l->started; t++) pthread_join(l->threads[t], NULL);
    if (l->done_ok) pthread_cond_destroy(&l->done_cv);
    if (l->work_ok) pthread_cond_destroy(&l->work_cv);
    if (l->mu_ok) pthread_mutex_destroy(&l->mu);
    for (int k = 0; l->slots && k < l->depth; k++) {
        ptq_tensor_destroy(l->slots[k].tensor);
        free(l->slots[k].bad);
        free(l->slots[k].codes);
        free(l->slots[k].errors);
    }
    free(l->slots);
    free(l->threads);
    free(l->indices);
    free(l);
}

ptq_status ptq_loader_next(ptq_loader *l, ptq_tensor **batch_out, int32_t *labels_out, int *n_out)
{
    ptq_status st = PTQ_STATUS_OK;
    ptq_tensor *fresh = NULL;
    if (batch_out) *batch_out = NULL;
    if (n_out) *n_out = 0;
    if (!l || !batch_out || !n_out) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "ptq_loader_next: NULL argument");

    pthread_mutex_lock(&l->mu);
    for (;;) {
        if (l->failed) {
            st = ptq__fail(PTQ_STATUS_INVALID_STATE, "loader: a previous batch failed; create a new loader");
            break;
        }
        if (l->consumed >= l->n_batches) break; /* end: OK, NULL, 0 */
        int64_t b = l->consumed;
        int64_t bs = batch_size_of(l, b);
        slot *s = &l->slots[b % l->depth];
        while (s->done < bs) pthread_cond_wait(&l->done_cv, &l->mu);

        /* Replacement tensor for the slot, allocated unlocked. Workers do not
         * touch this slot until `consumed` advances. */
        pthread_mutex_unlock(&l->mu);
        ptq_status ast = alloc_batch_tensor(l, &fresh);
        pthread_mutex_lock(&l->mu);
        if (ast) {
            st = ast;
            break; /* the batch stays queued; the caller may retry */
        }
        int n = 0;
        int64_t base = b * l->batch;
        for (int i = 0; i < bs; i++) {
            if (!s->bad[i]) continue;
            if (!l->skip_bad) {
                l->failed = 1;
                st = ptq__fail(s->codes[i], "%s", s->errors + (size_t)i * ERR_LEN);
                break;
            }
        }
        if (st) break;
        float *data = s->tensor->data;
        for (int i = 0; i < bs; i++) {
            if (s->bad[i]) {
                l->skipped++;
                continue;
            }
            if (n != i) memmove(data + (size_t)n * l->sample, data + (size_t)i * l->sample, l->sample * sizeof *data);
            if (labels_out) labels_out[n] = ptq_dataset_label(l->ds, l->indices[base + i]);
            n++;
        }
        ptq_tensor *out = s->tensor;
        s->tensor = fresh;
        fresh = NULL;
        s->done = 0;
        memset(s->bad, 0, (size_t)l->batch);
        l->consumed++;
        pthread_cond_broadcast(&l->work_cv);
        if (n == 0) { /* every image of this batch was skipped */
            ptq_tensor_destroy(out);
            continue;
        }
        out->dims[0] = n; /* compacted; the allocation keeps its full size */
        *batch_out = out;
        *n_out = n;
        break;
    }
    pthread_mutex_unlock(&l->mu);
    ptq_tensor_destroy(fresh);
    return st;
}

int64_t ptq_loader_skipped(const ptq_loader *l)
{
    /* written only by ptq_loader_next, i.e. by the (single) consumer thread
     * that is allowed to call this */
    return l ? l->skipped : 0;
}

int64_t ptq_loader_count(const ptq_loader *l) { return l ? l->count : 0; }
