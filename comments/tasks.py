"""The comments app's background work (see lessons.background): what a reply sets off beyond
its own row, run after the reply's transaction commits by whichever backend the site's
``TASKS`` setting names. Each task takes ids, re-reads what it needs and is safe to run twice.
"""

from lessons.background import task


@task()
def reply_notify(*, reply_id: int, site_url: str = "") -> dict:
    """Notify the subscribers of reply ``reply_id``'s thread, then email those who want it.

    A second run, or one overlapping the first, notifies and emails nobody twice: notifications
    are unique per recipient and reply, and each is emailed once (``Notification.emailed_at``).
    A reply hidden or deleted before this runs notifies nobody. An email that could not be sent
    is left for the next run, and the task fails so the backend shows it.
    """
    from . import emails, services

    notified = services.reply_notifications_create(reply_id=reply_id)
    emailed = emails.reply_emails_send(reply_id=reply_id, site_url=site_url)
    return {"notified": len(notified), "emailed": emailed}
