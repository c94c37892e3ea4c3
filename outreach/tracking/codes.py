"""Progress codes: ten characters drawn at random from 32 that cannot be mistaken for one
another when read aloud or off a printed slip (no 0/O, 1/I). 50 bits: with the phone's
last four digits and the tries per code and address bounded (services), guessing one is
hopeless. Nothing about the resident or the errand is in it."""

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 10
_NOT_IN_A_CODE = re.compile(r"[\s\-_.·—－]+")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize(typed: str) -> str:
    """What a person typed, as stored: upper case, without the spaces and dashes they may
    have copied from the slip (``ABCDE-FGHJK``). Anything else is left for the form to
    refuse."""
    return _NOT_IN_A_CODE.sub("", typed or "").upper()


def is_well_formed(code: str) -> bool:
    return len(code) == LENGTH and all(c in ALPHABET for c in code)


def shown(code: str | None) -> str:
    """As printed and read out: two groups of five."""
    if not code:
        return ""
    return f"{code[:5]}-{code[5:]}"
