/* eta: the remaining time of a build from SBU figures. */
#include "watch/eta.h"

#include <stdbool.h>
#include <stdlib.h>

#include "lib/util.h"

double eta_step_remaining(const struct eta_step *s, double sbu)
{
	if (sbu <= 0)
		sbu = ETA_DEFAULT_SBU;
	if (s->state == ETA_FINISHED)
		return 0;
	double est = s->sbu * sbu;
	if (s->state == ETA_RUNNING)
		est -= s->elapsed;
	return est > 0 ? est : 0;
}

double eta_seconds(const struct eta_step *steps, size_t n, double sbu, int jobs)
{
	if (jobs < 1)
		jobs = 1;
	bool edges = false;
	for (size_t i = 0; i < n; i++)
		edges |= steps[i].ndeps > 0;
	/* chain[i]: the longest remaining path inside i's stage that ends with i. */
	double *chain = xcalloc(n + 1, sizeof *chain);
	double total = 0;
	size_t i = 0;
	while (i < n) {
		int stage = steps[i].stage;
		double work = 0, longest = 0;
		size_t j = i;
		for (; j < n && steps[j].stage == stage; j++) {
			double c = eta_step_remaining(&steps[j], sbu);
			double before = 0;
			for (size_t d = 0; edges && d < steps[j].ndeps; d++) {
				size_t k = steps[j].deps[d];
				if (k >= i && k < j && chain[k] > before)
					before = chain[k];
			}
			chain[j] = before + c;
			work += c;
			if (chain[j] > longest)
				longest = chain[j];
		}
		double spread = work / jobs;
		total += longest > spread ? longest : spread;
		i = j;
	}
	free(chain);
	return total;
}
