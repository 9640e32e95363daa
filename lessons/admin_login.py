"""The Django admin's sign-in under Stream's sign-in policy (``lessons.signin``).

The admin's login view checks passwords with its own form, which no other sign-in page's limits
reach. :class:`AdminLoginForm` checks the policy first, so an account or address locked on any
way in (allauth's page, the API's token endpoint, a host's own sign-in) is locked here too, and
failures here count everywhere. A host opts in with one line, e.g. in its ``urls.py``::

    from django.contrib import admin
    from lessons.admin_login import AdminLoginForm

    admin.site.login_form = AdminLoginForm

It works with or without allauth.
"""

from django.contrib.admin.forms import AdminAuthenticationForm

from .signin import client_ip, signin_check

__all__ = ["AdminLoginForm", "client_ip"]


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's sign-in form, refusing what the sign-in policy refuses before it checks the
    password (a locked attempt costs no password hash and tells a guesser nothing). Failures
    are counted by the policy's ``user_login_failed`` receiver, successes cleared by its
    ``user_logged_in`` one."""

    def clean(self):
        if self.request is not None:
            signin_check(request=self.request, login=self.cleaned_data.get("username") or "")
        return super().clean()
