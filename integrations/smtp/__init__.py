"""E-mail integration: implements the notify stage's ``Pager`` over SMTP, plus digests.

Place in the flow: only the composition root (``alerter/app.py``/``cli``) imports this package.
Message building (:mod:`.message`, jinja2 templates in ``templates/``) and reply classification
(:mod:`.replies`) are pure and split from the I/O (:mod:`.pager`, stdlib smtplib in a thread).
"""

from integrations.smtp.pager import SmtpPager

__all__ = ["SmtpPager"]
