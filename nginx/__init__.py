"""The production nginx front: one template, rendered by ansible or :func:`render_nginx_config`."""

from nginx.render import NginxOptions, NginxOptionsError, render_nginx_config, template_text

__all__ = ["NginxOptions", "NginxOptionsError", "render_nginx_config", "template_text"]
