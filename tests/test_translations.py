"""The Chinese translation is complete and the committed .mo matches the .po, so a
machine without gettext shows every screen in Chinese."""

from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parents[1] / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_every_string_has_a_chinese_translation():
    po = polib.pofile(str(LOCALE / "django.po"))
    missing = [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    assert missing == [], f"{len(missing)} untranslated or fuzzy: {missing[:20]}"


def test_compiled_catalogue_matches_the_po_file():
    po = {
        (e.msgctxt, e.msgid): (e.msgstr or e.msgstr_plural.get(0, ""))
        for e in polib.pofile(str(LOCALE / "django.po"))
        if not e.obsolete and e.translated()
    }
    mo = {
        (e.msgctxt, e.msgid): (e.msgstr or e.msgstr_plural.get(0, "")) for e in polib.mofile(str(LOCALE / "django.mo"))
    }
    stale = sorted(k[1] for k in po if mo.get(k) != po[k])
    assert stale == [], f"run `make messages`: {len(stale)} entries differ from django.mo, e.g. {stale[:5]}"
