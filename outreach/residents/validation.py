"""Checks shared by the forms, the API and the roster import, with messages in the
user's language (Chinese by default)."""

import math
import re
import unicodedata
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

# The first two digits of a resident ID: the province-level division that issued it
# (81/82/83: residence permits of Hong Kong, Macao and Taiwan residents).
PROVINCE_CODES = frozenset(
    {
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "83",
    }
)


def clean_national_id(value: str) -> str:
    """A GB 11643 resident ID: 18 characters, a real birth date, a right check digit.

    Checked here rather than with ``stdnum.cn.ric.validate``, which also requires the
    county code to have existed in the birth year: that refuses nearly every elder of
    Yiwu (330782 dates from 1988, and an ID carries the county that issued it, not the
    one of birth), with the same error as an impossible birth date."""
    # Typed on a phone: full-width digits from a Chinese keyboard, spaces between groups.
    number = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", value or "")).upper()
    if len(number) != 18:
        raise ValidationError(
            _("A national ID has 18 characters; this one has %(n)d.") % {"n": len(number)}, code="length"
        )
    if not number[:17].isdigit() or not number[:17].isascii() or number[17] not in "0123456789X":
        raise ValidationError(_("A national ID is 17 digits followed by a digit or X."), code="format")
    if number[17] != ric.calc_check_digit(number):
        raise ValidationError(
            _("The national ID's last digit does not match (checksum error). Check each digit."), code="checksum"
        )
    try:
        born = ric.get_birth_date(number)
    except stdnum_errors.ValidationError:
        born = None
    if born is None or born.year < 1900 or born > timezone.localdate():
        raise ValidationError(
            _("The national ID contains an impossible birth date (digits 7 to 14)."), code="birth_date"
        )
    if number[:2] not in PROVINCE_CODES:
        raise ValidationError(
            _("The national ID does not start with a province code (its first two digits)."), code="region"
        )
    return number


def birth_date_and_sex(national_id: str) -> tuple[date, str]:
    sex = "M" if int(national_id[16]) % 2 == 1 else "F"
    return ric.get_birth_date(national_id), sex


def _in_china(lat: float, lng: float) -> bool:
    return 3.8 < lat < 53.6 and 73.5 < lng < 135.1


def clean_position(lat, lng, *, required: bool = False) -> tuple[float | None, float | None]:
    if lat in (None, "") and lng in (None, ""):
        if required:
            raise ValidationError(_("A location is required."), code="required")
        return None, None
    if lat in (None, "") or lng in (None, ""):
        raise ValidationError(_("Give both latitude and longitude, or neither."), code="incomplete")
    try:
        lat, lng = float(lat), float(lng)
    except (TypeError, ValueError):
        lat = lng = math.nan
    if not (math.isfinite(lat) and math.isfinite(lng)):
        raise ValidationError(_("Latitude and longitude must be numbers in degrees."), code="invalid")
    # Checked before the range: swapped Chinese coordinates put the longitude (73–135)
    # in the latitude, which the range check would report less helpfully.
    if _in_china(lng, lat):
        raise ValidationError(
            _(
                "The position %(lat).5f, %(lng).5f has latitude and longitude swapped (latitude comes first, "
                "about 20–50 in China)."
            )
            % {"lat": lat, "lng": lng},
            code="swapped",
        )
    if not (-90 <= lat <= 90) or not (-180 <= lng <= 180):
        raise ValidationError(
            _("Latitude must be between -90 and 90 and longitude between -180 and 180."), code="range"
        )
    if not _in_china(lat, lng):
        raise ValidationError(
            _("The position %(lat).5f, %(lng).5f is outside China. Check the phone's location.")
            % {"lat": lat, "lng": lng},
            code="outside_china",
        )
    return lat, lng


def clean_accuracy(accuracy) -> float | None:
    if accuracy in (None, ""):
        return None
    try:
        accuracy = float(accuracy)
    except (TypeError, ValueError):
        accuracy = math.nan
    if not math.isfinite(accuracy):  # NaN would pass both comparisons below
        raise ValidationError(_("The location accuracy must be a number of metres."), code="invalid")
    if accuracy < 0:
        raise ValidationError(_("The location accuracy cannot be negative."), code="negative")
    if accuracy > settings.DAIBAN_VISIT_MAX_ACCURACY_METERS:
        raise ValidationError(
            _(
                "The location is only accurate to %(accuracy)d m. Step outside, wait for GPS, or record the visit "
                "without a location and say why."
            )
            % {"accuracy": accuracy},
            code="inaccurate",
        )
    return accuracy
