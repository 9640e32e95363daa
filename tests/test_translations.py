"""Korean and English catalogues ship complete, compiled, and in step with the source."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.test import Client
from django.utils import translation

ROOT = Path(__file__).resolve().parents[1]
APPS = ("lessons", "progress", "comments", "config")
CATALOGUES = sorted(
    path for base in APPS for path in (ROOT / base / "locale").glob("*/LC_MESSAGES/django.po")
)


def test_both_languages_ship_for_every_app():
    found = {(path.parts[-5], path.parts[-3]) for path in CATALOGUES}
    assert found == {(app, lang) for app in APPS for lang in ("ko", "en")}


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_is_complete_and_compiled(path):
    po = polib.pofile(str(path))
    assert not po.untranslated_entries(), [e.msgid for e in po.untranslated_entries()]
    assert not po.fuzzy_entries(), [e.msgid for e in po.fuzzy_entries()]
    mo = polib.mofile(str(path.with_suffix(".mo")))
    compiled = {(e.msgctxt, e.msgid): e for e in mo}
    stale = []
    for entry in po.translated_entries():
        found = compiled.get((entry.msgctxt, entry.msgid))
        if entry.msgid_plural:
            wanted = {int(k): v for k, v in entry.msgstr_plural.items()}
            same = (
                found is not None and {int(k): v for k, v in found.msgstr_plural.items()} == wanted
            )
        else:
            same = found is not None and found.msgstr == entry.msgstr
        if not same:
            stale.append(entry.msgid)
    assert not stale, f"{path.with_suffix('.mo')} is out of date (run make messages): {stale}"


@pytest.mark.skipif(not shutil.which("xgettext"), reason="GNU gettext (xgettext) is not installed")
def test_catalogues_hold_every_string_in_the_source(tmp_path):
    # given a copy of the source, with catalogues extracted afresh
    for name in (*APPS, "templates"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("*.mo"))
    shutil.copy(ROOT / "manage.py", tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ko", "--no-location", "-v", "0"],
        cwd=tmp_path,
        check=True,
    )

    # then every extracted string is in the committed Korean catalogue
    for base in APPS:
        fresh = polib.pofile(str(tmp_path / base / "locale/ko/LC_MESSAGES/django.po"))
        shipped = polib.pofile(str(ROOT / base / "locale/ko/LC_MESSAGES/django.po"))
        known = {(e.msgctxt, e.msgid) for e in shipped if not e.obsolete}
        missing = [e.msgid for e in fresh if (e.msgctxt, e.msgid) not in known]
        assert not missing, f"{base}: run `make messages` and translate: {missing}"


@pytest.mark.django_db
def test_pages_speak_korean_at_their_address_and_english_under_en():
    # the language is in the address: the browser's wish does not change the Korean page
    korean = Client(HTTP_ACCEPT_LANGUAGE="en").get("/").content.decode()
    english = Client().get("/en/").content.decode()

    with translation.override("ko"):
        assert translation.gettext("Courses") != "Courses"
        assert translation.gettext("Courses") in korean
    assert '<h1 id="catalogue-title">Courses</h1>' in english
    assert 'lang="ko"' in korean and 'lang="en"' in english


@pytest.mark.parametrize(
    "msgid",
    ["Lesson %(number)s of %(total)s · %(status)s", "External links", "Exercise", "published"],
)
def test_reference_labels_read_as_on_the_reference_page_in_korean(msgid):
    with translation.override("ko"):
        assert translation.gettext(msgid) == msgid


def test_korean_calls_a_course_by_one_word():
    # the catalogue, breadcrumbs and achievements say 강좌; prerequisites said 코스 for the same
    # thing ("이 코스 전에" under the breadcrumb "강좌")
    said = [
        (path.parts[-5], entry.msgid)
        for path in CATALOGUES
        if path.parts[-3] == "ko"
        for entry in polib.pofile(str(path))
        if "코스" in entry.msgstr or any("코스" in text for text in entry.msgstr_plural.values())
    ]
    assert not said, said
