/* The aggregation's part of the configuration (struct ft_agg_conf, agg.h): step and
 * lateness, in seconds in the file. */
#include "config_int.h"

#define AGG(field) offsetof(struct ft_config, agg.field)

static const struct ft_config_key keys[] = {
	{ "step", FT_KEY_SECONDS_MS, 1, 86400, AGG(step_ms), NULL, false },
	{ "lateness", FT_KEY_SECONDS_MS, 0, 86400, AGG(lateness_ms), NULL, false },
};

static int init(struct ft_config *c)
{
	c->agg = (struct ft_agg_conf){ .step_ms = 60 * 1000, .lateness_ms = 120 * 1000 };
	return 0;
}

/* Steps are aligned to multiples of their length in UTC, and the ledger keeps a day a
 * file: a step must divide a day. */
static void check(struct cctx *c, const config_t *lc)
{
	if (86400000 % c->cfg->agg.step_ms != 0)
		ft_config_err(c, ft_config_top(lc, "step"), "step = %lld does not divide a day (86400 s) "
		              "into whole steps", (long long)(c->cfg->agg.step_ms / 1000));
}

const struct ft_config_section ft_config_agg = {
	keys, sizeof(keys) / sizeof(keys[0]), init, check, NULL, NULL,
};
