"""The fake Trakt's activation page (``/trakt/_sandbox/activate``): where a person enters the
device code offline, as they would at trakt.tv/activate, and approves or denies it.

The fake's device codes point ``verification_url`` here, so ``miauflix demo`` can be linked
by hand with no network. A form post (``user_code``, ``username``, ``decision``) answers a
small HTML page; everything echoed is escaped.
"""

from __future__ import annotations

import html
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from sandbox.trakt_oauth import TraktAuth

MAX_FORM_BYTES = 4096
_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Activate a device (sandbox Trakt)</title></head><body><main>
<h1>Activate a device</h1><p>{message}</p>
<form method="post"><label for="code">Code</label>
<input id="code" name="user_code" value="{code}" required maxlength="16" autocomplete="off">
<label for="username">Trakt username</label>
<input id="username" name="username" value="demo" required maxlength="40">
<button name="decision" value="approve">Approve</button>
<button name="decision" value="deny">Deny</button></form></main></body></html>"""


class ActivatePage:
    def __init__(self, auth: TraktAuth) -> None:
        self.auth = auth

    async def page(self, request: Request) -> Response:
        if request.method == "GET":
            code = request.query_params.get("code", "")[:16]
            return self._render("Enter the code your device shows.", code)
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            return self._render("That form is too large.", "", 413)
        form = parse_qs(body.decode("utf-8", "replace"))
        code = form.get("user_code", [""])[0].strip()[:16]
        username = form.get("username", ["demo"])[0].strip()[:40] or "demo"
        decision = form.get("decision", [""])[0]
        if decision not in ("approve", "deny"):
            return self._render("Choose Approve or Deny.", code, 400)
        if not self.auth.decide(code, username, decision == "approve"):
            return self._render("No device is waiting for that code.", code, 404)
        done = "approved: the device is linked" if decision == "approve" else "denied"
        return self._render(f"Code {code} {done}.", "")

    @staticmethod
    def _render(message: str, code: str, status: int = 200) -> Response:
        page = _PAGE.format(message=html.escape(message), code=html.escape(code, quote=True))
        return HTMLResponse(page, status_code=status)
