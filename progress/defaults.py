"""Stream's default levels and achievements, for a site that has none yet
(``manage.py stream_defaults``).

They are the demo's (``config/demo_content/progress.yml``) without what names the demo's own
courses and tags; a test keeps the two the same. Achievements' names and descriptions are in
English (what a page in a language without its own text shows) with Korean ``translations``;
levels keep their English names in Korean too, as the reference status bar reads ("Level 0 ·
Scout"). Staff rename them, and name them per language, in the admin.
"""

from .models import Achievement, Level

LEVELS = [
    {"number": 0, "name": "Scout", "min_xp": 0},
    {"number": 1, "name": "Explorer", "min_xp": 100},
    {"number": 2, "name": "Apprentice", "min_xp": 200},
    {"number": 3, "name": "Practitioner", "min_xp": 350},
    {"number": 4, "name": "Specialist", "min_xp": 500},
    {"number": 5, "name": "Expert", "min_xp": 650},
    {"number": 6, "name": "Master", "min_xp": 750},
]

ACHIEVEMENTS = [
    {
        "slug": "first-lesson",
        "name": "First steps",
        "description": "Every course starts with a single lesson.",
        "translations": {
            "ko": {"name": "첫걸음", "description": "모든 강좌는 레슨 하나에서 시작해요."}
        },
        "icon": "🌱",
        "rule_kind": "lessons_completed",
        "rule_params": {"count": 1},
        "xp": 10,
    },
    {
        "slug": "five-lessons",
        "name": "Getting going",
        "description": "Five lessons in: the basics start to connect.",
        "translations": {
            "ko": {
                "name": "시동 걸기",
                "description": "다섯 번째 레슨, 기초가 서로 이어지기 시작해요.",
            }
        },
        "icon": "📚",
        "rule_kind": "lessons_completed",
        "rule_params": {"count": 5},
        "xp": 20,
    },
    {
        "slug": "twenty-lessons",
        "name": "Deep reader",
        "description": "Twenty lessons, read closely.",
        "translations": {
            "ko": {"name": "정독가", "description": "스무 개의 레슨을 꼼꼼히 읽었어요."}
        },
        "icon": "🔭",
        "rule_kind": "lessons_completed",
        "rule_params": {"count": 20},
        "xp": 50,
    },
    {
        "slug": "three-in-a-day",
        "name": "Binge learner",
        "description": "A whole afternoon of learning.",
        "translations": {
            "ko": {"name": "몰입 학습자", "description": "하루를 온전히 공부에 쓴 날."}
        },
        "icon": "⚡",
        "rule_kind": "lessons_in_one_day",
        "rule_params": {"count": 3},
        "xp": 15,
    },
    {
        "slug": "three-day-streak",
        "name": "On a roll",
        "description": "Learning has become a habit.",
        "translations": {"ko": {"name": "상승세", "description": "공부가 습관이 되었어요."}},
        "icon": "🔥",
        "rule_kind": "streak_days",
        "rule_params": {"days": 3},
        "xp": 15,
    },
    {
        "slug": "xp-300",
        "name": "Three hundred",
        "description": "A milestone on the XP ladder.",
        "translations": {"ko": {"name": "삼백", "description": "XP 사다리의 이정표 하나."}},
        "icon": "💎",
        "rule_kind": "xp_at_least",
        "rule_params": {"xp": 300},
        "xp": 25,
    },
    {
        "slug": "first-comment",
        "name": "Joined the conversation",
        "description": "Your first comment: questions make lessons better.",
        "translations": {
            "ko": {"name": "대화 참여", "description": "첫 댓글: 질문이 레슨을 더 좋게 만들어요."}
        },
        "icon": "💬",
        "rule_kind": "first_comment",
        "rule_params": {},
        "xp": 10,
    },
]


def defaults_missing() -> tuple[list[dict], list[dict]]:
    """The default levels and achievements this site lacks, as ``definitions_load`` takes them.

    Levels come as a whole ladder, only to a site without any (mixing two ladders would make
    a strange one); achievements one by one, each whose slug is not taken, placed after the
    site's own. What the site has is never changed. 2 queries."""
    levels = [] if Level.objects.exists() else [dict(level) for level in LEVELS]
    held = dict(Achievement.objects.values_list("slug", "position"))
    last = max(held.values(), default=-1)
    missing = [dict(a) for a in ACHIEVEMENTS if a["slug"] not in held]
    for offset, achievement in enumerate(missing, start=last + 1):
        achievement["position"] = offset
    return levels, missing
