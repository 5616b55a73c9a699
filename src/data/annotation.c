/* Datasets: annotation lists and folder-per-class trees.
 *
 * Annotation list format (ImageNet / PaddleClas val_list.txt):
 *   # comment
 *   relative/path with spaces.jpg 42\r\n
 * One sample per line (LF, CR LF or CR); the label is the last whitespace-separated token and
 * everything before it (trimmed) is the path. Labels file: one class name per
 * line, index = 0-based line number (trailing blank lines ignored). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/status.h"
#include "data/data_internal.h"

#define LIST_MAX_BYTES ((size_t)1 << 31)
#define LABEL_MAX ((1 << 30) - 1)

struct ptq_dataset {
    int64_t size, cap;
    char **paths;
    int32_t *labels;
    int32_t class_count;
    int32_t n_names;
    char **names; /* class names or NULL */
};

/* A growable array of owned strings. */
typedef struct strvec {
    char **v;
    size_t n, cap;
} strvec;

static void strvec_free(strvec *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

/* Takes ownership of str (freed on failure). */
static ptq_status strvec_push(strvec *s, char *str)
{
    if (!str) return ptq__oom();
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 16;
        char **nv = realloc(s->v, ncap * sizeof *nv);
        if (!nv) {
            free(str);
            return ptq__oom();
        }
        s->v = nv;
        s->cap = ncap;
    }
    s->v[s->n++] = str;
    return PTQ_STATUS_OK;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static char *str_ndup(const char *s, size_t n)
{
    char *r = malloc(n + 1);
    if (!r) return NULL;
    memcpy(r, s, n);
    r[n] = '\0';
    return r;
}

static char *path_join(const char *dir, const char *name)
{
    if (name[0] == '/' || dir == NULL || dir[0] == '\0') return strdup(name);
    size_t a = strlen(dir), b = strlen(name);
    while (a > 1 && dir[a - 1] == '/') a--;
    char *r = malloc(a + b + 2);
    if (!r) return NULL;
    memcpy(r, dir, a);
    r[a] = '/';
    memcpy(r + a + 1, name, b + 1);
    return r;
}

static char *path_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return str_ndup(path, (size_t)(slash - path));
}

static int is_regular_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static int is_directory(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static ptq_status dataset_push(ptq_dataset *ds, char *path, int32_t label)
{
    if (!path) return ptq__oom();
    if (ds->size == ds->cap) {
        int64_t ncap = ds->cap ? ds->cap * 2 : 64;
        char **np = realloc(ds->paths, (size_t)ncap * sizeof *np);
        if (!np) {
            free(path);
            return ptq__oom();
        }
        ds->paths = np;
        int32_t *nl = realloc(ds->labels, (size_t)ncap * sizeof *nl);
        if (!nl) {
            free(path);
            return ptq__oom();
        }
        ds->labels = nl;
        ds->cap = ncap;
    }
    ds->paths[ds->size] = path;
    ds->labels[ds->size] = label;
    ds->size++;
    return PTQ_STATUS_OK;
}

/* End of the line starting at p: the first LF, CR LF or lone CR (old Mac
 * files ended lines with CR only and read as one long line); *next is where
 * the following line starts. */
static char *line_end(char *p, char *end, char **next)
{
    char *q = p;
    while (q < end && *q != '\n' && *q != '\r') q++;
    *next = q == end ? end : q + 1;
    if (q < end && *q == '\r' && q + 1 < end && q[1] == '\n') *next = q + 2;
    return q;
}

/* Reads a labels file: one name per line (surrounding blanks trimmed);
 * trailing blank lines are dropped. */
static ptq_status read_labels(const char *path, strvec *names)
{
    char *text = NULL;
    size_t len = 0;
    ptq_status st = ptq__read_file(path, LIST_MAX_BYTES, &text, &len);
    if (st) return st;
    size_t nonblank = 0; /* names.n after the last non-blank line */
    char *p = text, *end = text + len;
    int line = 0;
    while (p < end) {
        char *next, *eol = line_end(p, end, &next);
        line++;
        char *a = p, *b = eol;
        while (a < b && isspace((unsigned char)*a)) a++;
        while (b > a && isspace((unsigned char)b[-1])) b--;
        if (memchr(a, '\0', (size_t)(b - a))) {
            st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s:%d: NUL byte in labels file", path, line);
            goto cleanup;
        }
        if ((st = strvec_push(names, str_ndup(a, (size_t)(b - a))))) goto cleanup;
        if (b > a) nonblank = names->n;
        if (names->n > INT32_MAX - 1) {
            st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: too many labels", path);
            goto cleanup;
        }
        p = next;
    }
    while (names->n > nonblank) free(names->v[--names->n]);
    if (names->n == 0) st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: labels file is empty", path);
cleanup:
    free(text);
    return st;
}

/* Parses a non-negative decimal label token [a, b). */
static ptq_status parse_label(const char *file, int line, const char *a, const char *b, int32_t *out)
{
    char tok[64];
    size_t n = (size_t)(b - a);
    if (n >= sizeof tok) return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s:%d: label '%.20s...' is too long", file, line, a);
    memcpy(tok, a, n);
    tok[n] = '\0';
    const char *q = tok;
    if (*q == '+') q++;
    int neg = *q == '-';
    if (neg) q++;
    if (*q == '\0') return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s:%d: label '%s' is not an integer", file, line, tok);
    int64_t v = 0;
    for (; *q; q++) {
        if (!isdigit((unsigned char)*q))
            return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s:%d: label '%s' is not an integer", file, line, tok);
        v = v * 10 + (*q - '0');
        /* Bounded well below INT32_MAX: the class count (label + 1) and the
         * evaluation's label offsets must not overflow int32. */
        if (v > LABEL_MAX)
            return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s:%d: label '%s' is too large (at most %d)", file, line, tok,
                             LABEL_MAX);
    }
    if (neg && v != 0) return ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s:%d: label %s is negative", file, line, tok);
    *out = (int32_t)v;
    return PTQ_STATUS_OK;
}

static ptq_status open_list(const ptq_dataset_params *pr, const char *root, ptq_dataset *ds)
{
    ptq_status st = PTQ_STATUS_OK;
    char *text = NULL;
    size_t len = 0;
    const char *file = pr->list_path;
    if ((st = ptq__read_file(file, LIST_MAX_BYTES, &text, &len))) return st;

    char *p = text, *end = text + len;
    int line = 0;
    while (p < end) {
        char *next, *eol = line_end(p, end, &next);
        line++;
        char *a = p, *b = eol;
        p = next;
        while (a < b && isspace((unsigned char)*a)) a++;
        while (b > a && isspace((unsigned char)b[-1])) b--;
        if (a == b || *a == '#') continue;
        if (memchr(a, '\0', (size_t)(b - a))) {
            st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s:%d: NUL byte in line", file, line);
            goto cleanup;
        }
        /* label = last token; path = the rest, trimmed */
        char *lab = b;
        while (lab > a && !isspace((unsigned char)lab[-1])) lab--;
        char *pe = lab;
        while (pe > a && isspace((unsigned char)pe[-1])) pe--;
        if (pe == a) {
            st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s:%d: expected 'path label', got '%.*s'", file, line,
                           (int)(b - a > 200 ? 200 : b - a), a);
            goto cleanup;
        }
        int32_t label = 0;
        if ((st = parse_label(file, line, lab, b, &label))) goto cleanup;
        if (pr->labels_path && label >= ds->n_names) {
            st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s:%d: label %d but labels file %s has %d classes", file, line,
                           (int)label, pr->labels_path, (int)ds->n_names);
            goto cleanup;
        }
        char *rel = str_ndup(a, (size_t)(pe - a));
        if (!rel) {
            st = ptq__oom();
            goto cleanup;
        }
        char *full = NULL;
        if (pr->basename_lookup && rel[0] != '/') {
            const char *base = strrchr(rel, '/');
            base = base ? base + 1 : rel;
            full = path_join(root, base);
            if (full && !is_regular_file(full)) {
                free(full);
                full = NULL;
            }
        }
        if (!full) full = path_join(root, rel);
        free(rel);
        if ((st = dataset_push(ds, full, label))) goto cleanup;
        if (label >= ds->class_count) ds->class_count = label + 1;
        if (pr->limit > 0 && ds->size >= pr->limit) break;
    }
    if (ds->size == 0) st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: annotation list has no samples", file);
cleanup:
    free(text);
    return st;
}

static int has_image_extension(const char *name)
{
    static const char *const exts[] = {".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".webp", ".tif", ".tiff"};
    const char *dot = strrchr(name, '.');
    if (!dot) return 0;
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (strcasecmp(dot, exts[i]) == 0) return 1;
    return 0;
}

/* Collects image files below dir (recursive, hidden entries skipped). The
 * depth limit guards against symlink loops. */
static ptq_status collect_images(const char *dir, int depth, strvec *out)
{
    ptq_status st = PTQ_STATUS_OK;
    DIR *d = NULL;
    strvec subdirs = {0};
    if (depth > 32) return ptq__fail(PTQ_STATUS_IO, "%s: directory nesting too deep (symlink loop?)", dir);
    d = opendir(dir);
    if (!d) return ptq__fail(PTQ_STATUS_IO, "%s: cannot open directory: %s", dir, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char *full = path_join(dir, e->d_name);
        if (!full) {
            st = ptq__oom();
            goto cleanup;
        }
        if (is_directory(full)) {
            if ((st = strvec_push(&subdirs, full))) goto cleanup;
        } else if (has_image_extension(e->d_name) && is_regular_file(full)) {
            if ((st = strvec_push(out, full))) goto cleanup;
        } else {
            free(full);
        }
    }
    for (size_t i = 0; i < subdirs.n; i++)
        if ((st = collect_images(subdirs.v[i], depth + 1, out))) goto cleanup;
cleanup:
    strvec_free(&subdirs);
    if (d) closedir(d);
    return st;
}

static ptq_status open_folder(const ptq_dataset_params *pr, ptq_dataset *ds)
{
    ptq_status st = PTQ_STATUS_OK;
    strvec classes = {0}, files = {0};
    DIR *d = opendir(pr->root);
    if (!d) return ptq__fail(PTQ_STATUS_IO, "%s: cannot open dataset folder: %s", pr->root, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char *full = path_join(pr->root, e->d_name);
        if (!full) {
            st = ptq__oom();
            goto cleanup;
        }
        int isdir = is_directory(full);
        free(full);
        if (isdir && (st = strvec_push(&classes, strdup(e->d_name)))) goto cleanup;
    }
    if (classes.n == 0) {
        st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: no class subfolders found", pr->root);
        goto cleanup;
    }
    if (classes.n > INT32_MAX) {
        st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: too many class folders", pr->root);
        goto cleanup;
    }
    qsort(classes.v, classes.n, sizeof *classes.v, cmp_str);
    if (!pr->labels_path) {
        /* the folder names are the class names */
        ds->names = classes.v;
        ds->n_names = (int32_t)classes.n;
        ds->class_count = (int32_t)classes.n;
        classes.v = NULL;
        classes.n = classes.cap = 0;
    }
    int32_t n_classes = ds->n_names;
    char **class_dirs = pr->labels_path ? classes.v : ds->names;
    size_t n_dirs = pr->labels_path ? classes.n : (size_t)ds->n_names;
    for (size_t c = 0; c < n_dirs && !(pr->limit > 0 && ds->size >= pr->limit); c++) {
        int32_t label = (int32_t)c;
        if (pr->labels_path) {
            label = -1;
            for (int32_t k = 0; k < n_classes; k++)
                if (strcmp(ds->names[k], class_dirs[c]) == 0) {
                    label = k;
                    break;
                }
            if (label < 0) {
                st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: class folder '%s' is not named in labels file %s",
                               pr->root, class_dirs[c], pr->labels_path);
                goto cleanup;
            }
        }
        char *dir = path_join(pr->root, class_dirs[c]);
        if (!dir) {
            st = ptq__oom();
            goto cleanup;
        }
        st = collect_images(dir, 0, &files);
        free(dir);
        if (st) goto cleanup;
        qsort(files.v, files.n, sizeof *files.v, cmp_str);
        for (size_t i = 0; i < files.n; i++) {
            if (pr->limit > 0 && ds->size >= pr->limit) break;
            if ((st = dataset_push(ds, files.v[i], label))) {
                files.v[i] = NULL;
                goto cleanup;
            }
            files.v[i] = NULL;
        }
        strvec_free(&files);
    }
    if (pr->labels_path) ds->class_count = ds->n_names;
    if (ds->size == 0) st = ptq__fail(PTQ_STATUS_BAD_FORMAT, "%s: no image files found in the class folders", pr->root);
cleanup:
    strvec_free(&files);
    strvec_free(&classes);
    closedir(d);
    return st;
}

ptq_dataset_params ptq_dataset_params_default(void)
{
    ptq_dataset_params p;
    memset(&p, 0, sizeof p);
    return p;
}

ptq_status ptq_dataset_open(const ptq_dataset_params *params, ptq_dataset **dataset_out)
{
    ptq_status st = PTQ_STATUS_OK;
    ptq_dataset *ds = NULL;
    char *root = NULL;
    strvec names = {0};
    if (!dataset_out) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "ptq_dataset_open: dataset_out is NULL");
    *dataset_out = NULL;
    if (!params) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "ptq_dataset_open: params is NULL");
    if (!params->list_path && !params->root)
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "dataset: give an annotation list or a data root folder");
    if (params->limit < 0)
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "dataset: limit %lld is negative", (long long)params->limit);

    ds = calloc(1, sizeof *ds);
    if (!ds) return ptq__oom();
    if (params->labels_path) {
        if ((st = read_labels(params->labels_path, &names))) goto cleanup;
        ds->names = names.v;
        ds->n_names = (int32_t)names.n;
        names.v = NULL;
        names.n = names.cap = 0;
    }
    if (params->list_path) {
        if (is_directory(params->list_path)) {
            st = ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "%s: annotation list is a directory", params->list_path);
            goto cleanup;
        }
        root = params->root ? strdup(params->root) : path_dirname(params->list_path);
        if (!root) {
            st = ptq__oom();
            goto cleanup;
        }
        if ((st = open_list(params, root, ds))) goto cleanup;
        if (params->labels_path) ds->class_count = ds->n_names;
    } else {
        if ((st = open_folder(params, ds))) goto cleanup;
    }
    *dataset_out = ds;
    ds = NULL;
cleanup:
    strvec_free(&names);
    free(root);
    ptq_dataset_destroy(ds);
    return st;
}

ptq_status ptq_dataset_from_paths(const char *const *paths, const int32_t *labels, int64_t n, int64_t limit,
                                  ptq_dataset **dataset_out)
{
    if (!dataset_out) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "ptq_dataset_from_paths: dataset_out is NULL");
    *dataset_out = NULL;
    if (!paths || n < 1) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "dataset: no image paths");
    if (limit < 0) return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "dataset: limit %lld is negative", (long long)limit);
    ptq_dataset *ds = calloc(1, sizeof *ds);
    if (!ds) return ptq__oom();
    ptq_status st = PTQ_STATUS_OK;
    for (int64_t i = 0; i < n && !st && !(limit > 0 && ds->size >= limit); i++) {
        int32_t label = labels ? labels[i] : 0;
        if (!paths[i]) st = ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "dataset: path %lld is NULL", (long long)i);
        else if (label < 0 || label > LABEL_MAX)
            st = ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "dataset: label %d of '%s' is outside 0..%d", (int)label, paths[i],
                           LABEL_MAX);
        else if (!(st = dataset_push(ds, strdup(paths[i]), label)) && label >= ds->class_count)
            ds->class_count = label + 1;
    }
    if (st) {
        ptq_dataset_destroy(ds);
        return st;
    }
    *dataset_out = ds;
    return PTQ_STATUS_OK;
}

void ptq_dataset_destroy(ptq_dataset *ds)
{
    if (!ds) return;
    for (int64_t i = 0; i < ds->size; i++) free(ds->paths[i]);
    free(ds->paths);
    free(ds->labels);
    for (int32_t i = 0; i < ds->n_names; i++) free(ds->names[i]);
    free(ds->names);
    free(ds);
}

int64_t ptq_dataset_size(const ptq_dataset *ds) { return ds ? ds->size : 0; }

const char *ptq_dataset_image_path(const ptq_dataset *ds, int64_t i)
{
    return (ds && i >= 0 && i < ds->size) ? ds->paths[i] : NULL;
}

int32_t ptq_dataset_label(const ptq_dataset *ds, int64_t i)
{
    return (ds && i >= 0 && i < ds->size) ? ds->labels[i] : -1;
}

int32_t ptq_dataset_class_count(const ptq_dataset *ds) { return ds ? ds->class_count : 0; }

const char *ptq_dataset_class_name(const ptq_dataset *ds, int32_t i)
{
    return (ds && ds->names && i >= 0 && i < ds->n_names) ? ds->names[i] : NULL;
}

/* splitmix64: tiny, well-distributed and fully specified, so a subset is
 * reproducible across platforms and libc versions (unlike rand()). */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform integer in [0, n) without modulo bias (rejection sampling). */
static uint64_t uniform_below(uint64_t *state, uint64_t n)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t r;
    do r = splitmix64(state);
    while (r >= limit);
    return r % n;
}

ptq_status ptq_dataset_subset(const ptq_dataset *ds, int64_t n, uint64_t seed, int64_t *indices_out)
{
    if (!ds || (!indices_out && n > 0))
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "ptq_dataset_subset: NULL argument");
    if (n < 0 || n > ds->size)
        return ptq__fail(PTQ_STATUS_INVALID_ARGUMENT, "subset of %lld samples requested from a dataset of %lld",
                         (long long)n, (long long)ds->size);
    if (n == 0) return PTQ_STATUS_OK;
    int64_t *perm = malloc((size_t)ds->size * sizeof *perm);
    if (!perm) return ptq__oom();
    for (int64_t i = 0; i < ds->size; i++) perm[i] = i;
    uint64_t state = seed;
    for (int64_t i = 0; i < n; i++) {
        int64_t j = i + (int64_t)uniform_below(&state, (uint64_t)(ds->size - i));
        int64_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
        indices_out[i] = perm[i];
    }
    free(perm);
    return PTQ_STATUS_OK;
}
