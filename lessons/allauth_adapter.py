"""django-allauth's default account adapter under Stream's sign-in policy (``lessons.signin``):
``ACCOUNT_ADAPTER = "lessons.allauth_adapter.AccountAdapter"``. A site with its own adapter
adds :class:`lessons.signin.SignInPolicyAdapterMixin` to its bases instead."""

from allauth.account.adapter import DefaultAccountAdapter

from .signin import SignInPolicyAdapterMixin


class AccountAdapter(SignInPolicyAdapterMixin, DefaultAccountAdapter):
    pass
