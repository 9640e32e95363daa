"""Ralph's LRS application as the xAPI tests run it (in Ralph's own virtualenv, by uvicorn).

Ralph 5.1 neither checks a request's X-Experience-API-Version header nor sends one back,
which the xAPI specification asks of every LRS (xAPI-Communication, "Versioning"): a request
without a supported version is refused with 400, and every answer names the version. This
wrapper adds exactly that around Ralph's own app, so the tests prove that Stream sends the
header, and read it back on the LRS's answers.

Ralph's file-system LRS backend writes each batch with the operation "create", which refuses
to write to a file that exists: the first batch is stored and every later one fails with 500.
Here it appends instead, as a store of statements must.
"""

from ralph.api import app as ralph_app
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND

SUPPORTED = ("1.0.", "2.0.")
VERSION = b"1.0.3"


async def app(scope, receive, send):
    if scope["type"] != "http" or not scope["path"].startswith("/xAPI/"):
        await ralph_app(scope, receive, send)
        return
    headers = dict(scope["headers"])
    version = headers.get(b"x-experience-api-version", b"").decode("latin-1")
    if not version.startswith(SUPPORTED):
        body = b'{"detail": "X-Experience-API-Version missing or not supported"}'
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"x-experience-api-version", VERSION),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
        return

    async def send_with_version(message):
        if message["type"] == "http.response.start":
            message = {
                **message,
                "headers": [*message.get("headers", []), (b"x-experience-api-version", VERSION)],
            }
        await send(message)

    await ralph_app(scope, receive, send_with_version)
