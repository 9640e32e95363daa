"""``CachedPageMiddleware``: visitors' lesson pages answered before the rest of the stack.

Optional. Put it right after ``SecurityMiddleware`` and any middleware that adds headers to
every response (a Content-Security-Policy, whitenoise), before ``SessionMiddleware``::

    MIDDLEWARE = [
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "lessons.middleware.CachedPageMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        ...
    ]

A visitor's ``GET`` that carries no cookie but the CSRF and language ones, shaped exactly like
a request this worker already answered from the page cache through the whole stack, gets the
same cached page without the session, locale, CSRF, authentication and message middleware or
URL resolving (about half of such a request's time). Everything else — signed-in learners,
any other cookie, another path, a page not in this worker's copies — goes down the stack
unchanged. See ``lessons.page_cache`` ("Visitors' pages before the rest of the stack").
"""

from .page_cache import early_response


class CachedPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = early_response(request)
        if response is None:
            response = self.get_response(request)
        return response
