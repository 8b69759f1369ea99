"""One JSON shape for every error the API returns.

::

    {"code": "validation_failed", "message": "提交的数据有误……",
     "errors": [{"field": "id_number", "code": "id_checksum", "message": "……"}]}

``code`` is stable for programs, ``message`` is in the request's language (Chinese by
default), ``errors`` lists the problems of single fields (empty when there are none).
Every path ends here: authentication, capability and scope refusals, unknown objects
and addresses, the registry's validation (``ValidationFailed``, whose codes are those
of ``registry.validation``), ninja's schema validation (pydantic), unreadable bodies,
wrong methods and unexpected exceptions (500, logged with the traceback).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import wraps
from http import HTTPStatus
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError

from yangguang.core import text
from yangguang.core.errors import Problem, ValidationFailed
from yangguang.core.locks import RETRY_AFTER_SECONDS, lock_not_available
from yangguang.registry.validation import MESSAGES as FIELD_MESSAGES

logger = logging.getLogger("yangguang.api")

#: The top-level codes, with their messages.
MESSAGES = {
    "validation_failed": _("提交的数据有误，请按各项提示修改"),
    "token_missing": _("缺少接口令牌：请在 Authorization 请求头中以“Bearer yg_…”的形式提供"),
    "token_invalid": _("接口令牌无效、已过期或已被吊销"),
    "forbidden": _("您的角色没有执行此操作的权限"),
    "not_found": _("请求的对象不存在"),
    "method_not_allowed": _("该地址不支持 {method} 请求"),
    "bad_request": _("请求无法解析：请求体应为 UTF-8 编码的 JSON"),
    "payload_too_large": _("请求体过大"),
    "throttled": _("请求过于频繁，请稍后再试"),
    "busy": _("残疾人信息库正在首次批量导入，暂时无法查询或修改，请稍后再试"),
    "server_error": _("服务器内部错误，请稍后重试；如问题持续，请联系系统管理员"),
}

#: Messages of the field problems found by the API itself (schema and scope checks).
PROBLEM_MESSAGES = {
    "unknown_field": _("不支持的字段“{name}”"),
    "type_invalid": _("{label}的数据类型不正确"),
    "value_invalid": _("{label}的值无效"),
    "choice_invalid": _("{label}的值不在可选范围内"),
    "too_small": _("{label}不能小于{limit}"),
    "too_large": _("{label}不能大于{limit}"),
    "text_invalid": text.MESSAGE,
    "reason_invalid": _("原因“{value}”不适用于此项状态变更"),
    "page_with_after": _("游标（after）不能与页码（page）同时使用"),
}

#: Field labels for the messages of schema problems.
LABELS = {
    "name": _("姓名"),
    "id_number": _("公民身份号码"),
    "certificate_number": _("残疾人证号"),
    "category": _("残疾类别"),
    "level": _("残疾等级"),
    "hukou_region": _("户籍地区划代码"),
    "issue_date": _("发证日期"),
    "sex": _("性别"),
    "birth_date": _("出生日期"),
    "ethnicity": _("民族"),
    "residence_region": _("居住地区划代码"),
    "phone": _("联系电话"),
    "household_number": _("家庭编号"),
    "relation_to_head": _("与户主关系"),
    "components": _("多重残疾明细"),
    "reissue_count": _("补发次数"),
    "status": _("状态"),
    "reason": _("原因"),
    "effective_date": _("生效日期"),
    "note": _("说明"),
    "region": _("区划代码"),
    "parent": _("上级区划"),
    "page": _("页码"),
    "page_size": _("每页条数"),
    "after": _("游标"),
}


class ApiError(HttpError):
    """An error response with one of the codes in ``MESSAGES``."""

    def __init__(self, status: int, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(status, code)


class TokenRejected(AuthenticationError):
    """The bearer token is missing (``token_missing``) or not accepted (``token_invalid``)."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(401, code)


def body(code: str, errors: Iterable[dict[str, str]] = (), **params: Any) -> dict[str, Any]:
    """The error document for ``code``."""
    return {"code": code, "message": str(MESSAGES[code]).format(**params), "errors": list(errors)}


def problem(code: str, field: str, **params: Any) -> Problem:
    """A field problem found by the API (codes in ``PROBLEM_MESSAGES``)."""
    return Problem(code=code, field=field, template=PROBLEM_MESSAGES[code], params=params)


def _field_errors(problems: Iterable[Problem]) -> list[dict[str, str]]:
    return [{"field": p.field, "code": p.code, "message": p.message} for p in problems]


def _label(field: str) -> str:
    return str(LABELS.get(field.split(".")[0], field))


# pydantic error type → our code; the rest are ``value_invalid``.
_SCHEMA_CODES = {
    "missing": "required",
    "extra_forbidden": "unknown_field",
    "string_too_long": "too_long",
    "string_pattern_mismatch": "text_invalid",
    text.CODE: "text_invalid",
    "greater_than": "too_small",
    "greater_than_equal": "too_small",
    "less_than": "too_large",
    "less_than_equal": "too_large",
    "literal_error": "choice_invalid",
    "enum": "choice_invalid",
}
_TYPE_ERRORS = {"string_type", "int_type", "int_parsing", "int_from_float", "float_type",
                "float_parsing", "bool_type", "bool_parsing", "list_type", "dict_type",
                "model_type", "model_attributes_type", "date_type", "date_parsing",
                "date_from_datetime_parsing", "string_unicode", "union_tag_invalid"}


def _schema_problem(error: dict[str, Any]) -> Problem:
    """A pydantic error (as ninja reports it, ``input`` removed) as a field problem."""
    source, *rest = [str(part) for part in error["loc"]]
    if source == "body" and rest:
        rest = rest[1:]  # the name of the body parameter (``payload``)
    field = ".".join(rest) or source
    kind = error["type"]
    ctx = error.get("ctx") or {}
    code = _SCHEMA_CODES.get(kind, "type_invalid" if kind in _TYPE_ERRORS else "value_invalid")
    label = _label(field)
    if code == "required":
        return Problem(code, field, FIELD_MESSAGES["required"], {"label": label})
    if code == "too_long":
        return Problem(code, field, FIELD_MESSAGES["too_long"],
                       {"label": label, "max": ctx.get("max_length", "")})
    limit = next((ctx[k] for k in ("ge", "gt", "le", "lt") if k in ctx), "")
    return problem(code, field, label=label, name=field, limit=limit)


def _respond(api: NinjaAPI, request: HttpRequest, status: int, document: dict[str, Any]
            ) -> HttpResponse:
    return api.create_response(request, document, status=status)


def install(api: NinjaAPI) -> None:
    """Replace ninja's default exception handlers with ones answering in our shape."""

    def validation_failed(request: HttpRequest, exc: ValidationFailed) -> HttpResponse:
        return _respond(api, request, 422,
                       body("validation_failed", _field_errors(exc.problems)))

    def schema_invalid(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
        problems = [_schema_problem(e) for e in exc.errors]
        return _respond(api, request, 422, body("validation_failed", _field_errors(problems)))

    def token_rejected(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = _respond(api, request, 401, body(getattr(exc, "code", "token_invalid")))
        response["WWW-Authenticate"] = 'Bearer realm="yangguang"'
        return response

    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return _respond(api, request, exc.status_code, body(exc.code, **exc.params))

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = {400: "bad_request", 403: "forbidden", 404: "not_found", 413: "payload_too_large",
                429: "throttled"}.get(exc.status_code, "bad_request")
        return _respond(api, request, exc.status_code, body(code))

    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return _respond(api, request, 404, body("not_found"))

    def too_large(request: HttpRequest, exc: Exception) -> HttpResponse:
        return _respond(api, request, 413, body("payload_too_large"))

    def bad_request(request: HttpRequest, exc: Exception) -> HttpResponse:
        return _respond(api, request, 400, body("bad_request"))

    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        if lock_not_available(exc):  # a first load holds the tables (core.locks)
            response = _respond(api, request, 503, body("busy"))
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        logger.error("API %s %s failed", request.method, request.path,
                     exc_info=(type(exc), exc, exc.__traceback__))
        return _respond(api, request, 500, body("server_error"))

    handlers: list[tuple[type[Exception], Any]] = [
        (ValidationFailed, validation_failed),
        (SchemaValidationError, schema_invalid),
        (AuthenticationError, token_rejected),
        (ApiError, api_error),
        (HttpError, http_error),
        (Http404, not_found),
        (ObjectDoesNotExist, not_found),
        (RequestDataTooBig, too_large),
        (SuspiciousOperation, bad_request),
        (Exception, server_error),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)


# ---------------------------------------------------------------------------
# Errors answered by Django before ninja sees the request


@csrf_exempt  # else a POST to an unknown address would get the CSRF middleware's HTML 403
def json_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any address under /api/ that no route matches."""
    return _json(body("not_found"), 404)


def json_errors(view: Any) -> Any:
    """Wrap a ninja path view so that the answers ninja gives outside its exception
    handlers have our shape too: its 405 (plain text), the 404 of its root view, and a 500
    if a handler itself fails; and so that no answer is cached (``no-store``)."""

    @wraps(view)  # keeps ninja's csrf_exempt flag, and __wrapped__ for introspection
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = _answer(request, *args, **kwargs)
        # Answers carry personal data (errors echo submitted values): no cache may keep them.
        add_never_cache_headers(response)
        return response

    def _answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:  # ninja's root view (/api/v1/), which has no docs page to redirect to
            return _json(body("not_found"), 404)
        except Exception:
            logger.exception("API %s %s failed", request.method, request.path)
            return _json(body("server_error"), 500)
        if response.status_code == HTTPStatus.METHOD_NOT_ALLOWED and \
                not response.get("Content-Type", "").startswith("application/json"):
            allowed = response.get("Allow", "")
            response = _json(body("method_not_allowed", method=request.method), 405)
            response["Allow"] = allowed
        return response

    return wrapper


def _json(document: dict[str, Any], status: int) -> HttpResponse:
    return JsonResponse(document, status=status, json_dumps_params={"ensure_ascii": False})
