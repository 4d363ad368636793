"""Messages Django REST framework and Django show through the API, in the project catalog.

DRF has no Khmer catalog and its Thai and Vietnamese ones, like Django's, lack some of these:
copied here, ``makemessages`` keeps them in locale/ and every language gets all of them.
"""

from django.utils.translation import gettext_noop as _
from django.utils.translation import ngettext_lazy

DRF = [
    _('"{input}" is not a valid choice.'),
    _("A valid integer is required."),
    _("A valid number is required."),
    _("Authentication credentials were not provided."),
    _("Could not satisfy the request Accept header."),
    _("Date has wrong format. Use one of these formats instead: {format}."),
    _("Datetime has wrong format. Use one of these formats instead: {format}."),
    _("Datetime value out of range."),
    _("Ensure this field has at least {min_length} characters."),
    _("Ensure this field has at least {min_length} elements."),
    _("Ensure this field has no more than {max_length} characters."),
    _("Ensure this field has no more than {max_length} elements."),
    _("Ensure this value is greater than or equal to {min_value}."),
    _("Ensure this value is less than or equal to {max_value}."),
    _("Enter a valid URL."),
    _("Enter a valid email address."),
    _("Expected a date but got a datetime."),
    _("Expected a datetime but got a date."),
    _('Expected a dictionary of items but got type "{input_type}".'),
    _('Expected a list of items but got type "{input_type}".'),
    _("Incorrect authentication credentials."),
    _("Incorrect type. Expected pk value, received {data_type}."),
    _("Invalid data. Expected a dictionary, but got {datatype}."),
    _('Invalid datetime for the timezone "{timezone}".'),
    _("Invalid input."),
    _('Invalid pk "{pk_value}" - object does not exist.'),
    _("Invalid value."),
    _("Malformed request."),
    _('Method "{method}" not allowed.'),
    _("Must be a valid UUID."),
    _("Must be a valid boolean."),
    _("Not a valid string."),
    _("Not found."),
    _("Object with {slug_name}={value} does not exist."),
    _("Request was throttled."),
    _("String value too large."),
    _("Surrogate characters are not allowed: U+{code_point:X}."),
    _("This dictionary may not be empty."),
    _("This field is required."),
    _("This field may not be blank."),
    _("This field may not be null."),
    _("This list may not be empty."),
    _("This selection may not be empty."),
    _("This value does not match the required pattern."),
    _('Unsupported media type "{media_type}" in request.'),
    _("Value must be valid JSON."),
    _("You do not have permission to perform this action."),
    ngettext_lazy("Expected available in {wait} second.", "Expected available in {wait} seconds."),
]

# Django's own: query filters are Django forms, passwords meet Django's validators, and
# document sizes are written by ``filesizeformat``.
DJANGO = [
    _("Select a valid choice. %(value)s is not one of the available choices."),
    _("Select a valid choice. That choice is not one of the available choices."),
    _("Enter a list of values."),
    _("Enter a valid date."),
    _("Enter a valid date/time."),
    _("Enter a whole number."),
    _("Enter a number."),
    _("This password is too common."),
    _("This password is entirely numeric."),
    _("The password is too similar to the %(verbose_name)s."),
    _("username"),
    _("first name"),
    _("last name"),
    _("email address"),
    # filesizeformat, for the sizes of documents.
    ngettext_lazy("%(size)d byte", "%(size)d bytes"),
    _("%s KB"),
    _("%s MB"),
    ngettext_lazy(
        "This password is too short. It must contain at least %(min_length)d character.",
        "This password is too short. It must contain at least %(min_length)d characters.",
    ),
]
