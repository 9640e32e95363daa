"""Acme Academy's own pages: home, its sign-in and sign-out, and a study room that places
Stream's pieces (status bar, progress, report link, comments) in a template of its own."""

from django.conf import settings
from django.contrib.auth import login, logout
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from lessons.selectors import lessons_visible

from .forms import SignInForm


def home(request):
    return render(request, "site/home.html")


def sign_in(request):
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    form = SignInForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        login(request, form.member)
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    return render(request, "members/sign_in.html", {"form": form, "next": next_url})


@require_POST
def sign_out(request):
    logout(request)
    return redirect("home")


def study_room(request, lesson_id):
    lesson = lessons_visible(user=request.user).filter(pk=lesson_id).first()
    if lesson is None:
        raise Http404("No such lesson.")
    return render(request, "site/study_room.html", {"lesson": lesson})
