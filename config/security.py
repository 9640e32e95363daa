"""The demo site's Content-Security-Policy, one mechanism on Django 5.2 and 6.x alike.

Django 6.0 brought ``SECURE_CSP`` and its own middleware; Django 5.2 has neither, and Stream
supports both. This small middleware reads ``CONTENT_SECURITY_POLICY`` (a dict of directive to
sources) and ``CONTENT_SECURITY_POLICY_PATHS`` (path prefix to directives that replace the
site-wide ones under that prefix), and sets the header on every response that has none yet.
Every script on Stream's pages is a static file (``<script type="module" src=...>``), and every
style a stylesheet, so the policy needs neither ``'unsafe-inline'`` nor nonces.
"""

from django.conf import settings

HEADER = "Content-Security-Policy"
REPORT_ONLY_HEADER = "Content-Security-Policy-Report-Only"


def policy_header(policy: dict) -> str:
    """``{"default-src": ["'self'"], ...}`` → ``default-src 'self'; ...``."""
    parts = []
    for directive, sources in policy.items():
        if sources is None:
            continue
        if isinstance(sources, str):
            sources = [sources]
        parts.append(" ".join([directive, *sources]).strip())
    return "; ".join(parts)


def policy_for_path(path: str) -> dict:
    """The site-wide policy with the overrides of the longest matching path prefix."""
    policy = dict(getattr(settings, "CONTENT_SECURITY_POLICY", None) or {})
    overrides = getattr(settings, "CONTENT_SECURITY_POLICY_PATHS", None) or {}
    matches = [prefix for prefix in overrides if path.startswith(prefix)]
    if matches:
        policy.update(overrides[max(matches, key=len)])
    return policy


def _is_debug_page(response) -> bool:
    """Django's technical 404 and 500 pages, which DEBUG shows instead of the site's own: they
    style themselves with inline ``<style>`` the policy refuses, so the first page a developer
    sees would be unstyled. (With DEBUG on, every 404 and 500 HTML page counts as one.)"""
    return response.status_code in (404, 500) and response.get("Content-Type", "").startswith(
        "text/html"
    )


class ContentSecurityPolicyMiddleware:
    """Adds the policy to responses (``CONTENT_SECURITY_POLICY_REPORT_ONLY`` to try one out)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._headers = {}

    def __call__(self, request):
        response = self.get_response(request)
        header = (
            REPORT_ONLY_HEADER
            if getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", False)
            else HEADER
        )
        if settings.DEBUG and _is_debug_page(response):
            return response
        if header not in response and HEADER not in response:
            value = policy_header(policy_for_path(request.path))
            if value:
                response[header] = value
        return response
