"""``/api/auth``: log in with email + password for a JWT; ``me`` describes the caller."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field

from serve.extensions import app_db, limiter
from serve.params import json_body
from serve.tokens import issue_access_token, require_user
from serve.users import authenticate

bp = Blueprint("auth", __name__, url_prefix="/api/auth")


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


@bp.post("/login")
@limiter.limit(lambda: str(current_app.config["MIAUFLIX_RATE_LIMIT_LOGIN"]))
def login() -> ResponseReturnValue:
    body = json_body(LoginRequest)
    user = authenticate(app_db(), body.email, body.password)
    response = jsonify(
        issue_access_token(user, int(current_app.config["MIAUFLIX_ACCESS_TOKEN_MINUTES"]))
    )
    return response


@bp.get("/me")
def me() -> ResponseReturnValue:
    user = require_user()
    return jsonify({"id": user.id, "email": user.email, "role": user.role})
