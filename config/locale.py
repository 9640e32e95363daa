"""The demo's language choice: Django's ``LocaleMiddleware``, with two adjustments for a site
whose pages carry their language in the address (``i18n_patterns``, Korean unprefixed).

- Addresses outside ``i18n_patterns`` (the API, the admin, the accounts pages) keep choosing
  their language from the language cookie and ``Accept-Language``. Django would answer them all
  in ``LANGUAGE_CODE`` once ``i18n_patterns`` are used without a prefix for the default
  language.
- Pages inside ``i18n_patterns`` get no ``Vary: Accept-Language``: their address alone chose
  the language (``/courses/…`` Korean, ``/en/courses/…`` English), so a shared cache keeps one
  copy per address.
"""

import functools

from django.conf import settings
from django.core.signals import setting_changed
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.urls import is_valid_path
from django.utils import translation


def _language_in_address(request) -> bool:
    """Whether ``i18n_patterns`` serve this path (with or without a language prefix)."""
    path = request.path_info
    if translation.get_language_from_path(path):
        return True
    return _unprefixed_in_patterns(path, getattr(request, "urlconf", None))


@functools.lru_cache(maxsize=4096)
def _unprefixed_in_patterns(path: str, urlconf) -> bool:
    # Resolving a path under each prefix costs about 60 us, a tenth of a kept page's answer,
    # and the answer depends on the path and the URLconf alone: kept for the most recent
    # paths (bounded; forgotten when the URLconf or the languages change).
    # A page of i18n_patterns resolves under another language's prefix too (each language
    # matches its own prefix only, so the check runs with that language active).
    for code, _ in settings.LANGUAGES:
        if code != settings.LANGUAGE_CODE:
            with translation.override(code):
                if is_valid_path(f"/{code}{path}", urlconf):
                    return True
    return False


def _forget_paths(*, setting, **kwargs):
    if setting in {"ROOT_URLCONF", "LANGUAGES", "LANGUAGE_CODE"}:
        _unprefixed_in_patterns.cache_clear()


setting_changed.connect(_forget_paths, dispatch_uid="stream-demo-locale-paths")


class LocaleMiddleware(DjangoLocaleMiddleware):
    def process_request(self, request):
        request.stream_language_in_address = _language_in_address(request)
        super().process_request(request)
        if not request.stream_language_in_address:
            language = translation.get_language_from_request(request, check_path=False)
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        response = super().process_response(request, response)
        if getattr(request, "stream_language_in_address", False) and response.has_header("Vary"):
            kept = [
                field.strip()
                for field in response.headers["Vary"].split(",")
                if field.strip().lower() != "accept-language"
            ]
            if kept:
                response.headers["Vary"] = ", ".join(kept)
            else:
                del response.headers["Vary"]
        return response
