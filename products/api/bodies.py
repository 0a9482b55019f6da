"""Request bodies of the YAML endpoints (product descriptors, contract documents)."""

from products.schemas import DescriptorError


def yaml_body(request, item: str, kind: str) -> str:
    """The request body as YAML text, or DescriptorError naming the problem.

    ``item`` names the document in messages (``orders.odcs.yaml``), ``kind`` what is
    expected (``ODCS contract``). An empty body, or a body a parser turned into anything
    but text, is refused: ``(root): body: ...``.
    """
    data = request.data
    if isinstance(data, bytes):
        data = data.decode("utf-8", errors="replace")
    if not isinstance(data, str) or not data.strip():
        raise DescriptorError(
            item,
            [
                f"(root): body: the request body must be the {kind} as YAML text "
                "(Content-Type: application/yaml); it was empty or not text"
            ],
        )
    return data
