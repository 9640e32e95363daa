"""The template Stream's pages extend: the host's base template, with its own block names.

Every page does ``{% extends stream_base_template %}`` and fills the blocks ``title``,
``extra_head``, ``content`` and ``scripts``. With ``STREAM["BASE_TEMPLATE_BLOCKS"]`` unset,
``stream_base_template`` is ``STREAM["BASE_TEMPLATE"]`` itself, which must define those four
blocks (``stream/base.html`` does). A host whose base template names its blocks otherwise maps
them::

    STREAM = {
        "BASE_TEMPLATE": "site/layout.html",
        "BASE_TEMPLATE_BLOCKS": {
            "title": "page_title", "head": "head_extra", "content": "body", "scripts": "footer_js",
        },
    }

A Django template cannot take a block name from a variable, so for such a mapping we compile a
small layout template once (per base and mapping) that extends the host's base and nests our
blocks inside the host's: ``{% block body %}{% block content %}{% endblock %}{% endblock %}``.
The layout also adds what ``stream/base.html`` would have added: ``STREAM["SITE_NAME"]`` after
the page's title (the host's title block holds the whole title), Stream's stylesheets (before
the host's own head content, so the host's styles win) and the ``page_head`` and
``page_scripts`` slots.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.template import engines

from .conf import lessons_settings

BLOCK_ROLES = ("title", "head", "content", "scripts")
REQUIRED_ROLES = ("head", "content", "scripts")
_BLOCK_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Our block for each role, and what the layout puts around it inside the host's block.
OUR_BLOCKS = {"title": "title", "head": "extra_head", "content": "content", "scripts": "scripts"}
_AROUND = {
    # The page's own title, then the site's name, as stream/base.html writes them.
    "title": ("", ' · {% stream_setting "SITE_NAME" %}'),
    "head": (
        '{% include "stream/includes/page_assets.html" %}{{ block.super }}',
        '{% stream_slot "page_head" %}',
    ),
    "content": ('<div class="stream-page">', "</div>"),
    "scripts": (
        "{{ block.super }}",
        '{% include "stream/includes/viewer_config.html" %}{% stream_slot "page_scripts" %}',
    ),
}


def blocks_problems(blocks) -> list[str]:
    """What is wrong with a ``BASE_TEMPLATE_BLOCKS`` value, in words (empty when it is fine)."""
    if blocks is None:
        return []
    if not isinstance(blocks, dict):
        return [f"it must be a dict or None, not {type(blocks).__name__}"]
    problems = []
    unknown = sorted(set(blocks) - set(BLOCK_ROLES))
    if unknown:
        problems.append(f"unknown keys {unknown} (the keys are {list(BLOCK_ROLES)})")
    for role in REQUIRED_ROLES:
        if not blocks.get(role):
            problems.append(f"the key {role!r} is missing")
    for role in BLOCK_ROLES:
        name = blocks.get(role)
        if name is not None and not (isinstance(name, str) and _BLOCK_NAME.match(name)):
            problems.append(f"{role!r} must name a block (letters, digits, _), not {name!r}")
    names = [blocks[role] for role in BLOCK_ROLES if blocks.get(role)]
    if len(set(names)) != len(names):
        problems.append("two roles name the same block")
    for role, name in blocks.items():
        if name in OUR_BLOCKS.values() and name != OUR_BLOCKS.get(role):
            problems.append(
                f"{role!r} may not name {name!r}: Stream's pages use that block for another role"
            )
    return problems


def _django_engine():
    for engine in engines.all():
        if engine.__class__.__name__ == "DjangoTemplates":
            return engine
    raise ImproperlyConfigured("Stream's pages need a DjangoTemplates engine in TEMPLATES.")


@lru_cache(maxsize=8)
def _layout(base: str, blocks: tuple[tuple[str, str | None], ...]):
    if any(mark in base for mark in ('"', "{", "}", "%")):
        raise ImproperlyConfigured(f"STREAM['BASE_TEMPLATE'] is not a template name: {base!r}")
    parts = [f'{{% extends "{base}" %}}{{% load stream_lessons %}}']
    for role, host_block in blocks:
        if not host_block:
            continue
        before, after = _AROUND[role]
        ours = OUR_BLOCKS[role]
        # A host block with our own name already is our block: the page fills it directly
        # (Django refuses a block nested in one of the same name).
        inner = "" if host_block == ours else f"{{% block {ours} %}}{{% endblock %}}"
        parts.append(f"{{% block {host_block} %}}{before}{inner}{after}{{% endblock %}}")
    return _django_engine().from_string("\n".join(parts))


def base_template():
    """What Stream's pages extend: a template name, or the compiled layout for a block mapping.

    Raises ``ImproperlyConfigured`` for a malformed ``BASE_TEMPLATE_BLOCKS`` (the system check
    ``stream_lessons.E002`` reports the same at start-up).
    """
    blocks = lessons_settings.BASE_TEMPLATE_BLOCKS
    if blocks is None:
        return lessons_settings.BASE_TEMPLATE
    problems = blocks_problems(blocks)
    if problems:
        raise ImproperlyConfigured("STREAM['BASE_TEMPLATE_BLOCKS']: " + "; ".join(problems))
    key = tuple((role, blocks.get(role)) for role in BLOCK_ROLES)
    return _layout(lessons_settings.BASE_TEMPLATE, key)


def _forget_layouts(*, setting, **kwargs):
    # A compiled layout belongs to the template engine of its time; TEMPLATES makes a new one.
    if setting in {"TEMPLATES", "STREAM"}:
        _layout.cache_clear()


setting_changed.connect(_forget_layouts)
