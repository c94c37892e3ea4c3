"""Checks shared by the forms, the API and the roster import, with messages in the
user's language (Chinese by default)."""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric


def clean_national_id(value: str) -> str:
    """A GB 11643 resident ID: 18 characters, a real birth date, a right check digit."""
    number = ric.compact(value or "").upper()
    try:
        number = ric.validate(number)
    except stdnum_errors.InvalidChecksum:
        raise ValidationError(_("The national ID's last digit does not match (checksum error). Check each digit.")) from None
    except stdnum_errors.InvalidComponent:
        raise ValidationError(_("The national ID contains an impossible birth date.")) from None
    except stdnum_errors.InvalidLength:
        raise ValidationError(_("A national ID has 18 characters; this one has %(n)d.") % {"n": len(number)}) from None
    except stdnum_errors.ValidationError:
        raise ValidationError(_("A national ID is 17 digits followed by a digit or X.")) from None
    born = ric.get_birth_date(number)
    if born.year < 1900 or born > date.today():
        raise ValidationError(_("The national ID contains an impossible birth date."))
    return number


def birth_date_and_sex(national_id: str) -> tuple[date, str]:
    sex = "M" if int(national_id[16]) % 2 == 1 else "F"
    return ric.get_birth_date(national_id), sex


def clean_position(lat, lng, *, required: bool = False) -> tuple[float | None, float | None]:
    if lat in (None, "") and lng in (None, ""):
        if required:
            raise ValidationError(_("A location is required."))
        return None, None
    if lat in (None, "") or lng in (None, ""):
        raise ValidationError(_("Give both latitude and longitude, or neither."))
    try:
        lat, lng = float(lat), float(lng)
    except (TypeError, ValueError):
        raise ValidationError(_("Latitude and longitude must be numbers in degrees.")) from None
    if not (-90 <= lat <= 90) or not (-180 <= lng <= 180):
        raise ValidationError(_("Latitude must be between -90 and 90 and longitude between -180 and 180."))
    if not (3.8 < lat < 53.6 and 73.5 < lng < 135.1):
        raise ValidationError(_("The position %(lat).5f, %(lng).5f is outside China; latitude and longitude may be swapped.")
                              % {"lat": lat, "lng": lng})
    return lat, lng


def clean_accuracy(accuracy) -> float | None:
    if accuracy in (None, ""):
        return None
    try:
        accuracy = float(accuracy)
    except (TypeError, ValueError):
        raise ValidationError(_("The location accuracy must be a number of metres.")) from None
    if accuracy < 0:
        raise ValidationError(_("The location accuracy cannot be negative."))
    if accuracy > settings.DAIBAN_VISIT_MAX_ACCURACY_METERS:
        raise ValidationError(
            _("The location is only accurate to %(accuracy)d m. Step outside, wait for GPS, or record the visit without a location and say why.")
            % {"accuracy": accuracy}
        )
    return accuracy
