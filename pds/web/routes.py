"""The web UI: every page, behind one router that knows who is signed in and shows errors as pages.

Pages are server-rendered (Jinja2, no script needed) and answer `Cache-Control: no-store`: what
they show is personal and phones are often shared.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from pds.web.guard import page_exception_handlers
from pds.web.i18n import template_environment
from pds.web.pages.activity import ACTIVITY_HANDLERS
from pds.web.pages.auditor import AUDITOR_HANDLERS
from pds.web.pages.auth import AUTH_HANDLERS
from pds.web.pages.common import AUDITOR_NAV, NO_STORE, PERSON_NAV, page_dependencies
from pds.web.pages.connections import CONNECTION_HANDLERS
from pds.web.pages.receipts import RECEIPT_HANDLERS
from pds.web.pages.records import RECORD_HANDLERS
from pds.web.pages.recovery import RECOVERY_HANDLERS
from pds.web.pages.settings import SETTINGS_HANDLERS

TEMPLATES = Path(__file__).parent / "templates"


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """Jinja with the UI's languages and menus."""
    environment = template_environment(TEMPLATES)
    environment.globals["person_nav"] = PERSON_NAV
    environment.globals["auditor_nav"] = AUDITOR_NAV
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))


def web_routes() -> list[Router]:
    return [
        Router(
            path="/",
            route_handlers=[
                *AUTH_HANDLERS,
                *RECORD_HANDLERS,
                *CONNECTION_HANDLERS,
                *SETTINGS_HANDLERS,
                *RECOVERY_HANDLERS,
                *RECEIPT_HANDLERS,
                *ACTIVITY_HANDLERS,
                *AUDITOR_HANDLERS,
            ],
            dependencies=page_dependencies(),
            exception_handlers=page_exception_handlers(),
            cache_control=NO_STORE,
            include_in_schema=False,
        )
    ]
