"""The API object: version 1, bearer-token auth, our error shape, one router per resource."""

from __future__ import annotations

from ninja import NinjaAPI, Swagger
from ninja.operation import Operation
from ninja.renderers import JSONRenderer

from yangguang.api import (
    benefits,
    cases,
    certificates,
    errors,
    households,
    matching,
    needs,
    payrolls,
    persons,
    plans,
    regions,
    surveys,
    verification,
)
from yangguang.api.auth import BearerToken

DESCRIPTION = """\
阳光平台接口（第1版）。

- 认证：每个请求带 `Authorization: Bearer yg_…` 请求头；
  令牌由 `yangguang token create --user 用户名` 签发，只显示一次。
  唯一的例外是电子证照核验 `GET /verify/{token}`：任何人扫码即可核验，按客户端地址限速（超出时返回 429）。
- 范围：与页面相同，只能读写您的角色所管辖地区的数据；范围外的对象与不存在的对象一样返回 404；
  角色在任何地区都没有某项权限时返回 403。
- 隐私：响应中的公民身份号码和残疾人证号一律遮蔽，接口不提供完整号码；唯一的例外是发放表的银行发放文件
  `GET /payrolls/{payroll_id}/bank-file`（银行按公民身份号码入账）：需导出权限，每次记一条“导出”事件。
- 审计：每次查看残疾人、残疾人证或家庭详情记一条“查看”事件；残疾人和残疾人证的每次列表查询记一条“查看”事件，
  含返回的编号与查询条件。区划是公开的参考数据，不记录。
- 错误：所有错误都是同一格式 `{"code", "message", "errors": [{"field", "code", "message"}]}`；
  字段错误代码与导入模板相同（如 `id_checksum`、`region_unknown`）。
- 分页：`?page=&page_size=`（每页最多100条），返回 `count`、`next`、`previous`、`results`。
  逐页读取全部数据时用游标 `?after=0&page_size=100`，再依次请求响应中的 `next`：
  页码越大越慢（数据库要跳过前面的全部记录），游标每页一样快；用游标时不计总数（`count` 为 null）。
"""


class Renderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


class YangguangAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        """The view's name (``list_persons``), for readable generated clients."""
        return operation.view_func.__name__


api = YangguangAPI(
    title="阳光 Yangguang API",
    version="1.0.0",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=BearerToken(),
    renderer=Renderer(),
    # The documentation page, /api/v1/docs: Swagger UI as django-ninja ships it (its
    # files served from our own static files, no CDN: "ninja" is an installed app;
    # its page is templates/ninja/swagger.html), and no validator badge, which
    # would send the document to validator.swagger.io.
    docs=Swagger(settings={"validatorUrl": None}),
    docs_url="/docs",
)
errors.install(api)
api.add_router("", persons.router)
api.add_router("", certificates.router)
api.add_router("", cases.router)
api.add_router("", households.router)
api.add_router("", surveys.router)
api.add_router("", needs.router)
api.add_router("", regions.router)
api.add_router("", verification.router)
api.add_router("", plans.router)
api.add_router("", benefits.router)
api.add_router("", payrolls.router)
api.add_router("", matching.router)
