"""The REST API's shared pieces: the JSON error shape every Stream endpoint answers with."""

from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """DRF's handler, with every error body shaped ``{"detail": ..., "code": ...}``.

    Field errors keep DRF's ``{"field": ["message"]}`` mapping under ``"errors"`` so clients can
    show them next to their inputs. Set ``REST_FRAMEWORK["EXCEPTION_HANDLER"]`` to this.
    """
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    codes = exc.get_codes() if hasattr(exc, "get_codes") else None
    if isinstance(data, dict) and set(data) == {"detail"}:
        code = codes if isinstance(codes, str) else getattr(exc, "default_code", "error")
        response.data = {"detail": str(data["detail"]), "code": code}
    else:
        response.data = {
            "detail": str(getattr(exc, "default_detail", "Invalid input.")),
            "code": getattr(exc, "default_code", "invalid"),
            "errors": data,
        }
    return response
