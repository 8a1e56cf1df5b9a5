"""Every user-facing string (Russian) and the small formatters around them.

Split by audience; everything is re-exported here, so callers write `texts.NAME`.
"""

from bot.texts.causes import *  # noqa: F403
from bot.texts.diagnose import *  # noqa: F403
from bot.texts.places import *  # noqa: F403
from bot.texts.reviews import *  # noqa: F403
from bot.texts.telegram import *  # noqa: F403
