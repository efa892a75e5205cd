/* Unit tests of graph: edges from after, barriers and exclusive steps; the reduction, the
 * order, the critical path, cycles. */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "engine/graph.h"
#include "book/recipe.h"

/* A set from "id stage sbu excl after..." lines. */
static void make_set(struct recipe_set *set, const char *const *lines, size_t n)
{
	memset(set, 0, sizeof *set);
	set->stages = xcalloc(3, sizeof *set->stages);
	set->nstages = 3;
	for (int s = 0; s < 3; s++)
		set->stages[s].name = xasprintf("s%d", s);
	set->steps = xcalloc(n, sizeof *set->steps);
	set->nsteps = n;
	for (size_t i = 0; i < n; i++) {
		char *copy = xstrdup(lines[i]);
		char *w[16];
		int k = split_words(copy, w, 16);
		struct recipe *r = &set->steps[i];
		r->id = xstrdup(w[0]);
		r->file = xasprintf("%s.recipe", w[0]);
		r->title = xstrdup(w[0]);
		r->text = xstrdup("");
		r->build = xstrdup("");
		r->stage = (size_t)atoi(w[1]);
		r->sbu = atof(w[2]);
		r->exclusive = !strcmp(w[3], "x");
		for (int a = 4; a < k; a++) {
			r->after = xrealloc(r->after, (r->nafter + 1) * sizeof *r->after);
			r->after[r->nafter++] = (struct dep_ref){xstrdup(w[a]), 7};
		}
		free(copy);
	}
}

static char *deps_of(const struct graph *g, const char *id)
{
	int i = recipe_set_find(g->set, id);
	struct buf b = {0};
	buf_puts(&b, "");
	for (size_t k = 0; k < g->ndeps[i]; k++)
		buf_printf(&b, "%s%s", k ? "," : "", g->set->steps[g->deps[i][k]].id);
	return b.data;
}

#define DEPS(g, id, want) do { char *d_ = deps_of(g, id); assert_string_equal(d_, want); free(d_); } while (0)

static void test_edges_and_reduction(void **state)
{
	(void)state;
	const char *lines[] = {
		"ch1/a 0 1 - ",
		"ch1/b 0 1 - ch1/a",
		"ch1/c 0 5 - ch1/a ch1/b",      /* ch1/a is implied by ch1/b */
		"ch1/d 0 1 - ",
		"ch2/e 1 1 - ",                 /* after the last steps of stage 0: c and d */
		"ch2/f 1 1 - ch2/e ch1/a",      /* ch1/a implied by the barrier */
	};
	struct recipe_set set;
	make_set(&set, lines, 6);
	struct graph g;
	assert_int_equal(graph_build(&set, &g), 0);
	DEPS(&g, "ch1/c", "ch1/b");
	DEPS(&g, "ch2/e", "ch1/c,ch1/d");
	DEPS(&g, "ch2/f", "ch2/e");
	DEPS(&g, "ch1/d", "");
	/* the order keeps the book's where it can */
	for (size_t k = 0; k < g.n; k++)
		assert_int_equal(g.order[k], k);
	assert_true(graph_after(&g, 0, 5));
	assert_false(graph_after(&g, 3, 1));
	/* critical path: a(1) b(1) c(5) e(1) f(1) = 9 */
	assert_true(g.crit[0] > 8.99 && g.crit[0] < 9.01);
	assert_true(g.crit[3] > 2.99 && g.crit[3] < 3.01);
	graph_free(&g);
	recipe_set_free(&set);
}

static void test_exclusive(void **state)
{
	(void)state;
	const char *lines[] = {
		"ch8/a 0 1 - ",
		"ch8/b 0 1 - ",
		"ch8/x 0 1 x ",                 /* after a and b, before c and d */
		"ch8/c 0 1 - ",
		"ch8/d 0 1 - ",
	};
	struct recipe_set set;
	make_set(&set, lines, 5);
	struct graph g;
	assert_int_equal(graph_build(&set, &g), 0);
	DEPS(&g, "ch8/x", "ch8/a,ch8/b");
	DEPS(&g, "ch8/c", "ch8/x");
	DEPS(&g, "ch8/d", "ch8/x");
	assert_false(graph_after(&g, 0, 1));
	graph_free(&g);
	recipe_set_free(&set);
}

static void test_order_follows_after_not_toc(void **state)
{
	(void)state;
	const char *lines[] = {
		"ch1/a 0 1 - ch1/b",
		"ch1/b 0 1 - ",
	};
	struct recipe_set set;
	make_set(&set, lines, 2);
	struct graph g;
	assert_int_equal(graph_build(&set, &g), 0);
	assert_int_equal(g.order[0], 1);
	assert_int_equal(g.order[1], 0);
	graph_free(&g);
	recipe_set_free(&set);
}

static void test_cycle(void **state)
{
	(void)state;
	const char *lines[] = {
		"ch1/a 0 1 - ",
		"ch1/b 0 1 - ch1/a ch1/c",
		"ch1/c 0 1 - ch1/b",
	};
	struct recipe_set set;
	make_set(&set, lines, 3);
	struct graph g;
	assert_int_equal(graph_build(&set, &g), -1);
	recipe_set_free(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges_and_reduction),
		cmocka_unit_test(test_exclusive),
		cmocka_unit_test(test_order_follows_after_not_toc),
		cmocka_unit_test(test_cycle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
