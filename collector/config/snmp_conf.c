/* The SNMP poller's part of the configuration (struct ft_snmp_conf, snmp.h): the
 * devices, how often they are polled, and the file their secrets may come from.
 *
 *   snmp_interval = 60;            snmp_max_gap = 300;       snmp_speed_tolerance = 10;
 *   snmp_secrets = "/etc/flowtally/snmp-secrets";
 *   snmp_devices = (
 *     { name = "core1"; address = "192.0.2.1:161"; exporters = [ "192.0.2.1" ];   (default: address)
 *       version = "3"; security = "authPriv"; user = "flowtally";
 *       auth = "SHA-256"; auth_password = "..."; priv = "AES"; priv_password = "...";
 *       timeout = 2; retries = 1; max_rows = 10000; match_by = "ifName";
 *       include = [ "xe-*", "ae*" ]; exclude = [ "*.32767" ]; } );
 *
 * The secrets file holds "DEVICE KEY VALUE" lines (KEY community, auth_password or
 * priv_password; # comments), for secrets kept out of the main file; it should be
 * readable by flowtallyd's user only, and check-config warns when it is not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "config_int.h"

#define SNMP(field) offsetof(struct ft_config, snmp.field)

/* "192.0.2.1", "192.0.2.1:161", "[2001:db8::1]:161", "2001:db8::1": net-snmp's
 * "udp:ADDR:PORT" / "udp6:[ADDR]:PORT".  Addresses only: a poll never waits on DNS. */
static int device_address(const char *v, char *out, size_t size, struct ft_addr *ret)
{
	char host[64];
	unsigned long port = 161;
	const char *p = NULL;
	if (v[0] == '[') {
		const char *e = strchr(v, ']');
		if (!e || (size_t)(e - v - 1) >= sizeof(host) || (e[1] && e[1] != ':'))
			return -1;
		memcpy(host, v + 1, (size_t)(e - v - 1));
		host[e - v - 1] = '\0';
		p = e[1] ? e + 2 : NULL;
	} else if (strchr(v, ':') && strchr(v, ':') == strrchr(v, ':')) {
		const char *e = strchr(v, ':');
		if ((size_t)(e - v) >= sizeof(host))
			return -1;
		memcpy(host, v, (size_t)(e - v));
		host[e - v] = '\0';
		p = e + 1;
	} else {
		if (strlen(v) >= sizeof(host))
			return -1;
		snprintf(host, sizeof(host), "%s", v);
	}
	if (p) {
		char *end;
		errno = 0;
		port = strtoul(p, &end, 10);
		if (end == p || *end || errno || port < 1 || port > 65535)
			return -1;
	}
	struct ft_addr a;
	if (ft_addr_parse(host, &a) < 0)
		return -1;
	bool v4 = ft_addr_is_v4(&a);
	snprintf(out, size, v4 ? "udp:%s:%lu" : "udp6:[%s]:%lu", host, port);
	*ret = a;
	return 0;
}

static int string_into(struct cctx *c, const config_setting_t *s, const char *what, char *dst, size_t size)
{
	const char *v = config_setting_get_string(s);
	if (!v || !*v || strlen(v) >= size) {
		ft_config_err(c, s, "snmp_devices: %s must be a string of 1 to %zu characters", what, size - 1);
		return -EINVAL;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int patterns(struct cctx *c, const config_setting_t *s, char ***ret, size_t *ret_n)
{
	int n = ft_config_string_list(c, s);
	if (n < 0)
		return -EINVAL;
	char **p = calloc((size_t)n + 1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		if (!(p[i] = strdup(config_setting_get_string_elem(s, i)))) {
			for (int j = 0; j < i; j++)
				free(p[j]);
			free(p);
			return -ENOMEM;
		}
	*ret = p;
	*ret_n = (size_t)n;
	return 0;
}

static int exporters(struct cctx *c, const config_setting_t *s, struct ft_snmp_device *d)
{
	int n = ft_config_string_list(c, s);
	if (n < 0)
		return -EINVAL;
	if (n > FT_SNMP_EXPORTERS_MAX) {
		ft_config_err(c, s, "snmp_devices: at most %d exporter addresses a device", FT_SNMP_EXPORTERS_MAX);
		return -EINVAL;
	}
	for (int i = 0; i < n; i++)
		if (ft_addr_parse(config_setting_get_string_elem(s, i), &d->exporters[i]) < 0) {
			ft_config_err(c, s, "snmp_devices: exporter '%s' is not an address",
			              config_setting_get_string_elem(s, i));
			return -EINVAL;
		}
	d->n_exporters = (size_t)n;
	return 0;
}

static int number(struct cctx *c, const config_setting_t *s, const char *name, long long min, long long max,
                  uint32_t *ret)
{
	int t = config_setting_type(s);
	long long v = t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 ? config_setting_get_int64(s) : min - 1;
	if (v < min || v > max) {
		ft_config_err(c, s, "snmp_devices: %s must be a whole number in [%lld, %lld]", name, min, max);
		return -EINVAL;
	}
	*ret = (uint32_t)v;
	return 0;
}

/* One key of a device group. */
static int device_key(struct cctx *c, const config_setting_t *s, struct ft_snmp_device *d, bool *have_addr,
                      struct ft_addr *addr)
{
	const char *k = config_setting_name(s);
	bool str = config_setting_type(s) == CONFIG_TYPE_STRING;
	const char *v = str ? config_setting_get_string(s) : "";
	int i;
	uint32_t n;
	if (strcmp(k, "name") == 0 && str) {
		if (!ft_name_valid(v)) {
			ft_config_err(c, s, "snmp_devices: name \"%s\" is not a valid name (1 to %d bytes of UTF-8 text)",
			              v, FT_NAME_MAX - 1);
			return -EINVAL;
		}
		return string_into(c, s, "name", d->name, sizeof(d->name));
	} else if (strcmp(k, "address") == 0 && str) {
		*have_addr = true;
		if (device_address(v, d->address, sizeof(d->address), addr) < 0) {
			ft_config_err(c, s, "snmp_devices: address \"%s\" is not ADDRESS, ADDRESS:PORT or [IPv6]:PORT "
			              "(an IP address, not a host name)", v);
			return -EINVAL;
		}
	} else if (strcmp(k, "exporters") == 0) {
		return exporters(c, s, d);
	} else if (strcmp(k, "version") == 0 && (str || config_setting_type(s) == CONFIG_TYPE_INT)) {
		long long num = str ? -1 : config_setting_get_int64(s);
		if ((str && strcmp(v, "2c") == 0) || num == 2)
			d->version = FT_SNMP_V2C;
		else if ((str && strcmp(v, "3") == 0) || num == 3)
			d->version = FT_SNMP_V3;
		else {
			ft_config_err(c, s, "snmp_devices: version must be \"2c\" or \"3\" (SNMPv1 has no 64-bit counters)");
			return -EINVAL;
		}
	} else if (strcmp(k, "security") == 0 && str) {
		if ((i = ft_snmp_level_parse(v)) < 0) {
			ft_config_err(c, s, "snmp_devices: security must be \"noAuthNoPriv\", \"authNoPriv\" or \"authPriv\"");
			return -EINVAL;
		}
		d->level = (uint8_t)i;
	} else if (strcmp(k, "auth") == 0 && str) {
		if ((i = ft_snmp_auth_parse(v)) < 0) {
			ft_config_err(c, s, "snmp_devices: auth \"%s\": give SHA (SHA-1), SHA-224, SHA-256, SHA-384 or SHA-512", v);
			return -EINVAL;
		}
		d->auth = (uint8_t)i;
	} else if (strcmp(k, "priv") == 0 && str) {
		if ((i = ft_snmp_priv_parse(v)) < 0) {
			ft_config_err(c, s, "snmp_devices: priv \"%s\": give AES (AES-128), AES-192 or AES-256", v);
			return -EINVAL;
		}
		d->priv = (uint8_t)i;
	} else if (strcmp(k, "community") == 0 && str) {
		return string_into(c, s, "community", d->community, sizeof(d->community));
	} else if (strcmp(k, "user") == 0 && str) {
		return string_into(c, s, "user", d->user, sizeof(d->user));
	} else if (strcmp(k, "auth_password") == 0 && str) {
		return string_into(c, s, "auth_password", d->auth_pass, sizeof(d->auth_pass));
	} else if (strcmp(k, "priv_password") == 0 && str) {
		return string_into(c, s, "priv_password", d->priv_pass, sizeof(d->priv_pass));
	} else if (strcmp(k, "timeout") == 0) {
		if (number(c, s, "timeout (seconds)", 1, 60, &n) < 0)
			return -EINVAL;
		d->timeout_ms = n * 1000;
	} else if (strcmp(k, "retries") == 0) {
		return number(c, s, "retries", 0, 10, &d->retries);
	} else if (strcmp(k, "max_rows") == 0) {
		return number(c, s, "max_rows", 1, 1000000, &d->max_rows);
	} else if (strcmp(k, "max_repetitions") == 0) {
		return number(c, s, "max_repetitions", 1, 200, &d->max_repetitions);
	} else if (strcmp(k, "match_by") == 0 && str) {
		if (strcmp(v, "ifName") == 0)
			d->key = FT_SNMP_BY_IFNAME;
		else if (strcmp(v, "ifIndex") == 0)
			d->key = FT_SNMP_BY_IFINDEX;
		else if (strcmp(v, "ifDescr") == 0)
			d->key = FT_SNMP_BY_IFDESCR;
		else {
			ft_config_err(c, s, "snmp_devices: match_by must be \"ifName\", \"ifIndex\" or \"ifDescr\"");
			return -EINVAL;
		}
	} else if (strcmp(k, "include") == 0) {
		return patterns(c, s, &d->include, &d->n_include);
	} else if (strcmp(k, "exclude") == 0) {
		return patterns(c, s, &d->exclude, &d->n_exclude);
	} else {
		ft_config_err(c, s, "snmp_devices: unknown key or wrong type '%s' (keys: name, address, exporters, version, "
		              "community, security, user, auth, auth_password, priv, priv_password, timeout, retries, "
		              "max_rows, max_repetitions, match_by, include, exclude)", k);
		return -EINVAL;
	}
	return 0;
}

static void device_defaults(struct ft_snmp_device *d)
{
	memset(d, 0, sizeof(*d));
	d->version = FT_SNMP_V2C;
	d->level = FT_SNMP_AUTHPRIV;
	d->auth = FT_SNMP_SHA1;
	d->priv = FT_SNMP_AES128;
	d->timeout_ms = 2000;
	d->retries = 1;
	d->max_rows = 10000;
	d->max_repetitions = 25;
}

static int device(struct cctx *c, const config_setting_t *g, struct ft_snmp_device *d)
{
	device_defaults(d);
	d->file = c->cfg->source;
	d->line = config_setting_source_line(g);
	int bad = 0;
	bool have_addr = false;
	struct ft_addr addr;
	for (int i = 0; i < config_setting_length(g); i++)
		bad += device_key(c, config_setting_get_elem(g, (unsigned)i), d, &have_addr, &addr) < 0;
	/* without exporters, the device exports its flows from the address it is polled at */
	if (have_addr && !bad && !config_setting_get_member(g, "exporters")) {
		d->exporters[0] = addr;
		d->n_exporters = 1;
	}
	if (!d->name[0]) {
		ft_config_err(c, g, "snmp_devices: a device has no name");
		bad++;
	}
	if (!have_addr) {
		ft_config_err(c, g, "snmp_devices: device %s has no address", d->name[0] ? d->name : "(unnamed)");
		bad++;
	}
	if (d->version == FT_SNMP_V3 && !d->user[0]) {
		ft_config_err(c, g, "snmp_devices: device %s is SNMPv3 but has no user", d->name);
		bad++;
	}
	return bad ? -EINVAL : 0;
}

static int apply_devices(struct cctx *c, const config_setting_t *s)
{
	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		ft_config_err(c, s, "snmp_devices must be a list of groups: ( { name = \"...\"; address = \"...\"; ... } )");
		return -EINVAL;
	}
	int n = config_setting_length(s), bad = 0;
	if (n > FT_SNMP_DEVICES_MAX) {
		ft_config_err(c, s, "snmp_devices: at most %d devices", FT_SNMP_DEVICES_MAX);
		return -EINVAL;
	}
	struct ft_snmp_device *d = calloc((size_t)n + 1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
		if (!config_setting_is_group(g)) {
			ft_config_err(c, g, "snmp_devices: element %d is not a group { ... }", i + 1);
			bad++;
			continue;
		}
		bad += device(c, g, &d[i]) < 0;
		for (int j = 0; j < i; j++)
			if (d[i].name[0] && strcmp(d[j].name, d[i].name) == 0) {
				ft_config_err(c, g, "snmp_devices: device name %s is used twice (also at line %d)", d[i].name,
				              d[j].line);
				bad++;
			}
	}
	c->cfg->snmp.devices = d;
	c->cfg->snmp.n_devices = (size_t)n;
	return bad ? -EINVAL : 0;
}

static int apply_max_gap(struct cctx *c, const config_setting_t *s)
{
	int t = config_setting_type(s);
	long long v = t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 ? config_setting_get_int64(s) : -1;
	if (v < 1 || v > 86400) {
		ft_config_err(c, s, "snmp_max_gap must be a number of seconds in [1, 86400]");
		return -EINVAL;
	}
	c->cfg->snmp.max_gap_ms = v * 1000;
	return 0;
}

static int apply_secrets(struct cctx *c, const config_setting_t *s)
{
	return ft_config_string(c, s, &c->cfg->snmp.secrets);
}

static const struct ft_config_key keys[] = {
	{ "snmp_devices", FT_KEY_APPLY, 0, 0, 0, apply_devices, false },
	{ "snmp_interval", FT_KEY_U32, 1, 3600, SNMP(interval_s), NULL, false },
	{ "snmp_max_gap", FT_KEY_APPLY, 0, 0, 0, apply_max_gap, false },
	{ "snmp_speed_tolerance", FT_KEY_U32, 0, 100, SNMP(speed_tolerance_pct), NULL, false },
	{ "snmp_secrets", FT_KEY_APPLY, 0, 0, 0, apply_secrets, false },
};

static int init(struct ft_config *c)
{
	c->snmp = (struct ft_snmp_conf){ .interval_s = 60, .max_gap_ms = -1, .speed_tolerance_pct = 10 };
	return 0;
}

static struct ft_snmp_device *find(struct ft_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->snmp.n_devices; i++)
		if (strcmp(cfg->snmp.devices[i].name, name) == 0)
			return &cfg->snmp.devices[i];
	return NULL;
}

/* One "DEVICE KEY VALUE" line of the secrets file. */
static void secret_line(struct cctx *c, const char *path, int line, char *text)
{
	char *save = NULL;
	char *dev = strtok_r(text, " \t", &save);
	char *key = dev ? strtok_r(NULL, " \t", &save) : NULL;
	char *val = key ? strtok_r(NULL, "\r\n", &save) : NULL;
	while (val && (*val == ' ' || *val == '\t'))
		val++;
	size_t n = val ? strlen(val) : 0;
	while (n && (val[n - 1] == ' ' || val[n - 1] == '\t'))
		val[--n] = '\0';
	if (!dev || !key || !n) {
		ft_diag_add(c->diag, true, path, line, "expected DEVICE KEY VALUE (KEY: community, auth_password, priv_password)");
		return;
	}
	struct ft_snmp_device *d = find(c->cfg, dev);
	char *dst = NULL;
	if (!d) {
		ft_diag_add(c->diag, true, path, line, "no device %s in snmp_devices", dev);
		return;
	}
	if (strcmp(key, "community") == 0)
		dst = d->community;
	else if (strcmp(key, "auth_password") == 0)
		dst = d->auth_pass;
	else if (strcmp(key, "priv_password") == 0)
		dst = d->priv_pass;
	if (!dst) {
		ft_diag_add(c->diag, true, path, line, "unknown key %s (community, auth_password, priv_password)", key);
		return;
	}
	if (n >= FT_SNMP_SECRET_MAX) {
		ft_diag_add(c->diag, true, path, line, "%s of %s is longer than %d characters", key, dev, FT_SNMP_SECRET_MAX - 1);
		return;
	}
	if (*dst) {
		ft_diag_add(c->diag, true, path, line, "%s of %s is also given in %s (line %d): keep it in one place",
		            key, dev, d->file, d->line);
		return;
	}
	memcpy(dst, val, n + 1);
}

static void read_secrets(struct cctx *c, const config_t *lc)
{
	const char *path = c->cfg->snmp.secrets;
	const config_setting_t *s = ft_config_top(lc, "snmp_secrets");
	int at = s ? config_setting_source_line(s) : 0;
	FILE *f = fopen(path, "re");
	if (!f) {
		ft_diag_add(c->diag, true, c->file, at, "snmp_secrets: cannot read %s: %s", path, strerror(errno));
		return;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
		ft_diag_add(c->diag, false, c->file, at,
		            "snmp_secrets: %s can be read by others than its owner (mode %04o): chmod 600 it, owned by "
		            "flowtallyd's user", path, (unsigned)(st.st_mode & 07777));
	ft_diag_file(c->diag, path);
	/* getline, not a fixed buffer: a long comment stays one line, and the lines after
	 * it keep their numbers */
	char *buf = NULL;
	size_t size = 0;
	int line = 0;
	errno = 0;
	while (getline(&buf, &size, f) >= 0) {
		line++;
		char *p = buf;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '#' && *p != '\n' && *p != '\r' && *p != '\0')
			secret_line(c, path, line, p);
		errno = 0;
	}
	/* getline ends a read error as it ends the file: a directory (EISDIR) or an I/O
	 * error must not pass for a file of no secrets */
	int e = ferror(f) ? (errno ? errno : EIO) : 0;
	free(buf);
	fclose(f);
	if (e)
		ft_diag_add(c->diag, true, c->file, at, "snmp_secrets: cannot read %s: %s", path, strerror(e));
}

/* Checks that need every key: secrets, credentials, and the interval against the step. */
static void check_device(struct cctx *c, const struct ft_snmp_device *d)
{
	if (d->version == FT_SNMP_V2C) {
		if (!d->community[0])
			ft_diag_add(c->diag, true, d->file, d->line, "device %s: SNMPv2c needs a community (here or in "
			            "snmp_secrets)", d->name);
		else
			ft_diag_add(c->diag, false, d->file, d->line, "device %s: SNMPv2c sends its community in clear "
			            "and has no authentication: prefer version = \"3\" with security = \"authPriv\"", d->name);
		return;
	}
	if (d->level == FT_SNMP_NOAUTH) {
		ft_diag_add(c->diag, false, d->file, d->line, "device %s: noAuthNoPriv has no authentication and no "
		            "privacy: prefer security = \"authPriv\"", d->name);
		return;
	}
	/* RFC 3414 section 11.2: net-snmp refuses passphrases shorter than 8 */
	if (strlen(d->auth_pass) < 8)
		ft_diag_add(c->diag, true, d->file, d->line, "device %s: auth_password %s (8 characters or more, here "
		            "or in snmp_secrets)", d->name, d->auth_pass[0] ? "is shorter than 8 characters" : "is missing");
	if (d->level == FT_SNMP_AUTHPRIV && strlen(d->priv_pass) < 8)
		ft_diag_add(c->diag, true, d->file, d->line, "device %s: priv_password %s (8 characters or more, here "
		            "or in snmp_secrets)", d->name, d->priv_pass[0] ? "is shorter than 8 characters" : "is missing");
}

static void check_patterns(struct cctx *c);

/* Where tenants name interfaces by pattern or tag, an exporter address stands for one
 * device: an ifIndex names an interface of one agent, so an address given to two
 * devices would get rules derived from both for one ifIndex, which conflict when their
 * tenants differ and leave the map unbuilt.  (Without such rules a device's exporters
 * serve nothing else, and agents sharing an address on other ports are fine.) */
static void check_exporters(struct cctx *c)
{
	const struct ft_snmp_conf *sc = &c->cfg->snmp;
	if (!c->cfg->tenants.n_if_matches && !c->cfg->tenants.if_tag[0])
		return;
	for (size_t i = 0; i < sc->n_devices; i++) {
		const struct ft_snmp_device *d = &sc->devices[i];
		for (size_t e = 0; e < d->n_exporters; e++) {
			/* the first device (or earlier place in this one) with the same address */
			const struct ft_snmp_device *o = NULL;
			for (size_t j = 0; j <= i && !o; j++)
				for (size_t f = 0; f < (j == i ? e : sc->devices[j].n_exporters) && !o; f++)
					if (ft_addr_equal(&d->exporters[e], &sc->devices[j].exporters[f]))
						o = &sc->devices[j];
			if (!o)
				continue;
			char buf[FT_ADDR_STRLEN];
			ft_addr_format(&d->exporters[e], buf);
			if (o == d)
				ft_diag_add(c->diag, true, d->file, d->line, "device %s: exporter %s is given twice", d->name, buf);
			else
				ft_diag_add(c->diag, true, d->file, d->line, "device %s: exporter %s is device %s's too (line %d): "
				            "an ifIndex names an interface of one device", d->name, buf, o->name, o->line);
		}
	}
}

static void check(struct cctx *c, const config_t *lc)
{
	struct ft_snmp_conf *sc = &c->cfg->snmp;
	/* the book-keeping holds FT_SNMP_ACC_STEPS open steps an interface: an interval may
	 * span at most that many, less the two it may start and end inside */
	int64_t window_ms = (FT_SNMP_ACC_STEPS - 2) * c->cfg->agg.step_ms;
	if (sc->max_gap_ms < 0) {
		sc->max_gap_ms = 5 * (int64_t)sc->interval_s * 1000;
		if (sc->max_gap_ms > window_ms)
			sc->max_gap_ms = window_ms;
	} else if (sc->max_gap_ms > window_ms) {
		const config_setting_t *s = ft_config_top(lc, "snmp_max_gap");
		ft_diag_add(c->diag, true, c->file, s ? config_setting_source_line(s) : 0,
		            "snmp_max_gap = %lld: with a step of %lld s it can be at most %lld s (%d steps)",
		            (long long)(sc->max_gap_ms / 1000), (long long)(c->cfg->agg.step_ms / 1000),
		            (long long)(window_ms / 1000), FT_SNMP_ACC_STEPS - 2);
	}
	if (sc->secrets)
		read_secrets(c, lc);
	check_patterns(c);
	if (!sc->n_devices)
		return;
	int64_t step_s = c->cfg->agg.step_ms / 1000;
	if (step_s > 0 && sc->interval_s % step_s != 0 && step_s % sc->interval_s != 0) {
		const config_setting_t *s = ft_config_top(lc, "snmp_interval");
		ft_diag_add(c->diag, true, c->file, s ? config_setting_source_line(s) : 0,
		            "snmp_interval = %u: it must divide the step (%lld s) or be a multiple of it, so that polls "
		            "fall on the same step boundaries", sc->interval_s, (long long)step_s);
	}
	if (sc->max_gap_ms < (int64_t)sc->interval_s * 1000) {
		const config_setting_t *s = ft_config_top(lc, "snmp_max_gap");
		ft_diag_add(c->diag, true, c->file, s ? config_setting_source_line(s) : 0,
		            "snmp_max_gap (%lld s) is shorter than snmp_interval (%u s): every interval would be a gap",
		            (long long)(sc->max_gap_ms / 1000), sc->interval_s);
	}
	for (size_t i = 0; i < sc->n_devices; i++)
		check_device(c, &sc->devices[i]);
	check_exporters(c);
}

/* Interface patterns of the tenant map name devices the poller knows. */
static void check_patterns(struct cctx *c)
{
	const struct ft_tenant_conf *t = &c->cfg->tenants;
	for (size_t i = 0; i < t->n_if_matches; i++) {
		const struct ft_if_match *m = &t->if_matches[i];
		if (m->device[0] && !find(c->cfg, m->device))
			ft_diag_add(c->diag, true, m->at.file, m->at.line, "interfaces: no device %s in snmp_devices", m->device);
	}
	if ((t->n_if_matches || t->if_tag[0]) && !c->cfg->snmp.n_devices)
		ft_diag_add(c->diag, false, c->file, 0, "tenants name interfaces by %s, but no snmp_devices are polled: "
		            "those rules match nothing", t->n_if_matches ? "pattern" : "interface_tag");
}

static void done(struct ft_config *c)
{
	for (size_t i = 0; i < c->snmp.n_devices; i++) {
		struct ft_snmp_device *d = &c->snmp.devices[i];
		for (size_t j = 0; j < d->n_include; j++)
			free(d->include[j]);
		for (size_t j = 0; j < d->n_exclude; j++)
			free(d->exclude[j]);
		free(d->include);
		free(d->exclude);
	}
	free(c->snmp.devices);
	free(c->snmp.secrets);
}

const struct ft_config_section ft_config_snmp = {
	keys, sizeof(keys) / sizeof(keys[0]), init, check, done, NULL,
};
