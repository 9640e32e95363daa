"""Stream's one Markdown pipeline (interim version; being replaced by the full pipeline)."""

import markdown
import nh3


def render_lesson_markdown(text: str) -> str:
    html = markdown.markdown(text or "", extensions=["fenced_code", "tables"])
    return nh3.clean(html)
