"""Page-number pagination that refuses a malformed ``page`` (400) instead of guessing."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class StrictPageNumberPagination(PageNumberPagination):
    """``?page=<n>`` (1-based; ``last`` for the last page) and ``?page_size`` as in DRF,
    but ``page`` given twice, empty, or not a positive integer is a 400 naming it; a page
    past the end stays a 404."""

    def get_page_number(self, request, paginator):
        """The requested page number, validated."""
        values = request.query_params.getlist(self.page_query_param)
        if not values:
            return 1
        value = values[-1]
        if len(values) > 1 or not (
            value == "last" or ((value.isascii() and value.isdigit()) and int(value) >= 1)
        ):
            raise ValidationError(
                {self.page_query_param: ["must be given once, as a positive integer"]}
            )
        return value
