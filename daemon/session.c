/* The one-shot commands' way in and out of vCenter: log in to vim25 and vAPI with one read of the
 * password, gather the tagged VMs' facts, log out. (`run` keeps its own session: it must survive.) */
#include <string.h>

#include "nestwarden.h"
#include "secret.h"

int session_open(const nw_config *cfg, const nw_http_opts *hooks, nw_session *s, nw_err *err) {
        _cleanup_secret_ char *password = NULL;
        nw_http_opts opts = hooks ? *hooks : (nw_http_opts) {};
        int r;

        *s = (nw_session) {};
        r = secret_read(cfg, &password, err);
        if (r < 0)
                return r;
        opts.insecure = cfg->vcenter.insecure;
        opts.ca_file = cfg->vcenter.ca_file;
        opts.thumbprint = cfg->vcenter.thumbprint;
        opts.timeout = (long) cfg->vcenter.timeout;
        opts.max_body = (size_t) cfg->vcenter.max_reply_size;
        r = nw_http_new(&opts, &s->http, err);
        if (r >= 0)
                r = vim_connect(s->http, cfg->vcenter.url, &s->vc, err);
        if (r >= 0) {
                r = vim_login(s->vc, cfg->vcenter.user, password, err);
                if (r == -NW_ELOGIN)
                        nw_errf(err, r, "login as '%s' refused (InvalidLogin): check user and password",
                                cfg->vcenter.user);
        }
        if (r >= 0)
                r = vapi_login(s->http, cfg->vcenter.url, cfg->vcenter.user, password, &s->tags, err);
        if (r < 0)
                session_done(s);
        return r;
}

int session_gather(const nw_config *cfg, nw_session *s, bool blast_radius, inventory_ctx *ret, nw_err *err) {
        int r;

        nw_strv_done(&s->vms);
        r = vapi_attached_vms(s->tags, cfg->selection.tag_category, cfg->selection.tag, &s->vms, err);
        if (r < 0)
                return r;
        return inventory_gather(s->vc, &s->vms, cfg->policy.standard_portgroups, blast_radius, cfg->vcenter.page_size,
                                ret, err);
}

void session_close(nw_session *s) {
        nw_err ignored;

        if (s->tags)
                (void) vapi_logout(s->tags, &ignored);
        if (s->vc)
                (void) vim_logout(s->vc, &ignored);
        session_done(s);
}

void session_done(nw_session *s) {
        unsigned long requests;

        requests = s->http ? nw_http_requests(s->http) : s->requests;
        vapi_free(s->tags);
        vim_free(s->vc);
        nw_http_free(s->http);
        nw_strv_done(&s->vms);
        *s = (nw_session) { .requests = requests };
}
