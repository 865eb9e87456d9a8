"""Generic webhook integration: implements the notify stage's ``Pager`` as a JSON POST.

Place in the flow: only the composition root (``alerter/app.py``/``cli``) imports this package.
Body building and signing (:mod:`.payload`) and classification (:mod:`.response`) are pure and
split from the I/O (:mod:`.pager`). ``slack=True`` speaks Slack's incoming-webhook format.
"""

from integrations.webhook.pager import WebhookPager
from integrations.webhook.payload import SIGNATURE_HEADER, signature

__all__ = ["SIGNATURE_HEADER", "WebhookPager", "signature"]
