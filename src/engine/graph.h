/* graph: the steps of a recipe set as a DAG: `after` edges, stage barriers and exclusive
 * steps; cycle detection (the cycle is printed), an execution order that keeps the book's order
 * where it can, the transitive reduction and the critical path. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

struct recipe_set;

struct graph {
	const struct recipe_set *set;
	size_t n;               /* node i is set->steps[i] */
	size_t **deps;          /* direct dependencies (transitive reduction), in book order */
	size_t *ndeps;
	size_t **succ;          /* the reverse */
	size_t *nsucc;
	size_t *order;          /* a topological order, book order among the ready */
	size_t *pos;            /* pos[order[k]] == k */
	double *crit;           /* longest path (in sbu) from the node to the end, the node included */
	uint64_t *reach;        /* n x words: reach[i] = the steps that come after i (transitively) */
	size_t words;
};

/* Build the graph. A cycle is printed on stderr (with the `after` lines that make it); -1. */
int graph_build(const struct recipe_set *set, struct graph *g);
/* Does `b` (transitively) come after `a`? */
bool graph_after(const struct graph *g, size_t a, size_t b);
/* Print `STEP<TAB>dep,dep` lines in execution order, or Graphviz with `dot`. */
void graph_print(const struct graph *g, FILE *out, bool dot);
void graph_free(struct graph *g);
