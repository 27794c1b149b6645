/* A plain listing of the rendered site, until the HTML pages are written (replaced next). */
#include <stdio.h>
#include "flowtally/dashboard.h"
int ft_dash_html_write(const struct ft_dash_site *site, const char *out_dir, char *err, size_t err_size)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/index.html", out_dir);
	FILE *f = fopen(p, "w");
	if (!f) { snprintf(err, err_size, "%s", p); return -1; }
	for (size_t i = 0; i < site->n_pages; i++) {
		fprintf(f, "PAGE %s %s\n", site->pages[i].file, site->pages[i].title);
		for (size_t k = 0; k < site->pages[i].n_images; k++) {
			const struct ft_dash_image *im = &site->pages[i].images[k];
			fprintf(f, " IMG %s %dx%d drawn=%d %s\n", im->file, im->width, im->height, im->drawn, im->error);
			for (size_t s = 0; s < im->n_series; s++)
				fprintf(f, "  S %s n=%llu avg=%g max=%g p95=%.17g\n", im->series[s].label, (unsigned long long)im->series[s].n, im->series[s].avg, im->series[s].max, im->series[s].p95);
			for (size_t s = 0; s < im->n_values; s++)
				fprintf(f, "  V %s=%.17g\n", im->values[s].name, im->values[s].value);
		}
	}
	fclose(f);
	return 0;
}
