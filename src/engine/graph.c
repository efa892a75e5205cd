/* graph: edges from `after`, stage barriers and exclusive steps, then the order, the
 * transitive reduction and the critical path. Sets of steps are bit rows (n is ~130). */
#include "engine/graph.h"

#include <stdlib.h>
#include <string.h>

#include "book/recipe.h"
#include "lib/util.h"

#define ROW(m, i) ((m) + (size_t)(i) * g->words)
#define BIT_SET(row, j) ((row)[(j) / 64] |= (uint64_t)1 << ((j) % 64))
#define BIT_HAS(row, j) (((row)[(j) / 64] >> ((j) % 64)) & 1)

bool graph_after(const struct graph *g, size_t a, size_t b)
{
	return BIT_HAS(ROW(g->reach, a), b);
}

/* Why a -> b: the `after` line, or the rule that made the edge. */
static void describe_edge(const struct recipe_set *set, size_t a, size_t b, FILE *out)
{
	const struct recipe *ra = &set->steps[a], *rb = &set->steps[b];
	for (size_t k = 0; k < rb->nafter; k++)
		if (!strcmp(rb->after[k].id, ra->id)) {
			fprintf(out, "  %s:%d: %s after %s\n", rb->file, rb->after[k].line, rb->id, ra->id);
			return;
		}
	if (ra->stage != rb->stage)
		fprintf(out, "  %s comes after %s: stage %s comes before stage %s\n", rb->id, ra->id,
		        set->stages[ra->stage].name, set->stages[rb->stage].name);
	else
		fprintf(out, "  %s comes after %s: %s is exclusive\n", rb->id, ra->id, ra->exclusive ? ra->id : rb->id);
}

static void print_cycle(const struct graph *g, const uint64_t *adj, const bool *done)
{
	const struct recipe_set *set = g->set;
	size_t n = g->n;
	size_t start = 0;
	while (start < n && done[start])
		start++;
	/* Walk back along predecessors that are still in the cycle part until one repeats. */
	size_t *seen_at = xcalloc(n, sizeof *seen_at);
	size_t *path = xcalloc(n + 1, sizeof *path);
	size_t len = 0, v = start;
	while (!seen_at[v]) {
		path[len++] = v;
		seen_at[v] = len;
		size_t p = n;
		for (size_t u = 0; u < n && p == n; u++)
			if (!done[u] && BIT_HAS(ROW(adj, u), v))
				p = u;
		if (p == n)
			break; /* cannot happen: every remaining node has a remaining predecessor */
		v = p;
	}
	/* path[seen_at[v]-1 .. len-1] is the cycle backwards (path[k+1] -> path[k]); put it
	 * forwards, starting at the step that comes first in the book. */
	size_t first = seen_at[v] - 1, m = len - first;
	size_t *cyc = xcalloc(m, sizeof *cyc);
	for (size_t k = 0; k < m; k++)
		cyc[k] = path[len - 1 - k];
	size_t lo = 0;
	for (size_t k = 1; k < m; k++)
		if (cyc[k] < cyc[lo])
			lo = k;
	fprintf(stderr, "lfsbuild: error: dependency cycle: ");
	for (size_t k = 0; k < m; k++)
		fprintf(stderr, "%s -> ", set->steps[cyc[(lo + k) % m]].id);
	fprintf(stderr, "%s\n", set->steps[cyc[lo]].id);
	for (size_t k = 0; k < m; k++)
		describe_edge(set, cyc[(lo + k) % m], cyc[(lo + k + 1) % m], stderr);
	free(cyc);
	fprintf(stderr, "lfsbuild: remove one of these `after` lines to break the cycle\n");
	free(seen_at);
	free(path);
}

int graph_build(const struct recipe_set *set, struct graph *g)
{
	memset(g, 0, sizeof *g);
	g->set = set;
	size_t n = g->n = set->nsteps;
	g->words = n / 64 + 1;
	uint64_t *adj = xcalloc(n * g->words, sizeof *adj);   /* adj row a: a -> b */
	for (size_t b = 0; b < n; b++) {
		const struct recipe *r = &set->steps[b];
		for (size_t k = 0; k < r->nafter; k++) {
			int a = recipe_set_find(set, r->after[k].id);
			if (a >= 0)
				BIT_SET(ROW(adj, a), b);
		}
		for (size_t a = 0; a < n; a++) {
			const struct recipe *q = &set->steps[a];
			if (q->stage < r->stage)
				BIT_SET(ROW(adj, a), b);
			else if (q->stage == r->stage && a < b && (q->exclusive || r->exclusive))
				BIT_SET(ROW(adj, a), b);
		}
	}

	/* Kahn's algorithm, the lowest book index first among the ready. */
	size_t *indeg = xcalloc(n, sizeof *indeg);
	for (size_t a = 0; a < n; a++)
		for (size_t b = 0; b < n; b++)
			indeg[b] += BIT_HAS(ROW(adj, a), b);
	bool *done = xcalloc(n, sizeof *done);
	g->order = xcalloc(n, sizeof *g->order);
	g->pos = xcalloc(n, sizeof *g->pos);
	size_t k = 0;
	for (; k < n; k++) {
		size_t v = n;
		for (size_t i = 0; i < n && v == n; i++)
			if (!done[i] && indeg[i] == 0)
				v = i;
		if (v == n)
			break;
		done[v] = true;
		g->order[k] = v;
		g->pos[v] = k;
		for (size_t b = 0; b < n; b++)
			if (BIT_HAS(ROW(adj, v), b))
				indeg[b]--;
	}
	free(indeg);
	if (k < n) {
		print_cycle(g, adj, done);
		free(done);
		free(adj);
		graph_free(g);
		return -1;
	}
	free(done);

	/* Reachability in reverse order, then the reduction: a successor already reached through an
	 * earlier (in topological order) successor is implied. */
	g->reach = xcalloc(n * g->words, sizeof *g->reach);
	g->deps = xcalloc(n, sizeof *g->deps);
	g->ndeps = xcalloc(n, sizeof *g->ndeps);
	g->succ = xcalloc(n, sizeof *g->succ);
	g->nsucc = xcalloc(n, sizeof *g->nsucc);
	g->crit = xcalloc(n, sizeof *g->crit);
	uint64_t *covered = xcalloc(g->words, sizeof *covered);
	for (size_t kk = n; kk-- > 0;) {
		size_t v = g->order[kk];
		uint64_t *rv = ROW(g->reach, v), *av = ROW(adj, v);
		memset(covered, 0, g->words * sizeof *covered);
		double best = 0;
		for (size_t p = kk + 1; p < n; p++) {
			size_t u = g->order[p];
			if (!BIT_HAS(av, u))
				continue;
			uint64_t *ru = ROW(g->reach, u);
			for (size_t w = 0; w < g->words; w++)
				rv[w] |= ru[w];
			BIT_SET(rv, u);
			if (g->crit[u] > best)
				best = g->crit[u];
			if (BIT_HAS(covered, u))
				continue;
			for (size_t w = 0; w < g->words; w++)
				covered[w] |= ru[w];
			g->succ[v] = xrealloc(g->succ[v], (g->nsucc[v] + 1) * sizeof **g->succ);
			g->succ[v][g->nsucc[v]++] = u;
		}
		g->crit[v] = set->steps[v].sbu + best;
	}
	free(covered);
	free(adj);
	/* deps in book order */
	for (size_t a = 0; a < n; a++)
		for (size_t i = 0; i < g->nsucc[a]; i++) {
			size_t b = g->succ[a][i];
			g->deps[b] = xrealloc(g->deps[b], (g->ndeps[b] + 1) * sizeof **g->deps);
			g->deps[b][g->ndeps[b]++] = a;
		}
	return 0;
}

static const char *const palette[] = {"#e8f0fe", "#fef7e0", "#e6f4ea", "#fce8e6", "#f3e8fd", "#e4f7fb", "#fff0e0"};

void graph_print(const struct graph *g, FILE *out, bool dot)
{
	const struct recipe_set *set = g->set;
	if (!dot) {
		for (size_t k = 0; k < g->n; k++) {
			size_t v = g->order[k];
			fprintf(out, "%s\t", set->steps[v].id);
			for (size_t i = 0; i < g->ndeps[v]; i++)
				fprintf(out, "%s%s", i ? "," : "", set->steps[g->deps[v][i]].id);
			fputc('\n', out);
		}
		return;
	}
	fprintf(out, "digraph lfs {\n\trankdir=LR;\n\tnode [shape=box, style=filled, fontname=\"sans\"];\n");
	for (size_t s = 0; s < set->nstages; s++) {
		fprintf(out, "\tsubgraph \"cluster_%s\" {\n\t\tlabel=\"%s (chapter %d)\";\n", set->stages[s].name,
		        set->stages[s].name, set->stages[s].chapter);
		for (size_t v = 0; v < g->n; v++)
			if (set->steps[v].stage == s)
				fprintf(out, "\t\t\"%s\" [fillcolor=\"%s\"%s];\n", set->steps[v].id,
				        palette[s % ARRAY_LEN(palette)], set->steps[v].exclusive ? ", peripheries=2" : "");
		fprintf(out, "\t}\n");
	}
	for (size_t k = 0; k < g->n; k++) {
		size_t v = g->order[k];
		for (size_t i = 0; i < g->ndeps[v]; i++)
			fprintf(out, "\t\"%s\" -> \"%s\";\n", set->steps[g->deps[v][i]].id, set->steps[v].id);
	}
	fprintf(out, "}\n");
}

void graph_free(struct graph *g)
{
	for (size_t i = 0; g->deps && i < g->n; i++)
		free(g->deps[i]);
	for (size_t i = 0; g->succ && i < g->n; i++)
		free(g->succ[i]);
	free(g->deps);
	free(g->ndeps);
	free(g->succ);
	free(g->nsucc);
	free(g->order);
	free(g->pos);
	free(g->crit);
	free(g->reach);
	memset(g, 0, sizeof *g);
}
